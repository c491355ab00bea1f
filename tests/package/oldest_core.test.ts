/**
 * The peer range's lower bound is real: the built library (`dist/`, ESM and CommonJS) runs and
 * type-checks with the oldest `@langchain/core` it accepts, installed beside the current one as
 * the root devDependency `@langchain/core-oldest` (an npm alias).
 *
 * Node resolves `@langchain/core` from the importing file's real path, so inside this repository
 * the library would always get the root's current core. The test therefore builds a small project
 * in a temp directory: a copy of the library (package.json + dist), and `@langchain/core` linked
 * to the alias. Node follows that link to the alias's real directory, so core's own dependencies
 * resolve where npm installed them. Both programs assert which core they really loaded.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";

const run = promisify(execFile);
const root = realpathSync(new URL("../../", import.meta.url).pathname);
const library = join(root, "packages/langchain-databricks");
const here = join(root, "tests/package/oldest_core");

const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const libraryPkg = JSON.parse(readFileSync(join(library, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>;
};
const oldest = /^npm:@langchain\/core@(\d+\.\d+\.\d+)$/.exec(
  rootPkg.devDependencies["@langchain/core-oldest"] ?? "",
)?.[1];
const aliasDir = realpathSync(join(root, "node_modules/@langchain/core-oldest"));

/** The installed directory of a package, as `from` would resolve it. */
function packageDir(name: string, from: string): string {
  return dirname(createRequire(join(from, "package.json")).resolve(`${name}/package.json`));
}

let project: string;
let emulator: EmulatorHandle;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "ldb-oldest-core-"));
  const modules = join(project, "node_modules");
  // A copy, not a link: a link would resolve back into the repository and find the current core.
  cpSync(join(library, "package.json"), join(modules, "langchain-databricks/package.json"));
  cpSync(join(library, "dist"), join(modules, "langchain-databricks/dist"), { recursive: true });
  mkdirSync(join(modules, "@langchain"), { recursive: true });
  mkdirSync(join(modules, "@types"), { recursive: true });
  symlinkSync(aliasDir, join(modules, "@langchain/core"), "dir");
  symlinkSync(packageDir("undici", library), join(modules, "undici"), "dir");
  symlinkSync(packageDir("zod", root), join(modules, "zod"), "dir");
  symlinkSync(packageDir("@types/node", root), join(modules, "@types/node"), "dir");
  for (const file of ["smoke.mjs", "consumer.mts"]) cpSync(join(here, file), join(project, file));
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator?.close();
  // rmSync removes the links themselves, never what they point to.
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("the oldest supported @langchain/core", () => {
  it("is the peer range's lower bound and is installed under the alias", () => {
    expect(oldest, "root devDependency @langchain/core-oldest = npm:@langchain/core@x.y.z").toMatch(
      /^1\./,
    );
    expect(libraryPkg.peerDependencies["@langchain/core"]).toBe(`^${oldest}`);
    const installed = JSON.parse(readFileSync(join(aliasDir, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    expect(installed).toMatchObject({ name: "@langchain/core", version: oldest });
  });

  for (const format of ["esm", "cjs"] as const) {
    it(`runs the built library (${format}) against the emulator`, async () => {
      const { stdout } = await run(process.execPath, ["smoke.mjs", format], {
        cwd: project,
        env: { ...process.env, EMULATOR_URL: emulator.url, EMULATOR_TOKEN: emulator.token },
      });
      const report = JSON.parse(stdout.trim()) as {
        core: { version: string; dir: string };
        results: Record<string, unknown>;
      };
      expect(report.core).toEqual({ version: oldest, dir: aliasDir });
      expect(report.results).toMatchObject({
        toolCall: "get_weather",
        structuredOutput: "city,days",
      });
      for (const key of ["llmInvoke", "chatInvoke", "chatStreamChunks", "embedQuery"]) {
        expect(report.results[key], key).toBeGreaterThan(0);
      }
    });
  }

  it("type-checks a user's program against the built declarations", async () => {
    const tsc = join(packageDir("typescript", root), "bin/tsc");
    const options = [
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "false",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--types",
      "node",
    ];
    // tsc reports type errors on stdout and exits non-zero, which rejects with that output.
    const result = await run(process.execPath, [tsc, ...options, "consumer.mts"], {
      cwd: project,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(result.stdout).toBe("");
  }, 60_000);
});
