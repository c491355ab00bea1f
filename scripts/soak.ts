/**
 * `npm run test:soak [-- --calls 100000] [-- --streams 10000]`: the load test's driver
 * (`tests/e2e/load_driver.ts`) run long. Not part of `npm test`: it takes minutes.
 *
 * 1. `--calls` calls in rounds of 5,000 (2,000 `Databricks.batch()` prompts, 2,000
 *    `ChatDatabricks.invoke()` calls, 1,000 `ChatDatabricks.stream()` calls), `maxConcurrency` 100,
 *    against echo endpoints that answer a seeded 10% of requests with 429 or 503;
 * 2. then a stream loop: `--streams` streamed `ChatDatabricks` answers in rounds of 1,000, one in
 *    {@link LONG_STREAMS}`.every` of them a long stream ({@link LONG_STREAMS}`.words` words, about
 *    one SSE frame each).
 *
 * Every answer is checked against its prompt and every phase against the server's counts, as in the
 * short test. After each round the heap (after full collections) and open sockets are sampled;
 * sockets are also sampled every 250 ms while calls run. The run fails (exit code 1) on any lost,
 * wrong or duplicated answer, a server that saw more than 100 requests at once, a heap that grew
 * more than {@link HEAP_GROWTH_LIMIT} between the first and the last round, more open sockets than
 * {@link SOCKET_BOUND} in any sample, sockets that rise over the rounds of a loop (more than
 * {@link SOCKET_TREND_LIMIT}), or sockets that do not close once idle. A summary is printed either
 * way.
 */
import { parseArgs } from "node:util";
import { machine } from "../bench/report.js";
import { packageVersion } from "../packages/langchain-databricks/src/cli/version.js";
import {
  describePhase,
  IDLE_SOCKETS_CLOSE_MS,
  LOAD_SETTINGS,
  LoadRig,
  openSockets,
  phaseViolations,
  sampleResources,
  waitForSockets,
  type LongStreams,
  type PhaseReport,
  type ResourceSample,
} from "../tests/e2e/load_driver.js";

// Builds inject the version; running the sources with tsx does not (as in the CLI's main.ts).
Object.assign(globalThis, { __PKG_VERSION__: packageVersion() });

const MAX_CONCURRENCY = LOAD_SETTINGS.maxConcurrency;
const MIXED_ROUND = { batch: 2_000, invoke: 2_000, stream: 1_000 };
const MIXED_ROUND_CALLS = MIXED_ROUND.batch + MIXED_ROUND.invoke + MIXED_ROUND.stream;
const STREAM_ROUND = 1_000;
/**
 * Heap growth allowed from the first round's sample (taken after the pool and V8 have warmed up)
 * to the last. 100,000 calls that each kept 100 bytes, a fraction of any request's objects,
 * would add 10 MB; the short test's round-to-round noise is below 1 MB.
 */
const HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;
const SOCKET_SAMPLE_MS = 250;
/**
 * The most open sockets any sample may show. Each request in flight holds one connection, two
 * sockets here (the client's and the emulator's ends both live in this process), so the limiter
 * allows 2 × maxConcurrency = 200 in steady use. The undici pool opens a connection when none is
 * free at the moment a request is sent, while one whose answer was just read is not back in the
 * pool yet: runs peaked at 294 and 302 (1.5 × that). Three times the steady figure leaves that churn twice
 * its room and still fails within one round if each call leaked a socket (5,000 a round).
 */
const SOCKET_BOUND = 3 * MAX_CONCURRENCY * 2;
/**
 * How far the mean socket count after the last third of a loop's rounds may exceed its mean after
 * the first third. Single rounds varied by up to 57 (137–194) with no trend; a mean over a third
 * of the rounds varies less. A leak of one connection per 2,000 calls would add 100 sockets over the
 * mixed loop's 100,000 calls, about 67 between the two thirds' means.
 */
const SOCKET_TREND_LIMIT = MAX_CONCURRENCY / 2;
/**
 * Long streams of the stream loop: one call in ten streams 2,000 words (about 2,010 frames, some
 * 580 KB with Databricks' cumulative usage on each chunk), so the loop also holds connections that
 * carry thousands of reads and inactivity-timer re-arms each.
 */
const LONG_STREAMS: LongStreams = { every: 10, words: 2_000 };

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "100000" },
    streams: { type: "string", default: "10000" },
  },
});
const totalCalls = Number(args.calls);
const totalStreams = Number(args.streams);
if (!(totalCalls >= MIXED_ROUND_CALLS) || !(totalStreams >= STREAM_ROUND)) {
  throw new Error(
    `--calls must be at least ${MIXED_ROUND_CALLS} and --streams at least ${STREAM_ROUND}.`,
  );
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<number> {
  const socketsBeforeStart = openSockets();
  const rig = new LoadRig(LOAD_SETTINGS);
  await rig.start();

  const reports: PhaseReport[] = [];
  const samples: RoundSample[] = [];
  let peakSockets = 0;
  const socketSampler = setInterval(() => {
    peakSockets = Math.max(peakSockets, openSockets());
  }, SOCKET_SAMPLE_MS);
  const started = performance.now();

  const record = (loop: RoundSample["loop"], label: string, phases: PhaseReport[]): void => {
    reports.push(...phases);
    const sample = sampleResources();
    samples.push({ loop, label, sample });
    const calls = phases.reduce((sum, phase) => sum + phase.calls, 0);
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    const violations = phases
      .flatMap((phase) => phaseViolations(phase, MAX_CONCURRENCY))
      .map((violation) => `\n  VIOLATION ${violation}`)
      .join("");
    console.log(
      `[${elapsed} s] ${label}: ${calls} calls, heap ${mb(sample.heapUsed)} MB, sockets ${sample.sockets}${violations}`,
    );
  };

  try {
    const mixedRounds = Math.floor(totalCalls / MIXED_ROUND_CALLS);
    for (let index = 1; index <= mixedRounds; index++) {
      record("mixed", `mixed round ${index}/${mixedRounds}`, [
        await rig.batchCompletions(MIXED_ROUND.batch),
        await rig.invokeChats(MIXED_ROUND.invoke),
        await rig.streamChats(MIXED_ROUND.stream),
      ]);
    }
    const streamRounds = Math.floor(totalStreams / STREAM_ROUND);
    for (let index = 1; index <= streamRounds; index++) {
      record("stream", `stream round ${index}/${streamRounds}`, [
        await rig.streamChats(STREAM_ROUND, LONG_STREAMS),
      ]);
    }
  } finally {
    clearInterval(socketSampler);
  }
  const durationMs = performance.now() - started;
  const socketsIdle = await waitForSockets(socketsBeforeStart, IDLE_SOCKETS_CLOSE_MS);
  await rig.close();

  return summarize({ reports, samples, peakSockets, socketsIdle, socketsBeforeStart, durationMs });
}

/** The resources sampled after one round, and which loop the round belongs to. */
const LOOPS = ["mixed", "stream"] as const;

interface RoundSample {
  loop: (typeof LOOPS)[number];
  label: string;
  sample: ResourceSample;
}

const mean = (values: number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/**
 * The mean socket count after the first third of a loop's rounds and after its last third: a rise
 * between them is a trend, not one busy round. Compared within one loop only, since the mixed and
 * stream rounds keep different numbers of connections busy. Undefined below three rounds.
 */
function socketThirds(
  loop: RoundSample["loop"],
  samples: RoundSample[],
): { rounds: number; first: number; last: number } | undefined {
  const counts = samples.filter((round) => round.loop === loop).map(({ sample }) => sample.sockets);
  const rounds = Math.floor(counts.length / 3);
  if (rounds === 0) return undefined;
  return { rounds, first: mean(counts.slice(0, rounds)), last: mean(counts.slice(-rounds)) };
}

const describeThirds = (
  loop: RoundSample["loop"],
  { rounds, first, last }: { rounds: number; first: number; last: number },
): string =>
  `sockets after the ${loop} rounds: mean ${first.toFixed(0)} after the first ${rounds}, ${last.toFixed(0)} after the last ${rounds} (rise limit +${SOCKET_TREND_LIMIT})`;

/** Print the summary (the figures docs/RELIABILITY.md records) and return the exit code. */
function summarize(run: {
  reports: PhaseReport[];
  samples: RoundSample[];
  peakSockets: number;
  socketsIdle: number;
  socketsBeforeStart: number;
  durationMs: number;
}): number {
  const { reports, samples } = run;
  const sum = (pick: (report: PhaseReport) => number): number =>
    reports.reduce((total, report) => total + pick(report), 0);
  const heaps = samples.map(({ sample }) => sample.heapUsed);
  const firstHeap = heaps[0] ?? 0;
  const lastHeap = heaps.at(-1) ?? 0;
  const roundSockets = samples.map(({ sample }) => sample.sockets);
  const violations = reports.flatMap((report) => phaseViolations(report, MAX_CONCURRENCY));
  if (lastHeap - firstHeap > HEAP_GROWTH_LIMIT) {
    violations.push(
      `heap grew ${mb(lastHeap - firstHeap)} MB from the first round to the last (limit ${mb(HEAP_GROWTH_LIMIT)} MB)`,
    );
  }
  const overBound = samples.filter(({ sample }) => sample.sockets > SOCKET_BOUND);
  if (overBound.length > 0) {
    violations.push(
      `${overBound.map(({ label, sample }) => `${sample.sockets} sockets after ${label}`).join(", ")} (bound ${SOCKET_BOUND})`,
    );
  }
  if (run.peakSockets > SOCKET_BOUND) {
    violations.push(`${run.peakSockets} sockets open while running (bound ${SOCKET_BOUND})`);
  }
  const trends = LOOPS.flatMap((loop) => {
    const thirds = socketThirds(loop, samples);
    return thirds === undefined ? [] : [{ loop, thirds }];
  });
  for (const { loop, thirds } of trends) {
    if (thirds.last - thirds.first > SOCKET_TREND_LIMIT)
      violations.push(`${describeThirds(loop, thirds)}: they rose`);
  }
  if (run.socketsIdle !== run.socketsBeforeStart) {
    violations.push(
      `${run.socketsIdle} sockets still open ${IDLE_SOCKETS_CLOSE_MS / 1000} s after the last call (${run.socketsBeforeStart} before start)`,
    );
  }
  const byKind = new Map<string, PhaseReport[]>();
  for (const report of reports)
    byKind.set(report.kind, [...(byKind.get(report.kind) ?? []), report]);

  console.log("\n## Soak summary\n");
  for (const [kind, phases] of byKind) {
    const merged = mergePhases(kind as PhaseReport["kind"], phases);
    console.log(`- ${describePhase(merged)}`);
  }
  const calls = sum((report) => report.calls);
  const succeeded = sum((report) => report.server.succeeded);
  const mc = machine();
  console.log(
    [
      `- calls ${calls}, server successes ${succeeded}, requests ${sum((r) => r.server.requests)}, ` +
        `injected faults ${sum((r) => r.server.throttled + r.server.unavailable)}, ` +
        `lost ${sum((r) => r.failedCalls)}, wrong ${sum((r) => r.wrongAnswers)}, ` +
        `duplicated ${Math.max(0, succeeded - calls)}`,
      `- max in flight ${Math.max(...reports.map((r) => r.server.maxInFlight))} (limit ${MAX_CONCURRENCY})`,
      `- heap after GC: first round ${mb(firstHeap)} MB, last ${mb(lastHeap)} MB, max ${mb(Math.max(...heaps))} MB, min ${mb(Math.min(...heaps))} MB (${samples.length} samples)`,
      `- sockets: before start ${run.socketsBeforeStart}, after rounds first ${roundSockets[0] ?? 0} / last ${roundSockets.at(-1) ?? 0} / min ${Math.min(...roundSockets)} / max ${Math.max(...roundSockets)}, ` +
        `peak while running ${run.peakSockets} (bound ${SOCKET_BOUND}), once idle ${run.socketsIdle} (client and server ends both count)`,
      ...trends.map(({ loop, thirds }) => `- ${describeThirds(loop, thirds)}`),
      `- duration ${(run.durationMs / 1000).toFixed(0)} s; Node ${mc.node}, ${mc.cores} × ${mc.cpuModel}, ${mc.memoryGiB} GiB RAM`,
      violations.length === 0 ? "\nPASS" : `\nFAIL\n${violations.map((v) => `- ${v}`).join("\n")}`,
    ].join("\n"),
  );
  return violations.length === 0 ? 0 : 1;
}

/** One report for every phase of a kind: counts added, the peak in flight kept. */
function mergePhases(kind: PhaseReport["kind"], phases: PhaseReport[]): PhaseReport {
  const total = (pick: (phase: PhaseReport) => number): number =>
    phases.reduce((sum, phase) => sum + pick(phase), 0);
  return {
    kind,
    calls: total((phase) => phase.calls),
    ...(phases.some((phase) => phase.streamed !== undefined)
      ? {
          streamed: {
            chunks: total((phase) => phase.streamed?.chunks ?? 0),
            longCalls: total((phase) => phase.streamed?.longCalls ?? 0),
          },
        }
      : {}),
    wrongAnswers: total((phase) => phase.wrongAnswers),
    failedCalls: total((phase) => phase.failedCalls),
    problems: phases.flatMap((phase) => phase.problems).slice(0, 5),
    durationMs: total((phase) => phase.durationMs),
    server: {
      requests: total((phase) => phase.server.requests),
      succeeded: total((phase) => phase.server.succeeded),
      throttled: total((phase) => phase.server.throttled),
      unavailable: total((phase) => phase.server.unavailable),
      otherStatuses: total((phase) => phase.server.otherStatuses),
      maxInFlight: Math.max(...phases.map((phase) => phase.server.maxInFlight)),
    },
  };
}

process.exitCode = await main();
