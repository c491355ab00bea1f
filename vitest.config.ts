import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = JSON.parse(
  readFileSync(new URL("./packages/langchain-databricks/package.json", import.meta.url), "utf8"),
) as { version: string };
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  define: { __PKG_VERSION__: JSON.stringify(pkg.version) },
  resolve: {
    // Tests run against the sources; tests/package checks the built packages.
    alias: [
      {
        find: /^langchain-databricks\/driver-proxy$/,
        replacement: source("./packages/langchain-databricks/src/driver_proxy/index.ts"),
      },
      {
        find: /^langchain-databricks$/,
        replacement: source("./packages/langchain-databricks/src/index.ts"),
      },
      {
        find: /^databricks-serving-emulator$/,
        replacement: source("./packages/databricks-serving-emulator/src/index.ts"),
      },
    ],
  },
  test: {
    include: ["packages/*/tests/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    setupFiles: ["tests/setup.ts"],
    // Tests must never reach past loopback: the emulator and test servers bind 127.0.0.1.
    env: { NO_PROXY: "*" },
  },
});
