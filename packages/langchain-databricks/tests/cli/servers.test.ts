import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Capture,
  postJson,
  run,
  startFakeWorkspace,
  stubWorkspaceEnv,
  type RunResult,
} from "./helpers.js";

/** A long-running command started in-process, stopped by aborting its signal (SIGINT in main.ts). */
interface Running {
  stdout: Capture;
  stderr: Capture;
  stop(): Promise<RunResult>;
  done: Promise<RunResult>;
}

function start(argv: string[], env?: Record<string, string | undefined>): Running {
  const controller = new AbortController();
  const stdout = new Capture();
  const stderr = new Capture();
  const done = run(argv, { signal: controller.signal, stdout, stderr, ...(env ? { env } : {}) });
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

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  vi.unstubAllEnvs();
});

async function driverApp(args: string[], env?: Record<string, string | undefined>) {
  const app = start(["driver-app", "--port", "0", "--host", "127.0.0.1", ...args], env);
  running.push(app);
  const [, url] = await Promise.race([
    app.stdout.waitFor(/^(http:\/\/127\.0\.0\.1:\d+)\n/),
    app.done.then((r) => {
      throw new Error(`driver-app exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return { ...app, url: url ?? "" };
}

describe("driver-app", () => {
  it("serves the echo backend by default, prints only the URL on stdout, logs on stderr", async () => {
    const app = await driverApp([]);
    expect(app.stdout.text).toBe(`${app.url}\n`);
    expect(await postJson(app.url, { prompt: "How are you?" })).toEqual({
      status: 200,
      body: "How are you?",
    });
    expect(await postJson(app.url, { prompt: "one. two", stop: ["."] })).toEqual({
      status: 200,
      body: "one",
    });
    expect((await postJson(app.url, { stop: [] })).status).toBe(400);
    const result = await app.stop();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${app.url}\n`);
    expect(result.stderr).toMatch(/# driver proxy app \(echo backend\) listening on 127\.0\.0\.1:/);
    expect(result.stderr).toMatch(/^POST \/ 200 \d+ms$/m);
    expect(result.stderr).toMatch(/^POST \/ 400 \d+ms \(missing required field "prompt"/m);
    await expect(fetch(app.url)).rejects.toThrow("fetch failed");
  });

  it("is silent on stderr with --quiet", async () => {
    const app = await driverApp(["--quiet"]);
    await postJson(app.url, { prompt: "x" });
    const result = await app.stop();
    expect(result).toEqual({ code: 0, stdout: `${app.url}\n`, stderr: "" });
  });

  it("forwards to a serving endpoint with endpoint:<name>", async () => {
    const workspace = await startFakeWorkspace();
    try {
      stubWorkspaceEnv(workspace.url);
      const app = await driverApp(["--backend", "endpoint:completions", "--timeout", "5"]);
      const answer = await postJson(app.url, {
        prompt: "Hi",
        stop: ["ZZ"],
        temperature: 0.3,
        max_tokens: 9,
        top_p: 0.5,
      });
      expect(answer).toEqual({ status: 200, body: "answer to: Hi" });
      const posted = workspace.requests.filter((r) => r.method === "POST").map((r) => r.body);
      expect(posted).toEqual([
        { prompt: "Hi", temperature: 0.3, max_tokens: 9, top_p: 0.5, stop: ["ZZ"] },
      ]);
      // Non-numeric sampling fields are not call options: they travel as plain body fields.
      await postJson(app.url, { prompt: "x", temperature: "warm" });
      const last = workspace.requests.filter((r) => r.method === "POST").at(-1)?.body;
      expect(last).toEqual({ prompt: "x", temperature: "warm" });
    } finally {
      await workspace.close();
    }
  });

  it("reports endpoint configuration errors at start with exit 1", async () => {
    stubWorkspaceEnv("");
    vi.stubEnv("DATABRICKS_TOKEN", "");
    vi.stubEnv("DATABRICKS_CONFIG_FILE", "");
    vi.stubEnv("HOME", mkdtempSync(join(tmpdir(), "cli-home-")));
    const result = await run(["driver-app", "--port", "0", "--backend", "endpoint:x"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^langchain-databricks: host was not set/);
  });

  it("warns about a port outside [3000, 8000] on stderr and reports a port in use with exit 1", async () => {
    const first = await driverApp(["--quiet"]);
    const port = new URL(first.url).port;
    const result = await run(["driver-app", "--port", port, "--host", "127.0.0.1"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^langchain-databricks: warning: driver proxy app port \d+ is outside/,
    );
    expect(lines[1]).toMatch(
      /^langchain-databricks: driver proxy app cannot listen on .*EADDRINUSE/,
    );
  });

  it("listens on 127.0.0.1 by default off a Databricks driver (host from the given env)", async () => {
    // On a driver (DATABRICKS_RUNTIME_VERSION set) the default is 0.0.0.0; tests never bind that,
    // so that branch is covered by the defaultDriverProxyHost unit tests.
    const app = start(["driver-app", "--port", "0", "--quiet"], {});
    running.push(app);
    const [, url] = await app.stdout.waitFor(/^(http:\/\/[^\s]+)\n/);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
