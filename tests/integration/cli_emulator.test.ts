/**
 * The two command-line tools together: `databricks-serving-emulator` (the emulator package's bin)
 * and `langchain-databricks` (the library's bin), both run in-process.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  EMULATOR_USAGE,
  runEmulatorCli,
} from "../../packages/databricks-serving-emulator/src/cli/run.js";
import {
  Capture,
  postJson,
  run,
  stubWorkspaceEnv,
  type RunResult,
} from "../../packages/langchain-databricks/tests/cli/helpers.js";

interface Running {
  stdout: Capture;
  stderr: Capture;
  stop(): Promise<RunResult>;
  done: Promise<RunResult>;
}

/** Start a long-running command in-process; `stop()` aborts its signal (SIGINT in main.ts). */
function start(argv: string[], tool: "emulator" | "library"): Running {
  const controller = new AbortController();
  const stdout = new Capture();
  const stderr = new Capture();
  const done =
    tool === "library"
      ? run(argv, { signal: controller.signal, stdout, stderr })
      : runEmulatorCli({ argv, stdout, stderr, signal: controller.signal }).then((code) => ({
          code,
          stdout: stdout.text,
          stderr: stderr.text,
        }));
  return {
    stdout,
    stderr,
    done,
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

async function runEmulator(argv: string[]): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runEmulatorCli({ argv, stdout, stderr, version: "9.9.9" });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  vi.unstubAllEnvs();
});

async function driverApp(args: string[]): Promise<Running & { url: string }> {
  const app = start(["driver-app", "--port", "0", "--host", "127.0.0.1", ...args], "library");
  running.push(app);
  const [, url] = await app.stdout.waitFor(/^(http:\/\/127\.0\.0\.1:\d+)\n/);
  return { ...app, url: url ?? "" };
}

describe("databricks-serving-emulator (bin)", () => {
  it("prints the export lines, serves until stopped, then closes", async () => {
    const emulator = start(["--port", "0"], "emulator");
    running.push(emulator);
    const match = await emulator.stdout.waitFor(
      /^export DATABRICKS_HOST=(http:\/\/127\.0\.0\.1:\d+)\nexport DATABRICKS_TOKEN=(\S+)\n$/,
    );
    const url = match[1] ?? "";
    const token = match[2] ?? "";
    const list = await fetch(`${url}/api/2.0/serving-endpoints`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    expect(await list.json()).toHaveProperty("endpoints");
    const result = await emulator.stop();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /# emulator listening on http:\/\/127\.0\.0\.1:\d+ \(endpoints: /,
    );
    expect(result.stderr).toMatch(/GET \/api\/2\.0\/serving-endpoints/);
    await expect(fetch(`${url}/api/2.0/serving-endpoints`)).rejects.toThrow("fetch failed");
  });

  it("loads --config, and `langchain-databricks invoke` reaches an endpoint and a driver app through it", async () => {
    const app = await driverApp(["--quiet"]);
    const dir = mkdtempSync(join(tmpdir(), "cli-emulator-"));
    const config = join(dir, "emulator.json");
    writeFileSync(
      config,
      JSON.stringify({
        endpoints: [
          {
            name: "echo-completions",
            task: "llm/v1/completions",
            endpointType: "FOUNDATION_MODEL_API",
            backend: { type: "echo" },
          },
        ],
        driverApps: [{ clusterId: "0101-emu", port: 7777, target: app.url }],
      }),
    );
    const emulator = start(["--config", config, "--quiet"], "emulator");
    running.push(emulator);
    const match = await emulator.stdout.waitFor(
      /^export DATABRICKS_HOST=(\S+)\nexport DATABRICKS_TOKEN=(\S+)\n$/,
    );
    stubWorkspaceEnv(match[1] ?? "", { DATABRICKS_TOKEN: match[2] ?? "" });

    const viaEndpoint = await run(["invoke", "--endpoint", "echo-completions", "ping pong"]);
    expect(viaEndpoint).toEqual({ code: 0, stdout: "ping pong\n", stderr: "" });
    const viaDriver = await run([
      "invoke",
      "--cluster-id",
      "0101-emu",
      "--port",
      "7777",
      "--stop",
      "!",
      "hello driver! bye",
    ]);
    expect(viaDriver).toEqual({ code: 0, stdout: "hello driver\n", stderr: "" });
    expect((await emulator.stop()).stderr).toBe("");
  });

  it("reports an unreadable config with exit 1 and one line", async () => {
    const result = await runEmulator(["--config", "/nonexistent/emulator.json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^databricks-serving-emulator: Cannot read emulator config/);
    expect(result.stderr.split("\n")).toHaveLength(2);
  });

  it.each([
    [["extra"], /Unexpected argument 'extra'/],
    [["--port", "x"], /--port must be an integer from 0 to 65535, got 'x'/],
    [["--host", ""], /--host must not be empty/],
    [["--frob"], /Unknown option '--frob'/],
  ])("refuses %j with exit 2 and a pointer to --help", async (argv, message) => {
    const result = await runEmulator(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\(see 'databricks-serving-emulator --help'\)\n$/);
  });

  it("prints its help and version", async () => {
    expect(await runEmulator(["--help"])).toEqual({ code: 0, stdout: EMULATOR_USAGE, stderr: "" });
    expect(await runEmulator(["-v"])).toEqual({ code: 0, stdout: "9.9.9\n", stderr: "" });
  });
});

describe("langchain-databricks driver-app --backend ngram (the emulator package, loaded on use)", () => {
  it("serves the emulator's deterministic n-gram generator", async () => {
    const app = await driverApp(["--backend", "ngram", "--quiet"]);
    const first = await postJson(app.url, { prompt: "How are you?", max_tokens: 20 });
    const again = await postJson(app.url, { prompt: "How are you?", max_tokens: 20 });
    expect(first.status).toBe(200);
    expect(typeof first.body).toBe("string");
    expect((first.body as string).length).toBeGreaterThan(0);
    expect(again.body).toBe(first.body);
  });
});
