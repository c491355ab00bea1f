// ESLint flat config: the recommended JS and TypeScript rules plus a few that keep the code honest.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/", "**/node_modules/", "coverage/"] },
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
    // The library never depends on the emulator, and reaches nothing outside its own sources.
    files: ["packages/langchain-databricks/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "databricks-serving-emulator",
                "databricks-serving-emulator/*",
                "**/databricks-serving-emulator/**",
              ],
              message: "The library must not depend on the emulator package.",
            },
            {
              group: ["../../../*", "../../../../*"],
              message: "Import only from inside packages/langchain-databricks/src.",
            },
          ],
        },
      ],
    },
  },
  {
    // The emulator is its own product: it may use the library only through the library's public
    // exports (the package name), never through its sources.
    files: ["packages/databricks-serving-emulator/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/langchain-databricks/src/**",
                "langchain-databricks/src/**",
                "langchain-databricks/dist/**",
              ],
              message:
                "Use the public exports of `langchain-databricks` (its package name), not its files.",
            },
            {
              group: ["../../../*", "../../../../*"],
              message: "Import only from inside packages/databricks-serving-emulator/src.",
            },
          ],
        },
      ],
    },
  },
  {
    // Plain-JavaScript scripts that Bun, Deno and Node run on the built package: they print their
    // results for the test process, and use the globals every one of those runtimes has.
    files: ["tests/runtimes/fixtures/**/*.mjs"],
    languageOptions: {
      globals: { console: "readonly", fetch: "readonly", process: "readonly", URL: "readonly" },
    },
    rules: { "no-console": "off" },
  },
  {
    // Scripts, examples and the command-line tools talk to a terminal on purpose.
    files: ["scripts/**", "examples/**", "bench/**", "packages/*/src/cli/**"],
    rules: { "no-console": "off" },
  },
);
