// ESLint flat config: the recommended JS and TypeScript rules plus a few that keep the code honest.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "prefer-template": "error",
      eqeqeq: ["error", "smart"],
      "no-param-reassign": "error",
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Scripts, examples and the CLI talk to a terminal on purpose.
    files: ["scripts/**", "examples/**", "bench/**", "src/cli/**"],
    rules: { "no-console": "off" },
  },
);
