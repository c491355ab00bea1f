/**
 * Load (issue 10): 3,000 calls through the emulator at `maxConcurrency` 100 while it answers a
 * seeded 10% of requests with 429 or 503. Every call must get its own prompt's answer exactly
 * once, the server must never see more than 100 requests at once, and the heap and open sockets
 * must come back to where they were. `npm run test:soak` runs the same driver for 100,000 calls.
 *
 * No timing is asserted: the run time is logged (docs/RELIABILITY.md records it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describePhase,
  IDLE_SOCKETS_CLOSE_MS,
  LOAD_SETTINGS,
  LoadRig,
  openSockets,
  phaseViolations,
  sampleResources,
  waitForSockets,
  type PhaseReport,
} from "./load_driver.js";

const MAX_CONCURRENCY = LOAD_SETTINGS.maxConcurrency;
/** Calls per model kind in the measured round: 1,200 + 1,200 + 600 = 3,000. */
const MEASURED = { batch: 1_200, invoke: 1_200, stream: 600 };
/**
 * The warm-up round lets V8 compile the hot paths and the libraries create their one-time state
 * (LangChain's callback machinery, undici's pool), which grows the heap once; measured from a
 * cold start, that first growth (about 2 MB here) would hide a leak or fake one.
 */
const WARM_UP = { batch: 400, invoke: 400, stream: 200 };
/**
 * Heap growth allowed over the measured round, after full collections and with no connection
 * open. Over runs after warm-up it moved by 0.2–0.7 MB (GC timing, V8 feedback); a leak of 700
 * bytes per call, less than one retained request body with its headers, would add 2 MB.
 */
const HEAP_GROWTH_LIMIT = 2 * 1024 * 1024;
const rig = new LoadRig(LOAD_SETTINGS);

async function round(sizes: typeof MEASURED): Promise<PhaseReport[]> {
  return [
    await rig.batchCompletions(sizes.batch),
    await rig.invokeChats(sizes.invoke),
    await rig.streamChats(sizes.stream),
  ];
}

let socketsBeforeStart = 0;
beforeAll(async () => {
  socketsBeforeStart = openSockets();
  await rig.start();
});
afterAll(() => rig.close());

describe("load: 3,000 calls at maxConcurrency 100 with 10% of requests answered 429 or 503", () => {
  it("answers every call once with its own prompt, within the limit, and leaks nothing", async () => {
    const warmUp = await round(WARM_UP);
    expect(warmUp.flatMap((report) => phaseViolations(report, MAX_CONCURRENCY))).toEqual([]);
    // The heap is compared with no connection open, before and after: each pooled connection
    // holds buffers on both ends, and how many the pool keeps varies from run to run.
    await waitForSockets(socketsBeforeStart, IDLE_SOCKETS_CLOSE_MS);
    const before = sampleResources();

    const started = performance.now();
    const reports = await round(MEASURED);
    const durationMs = performance.now() - started;
    const busy = sampleResources();
    const socketsIdle = await waitForSockets(socketsBeforeStart, IDLE_SOCKETS_CLOSE_MS);
    const after = sampleResources();

    const calls = reports.reduce((sum, report) => sum + report.calls, 0);
    const faults = reports.reduce(
      (sum, { server }) => sum + server.throttled + server.unavailable,
      0,
    );
    const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    // The figures docs/RELIABILITY.md records; stdout because the lint rules keep console for warnings.
    process.stdout.write(
      `${[
        ...reports.map(describePhase),
        `${calls} calls, ${faults} injected faults retried, in ${(durationMs / 1000).toFixed(1)} s; ` +
          `heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB (${mb(busy.heapUsed)} MB with the ` +
          `pool open); sockets ${busy.sockets} right after, ${socketsIdle} once idle (${socketsBeforeStart} before)`,
      ].join("\n")}\n`,
    );

    expect(calls).toBe(3_000);
    expect(reports.flatMap((report) => phaseViolations(report, MAX_CONCURRENCY))).toEqual([]);
    // The faults were really injected (about 10% of requests), and in both kinds.
    expect(faults).toBeGreaterThan(calls * 0.05);
    expect(reports.every(({ server }) => server.throttled > 0 && server.unavailable > 0)).toBe(
      true,
    );
    // Concurrency was really used (100 in flight, as a rule). The bound is lower because a phase
    // that starts on a cold pool on a busy machine opens its connections more slowly than the
    // server answers; a client that serialised its calls would show 1.
    for (const { server } of reports)
      expect(server.maxInFlight).toBeGreaterThan(MAX_CONCURRENCY / 4);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_GROWTH_LIMIT);
    expect(socketsIdle).toBe(socketsBeforeStart);
    // 9–20 s alone on 2 shared cores, of which ~6 s wait for idle sockets (twice); the full
    // suite's parallel files can slow it several times, which is not a failure of this test.
  }, 120_000);
});
