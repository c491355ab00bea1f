/**
 * The published entry points, as a user's `import` and `require` see them: the built `dist/` through
 * the package's own `exports` map (Node resolves the package by name from the project root).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

function runNode(code: string, type: "module" | "commonjs"): string {
  const flag = type === "module" ? "--input-type=module" : "--input-type=commonjs";
  return execFileSync(process.execPath, [flag, "-e", code], { cwd: root, encoding: "utf8" }).trim();
}

describe("package exports (built dist; `npm test` builds first)", () => {
  it("import works (ESM)", () => {
    const out = runNode(
      'import { Databricks, DatabricksAPIError, serveDriverProxyApp } from "langchain-databricks"; console.log(typeof Databricks, typeof DatabricksAPIError, typeof serveDriverProxyApp, new Databricks({ host: "http://127.0.0.1:1", token: "dapi-x-00000000", endpointName: "e" })._llmType());',
      "module",
    );
    expect(out).toBe("function function function databricks");
  });

  it("require works (CommonJS)", () => {
    const out = runNode(
      'const { Databricks, DatabricksConfigError } = require("langchain-databricks"); console.log(typeof Databricks, typeof DatabricksConfigError);',
      "commonjs",
    );
    expect(out).toBe("function function");
  });

  it("ships type declarations for both formats", () => {
    expect(existsSync(`${root}dist/index.d.mts`)).toBe(true);
    expect(existsSync(`${root}dist/index.d.cts`)).toBe(true);
  });
});

describe("langchain-databricks/emulator export", () => {
  it("import and require both start and stop an emulator", () => {
    const esm = runNode(
      'import { startEmulator } from "langchain-databricks/emulator"; const e = await startEmulator(); console.log(e.url.startsWith("http://127.0.0.1:")); await e.close();',
      "module",
    );
    expect(esm).toBe("true");
    const cjs = runNode(
      'const { startEmulator, DEFAULT_EMULATOR_TOKEN } = require("langchain-databricks/emulator"); startEmulator().then(async (e) => { console.log(typeof DEFAULT_EMULATOR_TOKEN); await e.close(); });',
      "commonjs",
    );
    expect(cjs).toBe("string");
  });
});
