import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  run,
  startFakeWorkspace,
  stubWorkspaceEnv,
  TEST_TOKEN,
  type FakeWorkspace,
} from "./helpers.js";

let workspace: FakeWorkspace;
beforeAll(async () => {
  workspace = await startFakeWorkspace();
});
afterAll(async () => {
  await workspace.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  workspace.requests.length = 0;
  workspace.delayMs = 0;
});

const invocations = (): unknown[] =>
  workspace.requests.filter((r) => r.method === "POST").map((r) => r.body);

describe("invoke against a serving endpoint", () => {
  it("prints the answer and a newline, nothing else", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "completions", "How are you?"]);
    expect(result).toEqual({ code: 0, stdout: "answer to: How are you?\n", stderr: "" });
    expect(workspace.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/2.0/serving-endpoints/completions",
      "POST /serving-endpoints/completions/invocations",
    ]);
    expect(workspace.requests.every((r) => r.authorization === `Bearer ${TEST_TOKEN}`)).toBe(true);
  });

  it("sends stop, temperature and max_tokens, and skips the metadata lookup with --task", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run([
      "invoke",
      "--endpoint",
      "completions",
      "--task",
      "llm/v1/completions",
      "--stop",
      "ZZZ",
      "--stop",
      "\n\n",
      "--temperature",
      "0.1",
      "--max-tokens",
      "16",
      "--timeout",
      "10s",
      "Hi",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("answer to: Hi\n");
    expect(workspace.requests.map((r) => r.method)).toEqual(["POST"]);
    expect(invocations()).toEqual([
      { prompt: "Hi", temperature: 0.1, max_tokens: 16, stop: ["ZZZ", "\n\n"] },
    ]);
  });

  it("cuts the answer at a stop sequence", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "completions", "--stop", " to", "x"]);
    expect(result.stdout).toBe("answer\n");
  });

  it("reads the prompt from stdin when absent or '-', dropping one trailing newline", async () => {
    stubWorkspaceEnv(workspace.url);
    const piped = await run(["invoke", "--endpoint", "completions"], {
      stdin: "line one\nline two\n",
    });
    expect(piped).toEqual({ code: 0, stdout: "answer to: line one\nline two\n", stderr: "" });
    const dash = await run(["invoke", "--endpoint", "completions", "-"], { stdin: "dash\r\n" });
    expect(dash.stdout).toBe("answer to: dash\n");
    expect(invocations()).toEqual([{ prompt: "line one\nline two" }, { prompt: "dash" }]);
  });

  it("prints the text, the whole raw answer and the served model as JSON with --json", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "completions", "--json", "Hi"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.endsWith("}\n")).toBe(true);
    expect(JSON.parse(result.stdout)).toEqual({
      text: "answer to: Hi",
      response: {
        id: "cmpl-1",
        choices: [{ text: "answer to: Hi", index: 0, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      },
      servedModelName: "completions-model-1",
    });
  });

  it("--json keeps the raw answer uncut when a stop sequence cuts the text", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run([
      "invoke",
      "--endpoint",
      "completions",
      "--stop",
      " to",
      "--json",
      "x",
    ]);
    const parsed = JSON.parse(result.stdout) as { text: string; response: unknown };
    expect(parsed.text).toBe("answer");
    expect(parsed.response).toMatchObject({ choices: [{ text: "answer to: x" }] });
  });

  it("--json prints a custom model's predictions, without servedModelName when none is sent", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "custom", "--json", "Q"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      text: "custom: Q",
      response: { predictions: ["custom: Q"] },
    });
  });

  it("streams tokens as they arrive with --stream", async () => {
    stubWorkspaceEnv(workspace.url);
    const writes: string[] = [];
    const stdout = {
      text: "",
      write(chunk: string) {
        writes.push(chunk);
        this.text += chunk;
        return true;
      },
    };
    const result = await run(["invoke", "--endpoint", "completions", "--stream", "Hello"], {
      stdout: stdout as never,
    });
    expect(result.code).toBe(0);
    expect(stdout.text).toBe("answer to: Hello\n");
    expect(writes.length).toBeGreaterThanOrEqual(4); // three pieces + the newline
    const streamed = invocations()[0] as Record<string, unknown>;
    expect(streamed["stream"]).toBe(true);
  });

  it("answers custom-model endpoints through the dataframe_records envelope", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "custom", "--temperature", "0.5", "Q"]);
    expect(result.stdout).toBe("custom: Q\n");
    // temperature is only sent to llm/* endpoints (as in the Python class)
    expect(invocations()).toEqual([{ dataframe_records: [{ prompt: "Q" }] }]);
  });

  it("takes the workspace from --host", async () => {
    stubWorkspaceEnv("http://127.0.0.1:9"); // a closed port: only --host can make this work
    const result = await run([
      "invoke",
      "--host",
      workspace.url,
      "--endpoint",
      "completions",
      "Hi",
    ]);
    expect(result.stdout).toBe("answer to: Hi\n");
  });
});

describe("invoke against a driver proxy app", () => {
  it("posts to /driver-proxy-api/o/0/{cluster}/{port} with the fields as kwargs", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run([
      "invoke",
      "--cluster-id",
      "0101-abc",
      "--port",
      "7777",
      "--temperature",
      "0.2",
      "--max-tokens",
      "5",
      "--stop",
      "END",
      "How are you?",
    ]);
    expect(result).toEqual({ code: 0, stdout: "driver 0101-abc:7777: How are you?\n", stderr: "" });
    expect(workspace.requests.map((r) => r.path)).toEqual(["/driver-proxy-api/o/0/0101-abc/7777"]);
    expect(invocations()).toEqual([
      { prompt: "How are you?", temperature: 0.2, max_tokens: 5, stop: ["END"] },
    ]);
  });

  it("--json prints the app's raw JSON answer", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--cluster-id", "c1", "--port", "7777", "--json", "hi"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      text: "driver c1:7777: hi",
      response: "driver c1:7777: hi",
    });
  });

  it("uses DATABRICKS_CLUSTER_ID when only --port is given", async () => {
    stubWorkspaceEnv(workspace.url, { DATABRICKS_CLUSTER_ID: "0202-env" });
    const result = await run(["invoke", "--port", "7777", "hi"]);
    expect(result.stdout).toBe("driver 0202-env:7777: hi\n");
  });

  it("fails with exit 1 when no cluster id can be found", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--port", "7777", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^langchain-databricks: .*cluster_id.*\n$/);
    expect(result.stderr.split("\n")).toHaveLength(2);
  });
});

describe("invoke failures: exit 1, one line, no secrets", () => {
  it("reports an unknown endpoint", async () => {
    stubWorkspaceEnv(workspace.url);
    const result = await run(["invoke", "--endpoint", "nope", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^langchain-databricks: HTTP 404 RESOURCE_DOES_NOT_EXIST/);
    expect(result.stderr).toContain("Endpoint with name 'nope' does not exist.");
    expect(result.stderr.split("\n")).toHaveLength(2);
  });

  it("reports a rejected token without printing it", async () => {
    stubWorkspaceEnv(workspace.url, { DATABRICKS_TOKEN: "dapiffffffffffffffffffffffffffff" });
    const result = await run(["invoke", "--endpoint", "completions", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^langchain-databricks: HTTP 403 .*Invalid access token/);
    expect(result.stderr).not.toContain("dapiffffffffffffffffffffffffffff");
    expect(result.stderr).not.toContain(TEST_TOKEN);
    expect(result.stderr.split("\n")).toHaveLength(2);
  });

  it("reports missing configuration", async () => {
    stubWorkspaceEnv("");
    vi.stubEnv("DATABRICKS_TOKEN", "");
    vi.stubEnv("DATABRICKS_CONFIG_FILE", "");
    vi.stubEnv("HOME", mkdtempSync(join(tmpdir(), "cli-home-"))); // no ~/.databrickscfg
    const result = await run(["invoke", "--endpoint", "completions", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^langchain-databricks: host was not set/);
    expect(result.stderr.split("\n")).toHaveLength(2);
  });

  it("exits 130 when interrupted mid-request", async () => {
    stubWorkspaceEnv(workspace.url);
    workspace.delayMs = 5000;
    const controller = new AbortController();
    const started = Date.now();
    const pending = run(
      ["invoke", "--endpoint", "completions", "--task", "llm/v1/completions", "hi"],
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 100);
    const result = await pending;
    expect(result).toEqual({
      code: 130,
      stdout: "",
      stderr: "langchain-databricks: interrupted\n",
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
