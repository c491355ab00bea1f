import type { Databricks, DatabricksInput } from "langchain-databricks";
import { describe, expect, it, vi } from "vitest";
import { AdaptiveLimit } from "../../src/cli/batch/concurrency.js";
import { OrderedWriter } from "../../src/cli/batch/output.js";
import {
  createProgress,
  formatDuration,
  percentile,
  progressBar,
  progressLine,
  type BatchCounts,
} from "../../src/cli/batch/progress.js";
import { isRetryable, parseRetryAfter, retryDelayMs } from "../../src/cli/batch/retry.js";
import { runBatch } from "../../src/cli/commands/batch.js";
import { Capture, run, startFakeWorkspace, stubWorkspaceEnv } from "./helpers.js";
import { Readable } from "node:stream";

describe("AdaptiveLimit", () => {
  it("starts modestly, halves once per window on throttling, climbs back on success", () => {
    const limit = new AdaptiveLimit(16);
    expect(limit.limit).toBe(4);
    const epoch = limit.currentEpoch;
    limit.onThrottled(epoch, 1000, 0);
    // Requests already in flight when it halved do not halve it again.
    limit.onThrottled(epoch, 500, 0);
    expect(limit.limit).toBe(2);
    // While there is concurrency to give back, nothing is paused: only the throttled prompt waits.
    expect(limit.pausedUntil).toBe(0);
    limit.onThrottled(limit.currentEpoch, 0, 0);
    expect(limit.limit).toBe(1);
    // At 1, the only back-off left is a pause of every new request for Retry-After.
    limit.onThrottled(limit.currentEpoch, 700, 0);
    expect(limit.limit).toBe(1);
    expect(limit.pausedUntil).toBe(700);
    for (let i = 0; i < 1 + 2 + 3; i++) limit.onSuccess();
    expect(limit.limit).toBe(4);
    for (let i = 0; i < 1000; i++) limit.onSuccess();
    expect(limit.limit).toBe(16);
    expect(new AdaptiveLimit(2).limit).toBe(2);
  });

  it("climbs under sparse random throttling (a steady 10% of 429s), instead of staying at 1", () => {
    const limit = new AdaptiveLimit(16);
    // Deterministic 10%: every tenth answer is a 429 for a request of the current window.
    let sum = 0;
    let highest = 0;
    for (let i = 1; i <= 2000; i++) {
      if (i % 10 === 0) limit.onThrottled(limit.currentEpoch, 1000, 0);
      else limit.onSuccess();
      sum += limit.limit;
      highest = Math.max(highest, limit.limit);
    }
    // A saw-tooth between 2 and 5 (before: pinned at 1, with every 429 pausing the whole run).
    expect(sum / 2000).toBeGreaterThan(3);
    expect(highest).toBeGreaterThanOrEqual(5);
    expect(limit.pausedUntil).toBe(0);
  });
});

describe("retry policy", () => {
  it("reads Retry-After as seconds or an HTTP date, capped", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0")).toBe(0);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(retryDelayMs({ status: 429, headers: { "retry-after": "3" } }, 1)).toBe(3000);
    expect(retryDelayMs({ status: 429, headers: { "retry-after": "3600" } }, 1)).toBe(60_000);
    const backoff = retryDelayMs({ status: 500, headers: {} }, 3);
    expect(backoff).toBeGreaterThan(1400);
    expect(backoff).toBeLessThanOrEqual(2000);
  });

  it("retries throttling, server errors and connection failures, not client errors", () => {
    expect([429, 500, 502, 503, 504, 408].every((status) => isRetryable({ status }))).toBe(true);
    expect([400, 401, 403, 404].some((status) => isRetryable({ status }))).toBe(false);
    expect(isRetryable({ name: "DatabricksTimeoutError" })).toBe(true);
    expect(isRetryable(new TypeError("bug"))).toBe(false);
  });
});

describe("progress", () => {
  const counts: BatchCounts = {
    total: 5000,
    ok: 1195,
    failed: 5,
    retried: 57,
    skipped: 0,
    concurrency: 12,
  };
  it("draws a line and a bar", () => {
    expect(progressLine(counts, 3000)).toBe(
      "batch: 1200/5000 (24%) ok 1195, failed 5, retried 57 | 400.0/s | ETA 10s | concurrency 12",
    );
    expect(progressBar(counts)).toBe("[######------------------]");
  });
  it("draws the bar in place on a terminal and ends it with a newline", () => {
    const stderr = Object.assign(new Capture(), { isTTY: true });
    const progress = createProgress(stderr, () => counts, {
      quiet: false,
      intervalMs: 5000,
      startedAt: Date.now(),
    });
    progress.start();
    progress.stop();
    expect(stderr.text).toMatch(/^\r\[######-{18}\] batch: 1200\/5000 \(24%\) .*\n$/);
    expect(stderr.text).toContain("\x1b[K");
    const quiet = new Capture();
    createProgress(quiet, () => counts, { quiet: true, intervalMs: 1, startedAt: 0 }).stop();
    expect(quiet.text).toBe("");
  });

  it("formats durations and percentiles", () => {
    expect([950, 12_000, 185_000, 3_720_000].map(formatDuration)).toEqual([
      "950ms",
      "12s",
      "3m05s",
      "1h02m",
    ]);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(
      percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 95),
    ).toBe(19);
    expect(percentile([], 95)).toBe(0);
  });
});

describe("OrderedWriter", () => {
  const sink = () => {
    const lines: string[] = [];
    return { lines, write: (line: string) => lines.push(line), close: async () => undefined };
  };
  it("holds results back until earlier ones are written, or not with completed", () => {
    const ordered = sink();
    const writer = new OrderedWriter(ordered, "input");
    writer.write(1, { id: "b", text: "B", latencyMs: 1 });
    expect(ordered.lines).toEqual([]);
    writer.write(0, { id: "a", text: "A", latencyMs: 1 });
    expect(ordered.lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["a", "b"]);
    writer.write(3, { id: "d", text: "D", latencyMs: 1 });
    writer.flushHeld();
    expect(ordered.lines).toHaveLength(3);

    const completed = sink();
    new OrderedWriter(completed, "completed").write(5, { id: "x", text: "X", latencyMs: 1 });
    expect(completed.lines).toHaveLength(1);
  });
});

describe("batch --batch-size", () => {
  it("passes batchSize to the Databricks LLM (library retries off) and sends prompts in groups", async () => {
    const created: DatabricksInput[] = [];
    const groups: string[][] = [];
    const fake = {
      generate: async (prompts: string[]) => {
        groups.push(prompts);
        return { generations: prompts.map((p) => [{ text: `re: ${p}` }]) };
      },
    } as unknown as Databricks;
    const stdout = new Capture();
    const code = await runBatch(
      {
        argv: [],
        stdin: Readable.from([
          Buffer.from(["a", "b", "c", "d", "e"].map((p) => `"${p}"\n`).join("")),
        ]),
        stdout,
        stderr: new Capture(),
        env: {},
      },
      ["--endpoint", "custom", "--batch-size", "3", "--quiet"],
      (options) => {
        created.push(options);
        return fake;
      },
    );
    expect(code).toBe(0);
    expect(created).toEqual([{ endpoint: "custom", maxRetries: 0, batchSize: 3 }]);
    expect(groups).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    expect(
      stdout.text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(
      ["a", "b", "c", "d", "e"].map((p, i) => ({
        id: i + 1,
        text: `re: ${p}`,
        latencyMs: expect.any(Number),
      })),
    );
  });
});

describe("batch command line", () => {
  it("prints its help, and refuses bad flags with a usage error", async () => {
    expect((await run(["batch", "--help"])).stdout).toMatch(/^Usage: langchain-databricks batch/);
    expect((await run(["help", "embed"])).stdout).toMatch(/^Usage: langchain-databricks embed/);
    const cases: [string[], string][] = [
      [["--order", "random"], "--order must be input or completed, got 'random'"],
      [["--max-concurrency", "0"], "--max-concurrency must be an integer from 1 to 10000, got '0'"],
      [["--max-retries", "101"], "--max-retries must be an integer from 0 to 100, got '101'"],
      [["--batch-size", "x"], "--batch-size must be an integer from 1 to 10000, got 'x'"],
      [["--progress-interval", "0"], "--progress-interval must be a positive duration"],
    ];
    for (const [args, message] of cases) {
      const result = await run(["batch", "--endpoint", "e", ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    const noTarget = await run(["batch", "--input", "x.jsonl"]);
    expect(noTarget.stderr).toContain("no target: pass --endpoint NAME, or --port PORT");
    const missing = await run(["batch", "--endpoint", "e", "--input", "/nonexistent/in.jsonl"]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain("cannot read --input /nonexistent/in.jsonl: no such file");
  });

  it("sends prompts to a driver proxy app with invoke's flags", async () => {
    const workspace = await startFakeWorkspace();
    try {
      stubWorkspaceEnv(workspace.url);
      const result = await run(["batch", "--cluster-id", "0101-abc", "--port", "7777", "--quiet"], {
        stdin: '"one"\n"two"\n',
      });
      expect(result.code).toBe(0);
      expect(
        result.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual([
        { id: 1, text: "driver 0101-abc:7777: one", latencyMs: expect.any(Number) },
        { id: 2, text: "driver 0101-abc:7777: two", latencyMs: expect.any(Number) },
      ]);
    } finally {
      vi.unstubAllEnvs();
      await workspace.close();
    }
  });
});
