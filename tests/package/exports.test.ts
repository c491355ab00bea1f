/**
 * The published entry points, as a user's `import` and `require` see them: the built `dist/` of
 * each package through its own `exports` map (Node resolves the packages by name, through the
 * workspace links in the root node_modules).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const library = `${root}packages/langchain-databricks/`;
const emulator = `${root}packages/databricks-serving-emulator/`;

function runNode(code: string, type: "module" | "commonjs"): string {
  const flag = type === "module" ? "--input-type=module" : "--input-type=commonjs";
  return execFileSync(process.execPath, [flag, "-e", code], { cwd: root, encoding: "utf8" }).trim();
}

describe("langchain-databricks (built dist; `npm test` builds first)", () => {
  it("import works (ESM)", () => {
    const out = runNode(
      'import { Databricks, DatabricksAPIError, ChatDatabricks, DatabricksEmbeddings } from "langchain-databricks"; console.log(typeof Databricks, typeof DatabricksAPIError, typeof ChatDatabricks, typeof DatabricksEmbeddings, new Databricks({ host: "http://127.0.0.1:1", token: "dapi-x-00000000", endpointName: "e" })._llmType());',
      "module",
    );
    expect(out).toBe("function function function function databricks");
  });

  it("require works (CommonJS)", () => {
    const out = runNode(
      'const { Databricks, DatabricksConfigError } = require("langchain-databricks"); console.log(typeof Databricks, typeof DatabricksConfigError);',
      "commonjs",
    );
    expect(out).toBe("function function");
  });

  it("the isDatabricks…Error guards recognise errors of the other build (dual-package copies)", () => {
    const out = runNode(
      'import { createRequire } from "node:module"; import * as esm from "langchain-databricks"; const cjs = createRequire(import.meta.url)("langchain-databricks"); const error = cjs.DatabricksAPIError.fromResponse({ status: 429, headers: {}, body: "" }); console.log(error instanceof esm.DatabricksAPIError, esm.isDatabricksAPIError(error), esm.isDatabricksRateLimitError(error), esm.isDatabricksServerError(error), error.lc_error_code);',
      "module",
    );
    expect(out).toBe("false true true false MODEL_RATE_LIMIT");
  });

  it("langchain-databricks/driver-proxy serves an app under import and require", () => {
    const esm = runNode(
      'import { serveDriverProxyApp } from "langchain-databricks/driver-proxy"; const app = await serveDriverProxyApp({ model: (p) => p, port: 0, host: "127.0.0.1", log: () => {}, warn: () => {} }); console.log(app.url.startsWith("http://127.0.0.1:")); await app.close();',
      "module",
    );
    expect(esm).toBe("true");
    const cjs = runNode(
      'const { serveDriverProxyApp } = require("langchain-databricks/driver-proxy"); console.log(typeof serveDriverProxyApp);',
      "commonjs",
    );
    expect(cjs).toBe("function");
  });

  it("ships type declarations for both formats, and no CommonJS copy of the bin", () => {
    for (const file of [
      "index.d.mts",
      "index.d.cts",
      "driver_proxy/index.d.mts",
      "driver_proxy/index.d.cts",
    ]) {
      expect(existsSync(`${library}dist/${file}`), file).toBe(true);
    }
    expect(existsSync(`${library}dist/cli/main.mjs`)).toBe(true);
    expect(existsSync(`${library}dist/cli/main.cjs`)).toBe(false);
  });
});

describe("databricks-serving-emulator (built dist)", () => {
  it("import and require both start and stop an emulator", () => {
    const esm = runNode(
      'import { startEmulator } from "databricks-serving-emulator"; const e = await startEmulator(); console.log(e.url.startsWith("http://127.0.0.1:")); await e.close();',
      "module",
    );
    expect(esm).toBe("true");
    const cjs = runNode(
      'const { startEmulator, DEFAULT_EMULATOR_TOKEN } = require("databricks-serving-emulator"); startEmulator().then(async (e) => { console.log(typeof DEFAULT_EMULATOR_TOKEN); await e.close(); });',
      "commonjs",
    );
    expect(cjs).toBe("string");
  });

  it("ships type declarations and its bin", () => {
    for (const file of ["index.d.mts", "index.d.cts", "cli/main.mjs"]) {
      expect(existsSync(`${emulator}dist/${file}`), file).toBe(true);
    }
  });
});
