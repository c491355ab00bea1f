/**
 * The built main entry in every runtime the package supports, against the emulator on 127.0.0.1
 * (started here, host and token passed as options): Node (ESM and CommonJS, on undici), Bun, Deno
 * with no permission but `--allow-net=127.0.0.1`, and Vercel's edge runtime on an esbuild browser
 * bundle. A runtime that cannot run here fails the test; none is skipped.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { EdgeRuntime } from "edge-runtime";
import { build } from "esbuild";
import type * as Library from "langchain-databricks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScenario, type ScenarioResult } from "./fixtures/scenario.js";
import {
  DIST,
  envWithoutDatabricks,
  FIXTURES,
  parseLastLine,
  run,
  runBun,
  runDeno,
} from "./runtimes.js";

/** The emulator's deterministic answers. */
const LLM_ANSWER =
  "Databricks is a platform for data and machine learning. It finds patterns in examples.";
const CHAT_ANSWER = "Hello! It is nice too.";

let emulator: EmulatorHandle;
/** Node's own result on the built CommonJS entry: every other runtime must match it exactly. */
let nodeResult: ScenarioResult;

beforeAll(async () => {
  emulator = await startEmulator({ ...defaultEmulatorOptions(), host: "127.0.0.1" });
  const builtCjs = createRequire(import.meta.url)(join(DIST, "index.cjs")) as typeof Library;
  nodeResult = await runScenario(builtCjs, { host: emulator.url, token: emulator.token });
});

afterAll(async () => {
  await emulator?.close();
});

/** What every runtime must answer, and the same embeddings as Node. */
function expectRealAnswers(result: ScenarioResult): void {
  expect(result.llm).toBe(LLM_ANSWER);
  expect(result.chat).toBe(CHAT_ANSWER);
  expect(result.chatStream.length).toBeGreaterThan(2);
  expect(result.chatStream.join("")).toBe(CHAT_ANSWER);
  expect(result.embeddings).toHaveLength(2);
  expect(result.embeddings.map((vector) => vector.length)).toEqual([256, 256]);
  expect(result.embeddings).toEqual(nodeResult.embeddings);
}

describe("Node", () => {
  it("answers from the built CommonJS entry (the reference for the other runtimes)", () => {
    expectRealAnswers(nodeResult);
    expect(nodeResult.embeddings[0]?.some((x) => x !== 0)).toBe(true);
  });

  it.each(["esm", "cjs"])(
    "%s build: undici is loaded by the first request (not at import), and global fetch is unused",
    async (format) => {
      const output = await run(process.execPath, [
        join(FIXTURES, "node_built_entry.mjs"),
        format,
        emulator.url,
        emulator.token,
      ]);
      expect(parseLastLine(output, `node (${format})`)).toEqual({
        undiciLoadedBeforeFirstRequest: false,
        undiciLoadedAfter: true,
        llm: LLM_ANSWER,
        chat: CHAT_ANSWER,
      });
    },
  );
});

describe("Bun", () => {
  it("runs Databricks, ChatDatabricks (invoke, stream) and DatabricksEmbeddings", async () => {
    const output = await runBun(
      "built_entry.mjs",
      [emulator.url, emulator.token],
      envWithoutDatabricks(),
    );
    const result = parseLastLine<ScenarioResult>(output, "bun");
    expectRealAnswers(result);
    expect(result.profileError).toMatchObject({
      name: "DatabricksConfigError",
      isConfigError: true,
    });
    expect(result.profileError?.message).toMatch(/has no runtime-test profile configured/);
  });
});

describe("Deno", () => {
  it("runs everything with only --allow-net=127.0.0.1: no env, no read access", async () => {
    const output = await runDeno(["--allow-net=127.0.0.1"], "built_entry.mjs", [
      emulator.url,
      emulator.token,
    ]);
    const result = parseLastLine<ScenarioResult>(output, "deno");
    expectRealAnswers(result);
    // A profile needs HOME (env) and the file (read): the error names the flag, not a hidden cause.
    expect(result.profileError).toMatchObject({
      name: "DatabricksConfigError",
      isConfigError: true,
    });
    expect(result.profileError?.message).toContain("--allow-env=HOME");
  });

  it("reports missing env and read permissions as actionable DatabricksConfigErrors", async () => {
    const cases = [{}, { host: emulator.url }, { profile: "dev" }];
    const output = await runDeno([], "config_errors.mjs", [JSON.stringify(cases)], {
      ...process.env,
      // Set, but unreadable without --allow-env: the message must say they were not consulted.
      DATABRICKS_HOST: emulator.url,
      DATABRICKS_TOKEN: emulator.token,
    });
    const [nothing, hostOnly, profile] = parseLastLine<ConfigOutcome[]>(output, "deno");
    for (const outcome of [nothing, hostOnly, profile]) {
      expect(outcome).toMatchObject({
        ok: false,
        name: "DatabricksConfigError",
        isConfigError: true,
      });
    }
    expect(nothing?.message).toMatch(/^host was not set/);
    expect(nothing?.message).toContain(
      "run Deno with --allow-env=DATABRICKS_HOST,DATABRICKS_TOKEN,",
    );
    expect(nothing?.message).toContain("or pass the settings (`host`, `token`…) as options");
    expect(nothing?.message).toContain("Config file: not read (access refused; under Deno");
    expect(hostOnly?.message).toMatch(/^default auth: cannot configure default credentials/);
    expect(hostOnly?.message).toContain("--allow-env=DATABRICKS_TOKEN,");
    expect(profile?.message).toContain("run with --allow-env=HOME");
  });

  it("reads the environment and a profile once the permissions are given", async () => {
    const home = "/home/runtime-test";
    const cases = [{}, { profile: "runtime-test" }];
    const output = await runDeno(
      [`--allow-env=DATABRICKS_HOST,DATABRICKS_TOKEN,HOME`],
      "config_errors.mjs",
      [JSON.stringify(cases)],
      { ...process.env, HOME: home, DATABRICKS_HOST: emulator.url, DATABRICKS_TOKEN: "dapi-x" },
    );
    const [fromEnv, fromProfile] = parseLastLine<ConfigOutcome[]>(output, "deno");
    expect(fromEnv).toEqual({ ok: true });
    // HOME is readable now, the file is not: the error names the file and the read flag.
    expect(fromProfile).toMatchObject({ ok: false, isConfigError: true });
    expect(fromProfile?.message).toContain(`--allow-read=${join(home, ".databrickscfg")}`);
  });
});

describe("the driver-proxy subpath (needs node:http and, under Deno, --allow-net)", () => {
  const served = { ok: true, status: 200, answer: "You asked: How are you?" };

  it("serves under Bun", async () => {
    const output = await runBun("driver_proxy_entry.mjs", []);
    expect(parseLastLine(output, "bun")).toEqual(served);
  });

  it("serves under Deno with --allow-net, and says what is missing without it", async () => {
    const denied = await runDeno([], "driver_proxy_entry.mjs", []);
    expect(parseLastLine(denied, "deno")).toEqual({
      ok: false,
      name: "DatabricksConfigError",
      isConfigError: true,
      message:
        "serveDriverProxyApp cannot listen on 127.0.0.1:0: Deno needs network access, run it with --allow-net=127.0.0.1.",
    });
    const allowed = await runDeno(["--allow-net=127.0.0.1"], "driver_proxy_entry.mjs", []);
    expect(parseLastLine(allowed, "deno")).toEqual(served);
  });
});

interface ConfigOutcome {
  ok: boolean;
  name?: string;
  isConfigError?: boolean;
  message?: string;
}

describe("edge runtime (esbuild browser bundle in Vercel's edge-runtime)", () => {
  let edge: EdgeRuntime;
  let bundledInputs: string[];

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [join(FIXTURES, "edge_entry.mjs")],
      bundle: true,
      platform: "browser",
      format: "iife",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    bundledInputs = Object.keys(bundle.metafile.inputs);
    edge = new EdgeRuntime();
    edge.evaluate(bundle.outputFiles[0]?.text ?? "");
  }, 60_000);

  it("bundles the main entry with @langchain/core and without node: built-ins or undici", () => {
    expect(bundledInputs.some((input) => input.includes("@langchain/core/"))).toBe(true);
    expect(bundledInputs.filter((input) => /^node:|\/undici\//.test(input))).toEqual([]);
  });

  it("runs Databricks, ChatDatabricks (invoke, stream) and DatabricksEmbeddings on fetch", async () => {
    const connection = JSON.stringify({ host: emulator.url, token: emulator.token });
    const json = await edge.evaluate<Promise<string>>(`runtimeTest.runScenario(${connection})`);
    const result = JSON.parse(json) as ScenarioResult;
    expectRealAnswers(result);
    expect(result.profileError).toMatchObject({
      name: "DatabricksConfigError",
      isConfigError: true,
    });
    expect(result.profileError?.message).toContain(
      "this runtime has no file system access (no `process.getBuiltinModule`)",
    );
  });

  it("says serveDriverProxyApp needs node:http with a DatabricksConfigError", async () => {
    const json = await edge.evaluate<Promise<string>>("runtimeTest.serveDriverProxyApp()");
    expect(JSON.parse(json)).toMatchObject({
      ok: false,
      name: "DatabricksConfigError",
      isConfigError: true,
      message: expect.stringContaining("node:http, which this runtime does not have") as unknown,
    });
  });
});
