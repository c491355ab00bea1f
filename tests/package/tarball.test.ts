/**
 * What `npm pack` would publish for the library: no source maps, and no file that no entry point
 * reaches (every dist file is an entry of package.json or imported, directly or not, by one).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const library = new URL("../../packages/langchain-databricks/", import.meta.url).pathname;

let files: string[] = [];

beforeAll(async () => {
  // Runs `prepack` (it copies the root README), as a real pack does; its output goes to stderr.
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { stdout } = await run(npm, ["pack", "--dry-run", "--json"], { cwd: library });
  const [report] = JSON.parse(stdout) as { files: { path: string }[] }[];
  files = (report?.files ?? []).map((f) => f.path).sort();
}, 60_000);

/** Every string leaf of package.json's `exports`, `bin`, `main`, `module` and `types`. */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(library, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") out.push(normalize(value));
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const key of ["exports", "bin", "main", "module", "types"]) walk(pkg[key]);
  return out.filter((path) => path.startsWith("dist/"));
}

/** Files reached from the entry points through relative import/require/import() specifiers. */
function reachable(): Set<string> {
  const seen = new Set<string>();
  const queue = entryPoints();
  const specifier = /(?:from\s*|require\(\s*|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const declarations = /\.d\.[cm]ts$/.test(file);
    for (const match of readFileSync(join(library, file), "utf8").matchAll(specifier)) {
      const target = normalize(join(dirname(file), match[1] as string));
      // A declaration file names a chunk by its JavaScript path; its types are the .d.* beside it.
      queue.push(declarations ? target.replace(/\.([cm])js$/, ".d.$1ts") : target);
    }
  }
  return seen;
}

describe("the langchain-databricks tarball", () => {
  it("holds package.json, README.md, LICENSE and dist/ only, without source maps", () => {
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]));
    for (const file of files) {
      expect(file, file).toMatch(
        /^(LICENSE|README\.md|package\.json|dist\/.+\.(mjs|cjs|d\.mts|d\.cts))$/,
      );
    }
  });

  it("ships every entry point and only files an entry point reaches", () => {
    const packedDist = files.filter((file) => file.startsWith("dist/"));
    expect(packedDist).toEqual([...reachable()].sort());
  });
});
