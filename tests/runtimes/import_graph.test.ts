import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isForbiddenAtLoad, loadTimeSpecifiers, walkLoadTimeGraph } from "./import_graph.js";
import { DIST } from "./runtimes.js";

describe("the built entries load no Node built-in and no undici", () => {
  it.each(["index.mjs", "index.cjs"])("%s and every chunk it statically imports", (entry) => {
    const { files, external } = walkLoadTimeGraph(join(DIST, entry));
    expect(external.filter(({ specifier }) => isForbiddenAtLoad(specifier))).toEqual([]);
    // The walk is not vacuous: it followed the shared chunk and saw @langchain/core.
    expect(files.length).toBeGreaterThan(1);
    expect(external.some(({ specifier }) => specifier.startsWith("@langchain/core/"))).toBe(true);
  });

  // The driver-proxy subpath loads node:http only when a server starts, so importing it anywhere
  // works and starting a server where there is none is a DatabricksConfigError (runtimes.test.ts).
  it.each(["driver_proxy/index.mjs", "driver_proxy/index.cjs"])(
    "%s (the driver-proxy subpath) and its chunks",
    (entry) => {
      const { files, external } = walkLoadTimeGraph(join(DIST, entry));
      expect(external.filter(({ specifier }) => isForbiddenAtLoad(specifier))).toEqual([]);
      expect(files.length).toBeGreaterThan(1);
    },
  );
});

describe("the load-time import walker", () => {
  it("sees static imports, re-exports and top-level require and import()", () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      'export { x } from "./chunk.mjs";',
      'const os = require("os");',
      'await import("undici");',
    ].join("\n");
    expect(loadTimeSpecifiers(source, "a.mjs")).toEqual(["node:fs", "./chunk.mjs", "os", "undici"]);
  });

  it("skips require and import() inside functions: they run on call, not at load", () => {
    const source = [
      'function load() { return import("undici"); }',
      'const lazy = () => require("node:fs");',
      'class C { m() { return import("node:http"); } }',
    ].join("\n");
    expect(loadTimeSpecifiers(source, "a.cjs")).toEqual([]);
  });

  it.each([
    ["node:fs", true],
    ["fs", true],
    ["fs/promises", true],
    ["undici", true],
    ["undici/types", true],
    ["<computed: name>", true],
    ["@langchain/core/messages", false],
    ["zod", false],
  ])("%s forbidden at load: %s", (specifier, forbidden) => {
    expect(isForbiddenAtLoad(specifier)).toBe(forbidden);
  });
});
