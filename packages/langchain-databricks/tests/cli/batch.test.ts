import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Capture, run, stubWorkspaceEnv, TEST_TOKEN } from "./helpers.js";

/** The real executable, as in process.test.ts. */
const ENTRY = ["--import", "tsx", new URL("../../src/cli/main.ts", import.meta.url).pathname];

let emulator: EmulatorHandle;
/** Requests to `gated` wait here until every other prompt of the batch has been answered. */
let gate: { open: () => void; opened: Promise<void> };
function newGate(): void {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gate = { open, opened };
}

beforeAll(async () => {
  newGate();
  emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    tokens: [TEST_TOKEN],
    endpoints: [
      ...(defaultEmulatorOptions().endpoints ?? []),
      // Answers with the prompt, so every result can be checked against its id.
      { name: "echo", task: "llm/v1/completions", backend: { type: "echo" } },
      {
        name: "gated",
        task: "llm/v1/completions",
        backend: {
          type: "function",
          fn: async (request) => {
            if (request.prompt === "last to finish") await gate.opened;
            else if (request.prompt === "opens the gate") gate.open();
            return `echo: ${request.prompt}`;
          },
        },
      },
    ],
  });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  emulator.clearFaults();
  newGate();
});

const tempFile = (name: string): string => join(mkdtempSync(join(tmpdir(), "ldb-batch-")), name);

interface Result {
  id: string | number;
  text?: string;
  error?: { message: string; status?: number; code?: string };
  attempts?: number;
  latencyMs?: number;
  servedModel?: string;
}

const parseResults = (text: string): Result[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Result);

/** `n` prompts `{"id": "p<i>", "prompt": "prompt <i>"}`, one per line. */
const prompts = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `${JSON.stringify({ id: `p${i}`, prompt: `prompt ${i}` })}\n`,
  ).join("");

/** Every id of `results`, asserting each appears once. */
function uniqueIds(results: Result[]): (string | number)[] {
  const ids = results.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}

describe("batch", () => {
  it("answers in input order: object lines, string lines (id = line number), bad lines as errors", async () => {
    stubWorkspaceEnv(emulator.url);
    const input = [
      JSON.stringify({ id: "a", prompt: "first" }),
      JSON.stringify("a bare string"),
      "",
      "{not json",
      JSON.stringify({ id: 70, prompt: "numeric id" }),
      JSON.stringify({ id: "no-prompt" }),
      JSON.stringify("after a blank line"),
    ].join("\n");
    const result = await run(["batch", "--endpoint", "echo", "--quiet"], { stdin: `${input}\n` });
    // Some results are errors: exit 1, but the job went on past them.
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const results = parseResults(result.stdout);
    expect(results.map((r) => [r.id, r.text ?? r.error?.code])).toEqual([
      ["a", "first"],
      [2, "a bare string"],
      [4, "INVALID_INPUT"],
      [70, "numeric id"],
      ["no-prompt", "INVALID_INPUT"],
      [7, "after a blank line"],
    ]);
    expect(results[2]?.error?.message).toMatch(/^line 4 is not JSON/);
    expect(results[4]?.error?.message).toBe('line 6: "prompt" must be a string');
    expect(results[0]).toMatchObject({ servedModel: "echo-1" });
    expect(typeof results[0]?.latencyMs).toBe("number");
  });

  it("--batch-size packs prompts as rows of one request to a custom model (dolly)", async () => {
    stubWorkspaceEnv(emulator.url);
    emulator.resetStats();
    const result = await run(["batch", "--endpoint", "dolly", "--batch-size", "4", "--quiet"], {
      stdin: prompts(10),
    });
    expect(result.code).toBe(0);
    const results = parseResults(result.stdout);
    expect(uniqueIds(results)).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
    expect(results.every((r) => typeof r.text === "string" && r.text !== "")).toBe(true);
    // 10 prompts in rows of 4: three requests, not ten.
    expect(emulator.stats().endpoints["dolly"]?.requests).toBe(3);
  });

  it("writes results as they complete with --order completed, in input order by default", async () => {
    stubWorkspaceEnv(emulator.url);
    // The first prompt is held until the test has seen the two others written.
    const stdout = new Capture();
    void stdout.waitFor(/"id":2[^]*"id":3|"id":3[^]*"id":2/).then(() => gate.open());
    const completed = await run(
      ["batch", "--endpoint", "gated", "--order", "completed", "--quiet"],
      {
        stdin: ["last to finish", "b", "c"].map((prompt) => `${JSON.stringify(prompt)}\n`).join(""),
        stdout,
      },
    );
    expect(completed.code).toBe(0);
    const ids = uniqueIds(parseResults(completed.stdout));
    expect(ids.at(-1)).toBe(1);
    expect(ids.sort()).toEqual([1, 2, 3]);

    newGate();
    const input = ["last to finish", "opens the gate", "third"]
      .map((prompt, i) => `${JSON.stringify({ id: i + 1, prompt })}\n`)
      .join("");
    const ordered = await run(["batch", "--endpoint", "gated", "--quiet"], { stdin: input });
    expect(parseResults(ordered.stdout).map((r) => [r.id, r.text])).toEqual([
      [1, "echo: last to finish"],
      [2, "echo: opens the gate"],
      [3, "echo: third"],
    ]);
  });

  it("retries injected 429s (Retry-After honoured), answers each prompt once, counts the retries", async () => {
    stubWorkspaceEnv(emulator.url);
    emulator.setFault("echo", { failNext: { count: 6, status: 429, retryAfterSeconds: 0 } });
    const output = tempFile("results.jsonl");
    const result = await run(["batch", "--endpoint", "echo", "--output", output], {
      stdin: prompts(20),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const results = parseResults(readFileSync(output, "utf8"));
    expect(uniqueIds(results)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect(results.every((r, i) => r.text === `prompt ${i}`)).toBe(true);
    expect(result.stderr).toMatch(
      /^batch: 20 prompts: 20 ok, 0 failed, 0 skipped \(answered before\); 6 retried; .*\/s; latency p50 \d+ms, p95 \d+ms\n$/m,
    );
  });

  it("records an error result after --max-retries, then retries it on resume", async () => {
    stubWorkspaceEnv(emulator.url);
    emulator.setFault("echo", { failNext: { count: 2, status: 503, retryAfterSeconds: 0 } });
    const output = tempFile("results.jsonl");
    const first = await run(
      [
        "batch",
        "--endpoint",
        "echo",
        "--output",
        output,
        "--max-retries",
        "0",
        "--max-concurrency",
        "1",
      ],
      { stdin: prompts(5) },
    );
    expect(first.code).toBe(1);
    const failed = parseResults(readFileSync(output, "utf8")).filter((r) => r.error);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({
      error: { status: 503, code: "TEMPORARILY_UNAVAILABLE" },
      attempts: 1,
    });
    expect(JSON.stringify(failed)).not.toContain(TEST_TOKEN);
    expect(first.stderr).toMatch(/3 ok, 2 failed, 0 skipped \(answered before\); 0 retried/);

    const second = await run(["batch", "--endpoint", "echo", "--output", output, "--quiet"], {
      stdin: prompts(5),
    });
    expect(second.code).toBe(0);
    const results = parseResults(readFileSync(output, "utf8"));
    expect(uniqueIds(results).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(results.every((r) => r.text !== undefined)).toBe(true);
  });

  it("resumes over a results file whose last line was cut short by a crash", async () => {
    stubWorkspaceEnv(emulator.url);
    const output = tempFile("results.jsonl");
    writeFileSync(
      output,
      [
        JSON.stringify({ id: "p0", text: "kept", latencyMs: 1 }),
        JSON.stringify({ id: "p1", error: { message: "x" }, attempts: 1 }),
        JSON.stringify({ id: "p2", text: "kept too", latencyMs: 1 }),
        '{"id":"p3","text":"cut sh',
      ].join("\n"),
    );
    const result = await run(["batch", "--endpoint", "echo", "--output", output], {
      stdin: prompts(5),
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/3 ok, 0 failed, 2 skipped/);
    const results = parseResults(readFileSync(output, "utf8"));
    expect(results.map((r) => [r.id, r.text])).toEqual([
      ["p0", "kept"],
      ["p2", "kept too"],
      ["p1", "prompt 1"],
      ["p3", "prompt 3"],
      ["p4", "prompt 4"],
    ]);
  });

  it("prints progress lines on a non-terminal stderr", async () => {
    stubWorkspaceEnv(emulator.url);
    emulator.setFault("echo", { latencyMs: 40 });
    const result = await run(
      ["batch", "--endpoint", "echo", "--max-concurrency", "2", "--progress-interval", "10ms"],
      { stdin: prompts(8) },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^batch: \d+\/8 \(\d+%\) ok \d+, failed 0, retried 0 \| [\d.]+\/s \| ETA \S+ \| concurrency \d+$/m,
    );
    expect(result.stderr).toMatch(/^batch: 8 prompts: 8 ok/m);
  });

  it("refuses duplicate ids before any request", async () => {
    stubWorkspaceEnv(emulator.url);
    const before = emulator.stats().total;
    const result = await run(["batch", "--endpoint", "echo"], {
      stdin: `${JSON.stringify({ id: 1, prompt: "a" })}\n"b"\n${JSON.stringify({ id: 1, prompt: "c" })}\n`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("duplicate ids in the input: 1 (ids must be unique");
    expect(emulator.stats().total).toBe(before);
  });

  it("stops at once when the endpoint does not exist, writing no result", async () => {
    stubWorkspaceEnv(emulator.url);
    const result = await run(["batch", "--endpoint", "no-such-endpoint", "--quiet"], {
      stdin: prompts(10),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^langchain-databricks: HTTP 404 .*no-such-endpoint/);
    expect(result.stderr).not.toContain(TEST_TOKEN);
  });

  it("stops at the first answer of an embeddings endpoint, pointing at embed", async () => {
    stubWorkspaceEnv(emulator.url);
    const result = await run(["batch", "--endpoint", "databricks-embeddings", "--quiet"], {
      stdin: prompts(3),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "'databricks-embeddings' is an embeddings endpoint (task llm/v1/embeddings): use 'langchain-databricks embed",
    );
  });

  it("interrupted in-process: keeps what was written, exits 130, and a rerun finishes", async () => {
    stubWorkspaceEnv(emulator.url);
    emulator.setFault("echo", { latencyMs: 30 });
    const output = tempFile("results.jsonl");
    const controller = new AbortController();
    const running = run(
      ["batch", "--endpoint", "echo", "--output", output, "--max-concurrency", "2", "--quiet"],
      { stdin: prompts(40), signal: controller.signal },
    );
    await waitForLines(output, 3);
    controller.abort();
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(
      /interrupted: \d+ of 40 results written; rerun with the same --output/,
    );
    const partial = uniqueIds(parseResults(readFileSync(output, "utf8")));
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(partial.length).toBeLessThan(40);

    emulator.clearFaults();
    const rerun = await run(["batch", "--endpoint", "echo", "--output", output, "--quiet"], {
      stdin: prompts(40),
    });
    expect(rerun.code).toBe(0);
    expect(uniqueIds(parseResults(readFileSync(output, "utf8"))).length).toBe(40);
  });
});

describe("the batch process", () => {
  const env = (): Record<string, string> => ({
    DATABRICKS_HOST: emulator.url,
    DATABRICKS_TOKEN: TEST_TOKEN,
    DATABRICKS_CONFIG_FILE: "/nonexistent/.databrickscfg",
  });

  it("killed after some results: a rerun answers every id exactly once", async () => {
    emulator.setFault("echo", { latencyMs: 30 });
    const input = tempFile("prompts.jsonl");
    writeFileSync(input, prompts(30));
    const output = tempFile("results.jsonl");
    const child = spawnBatch(
      ["--input", input, "--output", output, "--max-concurrency", "2"],
      env(),
    );
    await waitForLines(output, 4);
    child.kill("SIGKILL");
    await child.exited;
    // A crash mid-write leaves half a line; simulate the worst case on top of the kill.
    appendFileSync(output, '{"id":"p29","te');

    emulator.clearFaults();
    stubWorkspaceEnv(emulator.url);
    const result = await run(["batch", "--endpoint", "echo", "--input", input, "--output", output]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/ok, 0 failed, ([4-9]|[12]\d) skipped/);
    const results = parseResults(readFileSync(output, "utf8"));
    expect(uniqueIds(results).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`).sort());
  });

  it("on SIGINT keeps what was written and exits 130", async () => {
    emulator.setFault("echo", { latencyMs: 50 });
    const input = tempFile("prompts.jsonl");
    writeFileSync(input, prompts(40));
    const output = tempFile("results.jsonl");
    const child = spawnBatch(
      ["--input", input, "--output", output, "--max-concurrency", "2", "--quiet"],
      env(),
    );
    await waitForLines(output, 3);
    child.kill("SIGINT");
    const exit = await child.exited;
    expect(exit.code).toBe(130);
    expect(exit.stderr).toMatch(/interrupted: \d+ of 40 results written/);
    const results = parseResults(readFileSync(output, "utf8"));
    expect(uniqueIds(results).length).toBeGreaterThanOrEqual(3);
    expect(results.every((r) => r.text !== undefined)).toBe(true);
  });
});

/** Resolve once `path` holds at least `n` complete lines. */
async function waitForLines(path: string, n: number): Promise<void> {
  for (;;) {
    if (existsSync(path) && readFileSync(path, "utf8").split("\n").length > n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function spawnBatch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [...ENTRY, "batch", "--endpoint", "echo", ...args], {
    env: { ...process.env, NO_PROXY: "*", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stderr })),
  );
  return { kill: (signal: NodeJS.Signals) => child.kill(signal), exited };
}
