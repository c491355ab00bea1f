import { readFileSync } from "node:fs";
import { defineConfig } from "tsdown";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
};

const shared: {
  target: "node20";
  platform: "node";
  dts: boolean;
  define: Record<string, string>;
  external: (string | RegExp)[];
} = {
  target: "node20",
  platform: "node",
  dts: true,
  define: { __PKG_VERSION__: JSON.stringify(pkg.version) },
  external: [/^@langchain\/core/, "undici", "databricks-serving-emulator"],
};

export default defineConfig([
  // The library: ESM and CommonJS, with types.
  {
    ...shared,
    entry: { index: "src/index.ts", "driver_proxy/index": "src/driver_proxy/index.ts" },
    format: ["esm", "cjs"],
    clean: true,
  },
  // The bin runs as ESM only (package.json `bin`), so no CommonJS copy is shipped. It imports the
  // library by its own package name, so it runs on the built entries instead of a second copy.
  {
    ...shared,
    entry: { "cli/main": "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
    external: [...shared.external, "langchain-databricks", "langchain-databricks/driver-proxy"],
  },
]);
