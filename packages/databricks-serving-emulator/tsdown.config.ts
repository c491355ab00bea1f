import { defineConfig } from "tsdown";

const shared = { target: "node20", platform: "node" } as const;

export default defineConfig([
  { ...shared, entry: { index: "src/index.ts" }, format: ["esm", "cjs"], dts: true, clean: true },
  // The bin runs as ESM only (package.json `bin`), on the built entry (imported by package name).
  {
    ...shared,
    entry: { "cli/main": "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
    external: ["databricks-serving-emulator"],
  },
]);
