/**
 * The load driver shared by the short load test (`tests/e2e/load.test.ts`, part of `npm test`) and
 * the soak (`scripts/soak.ts`, `npm run test:soak`): one emulator whose endpoints echo each prompt
 * back and fail a seeded share of requests with 429 or 503, the three ways a user drives many
 * calls (`Databricks.batch()`, `ChatDatabricks.invoke()` under `Promise.all`, `ChatDatabricks.stream()`),
 * and the evidence: every answer checked against its own prompt, the server's request and status
 * counts, its peak concurrency, the heap after a full garbage collection, and open sockets.
 *
 * Everything listens on 127.0.0.1 (the emulator's default host).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startEmulator, type EmulatorHandle, type FaultSpec } from "databricks-serving-emulator";
import { ChatDatabricks, Databricks } from "langchain-databricks";

/** The completions endpoint `Databricks.batch()` drives. */
export const COMPLETIONS_ENDPOINT = "load-completions";
/** The chat endpoint `ChatDatabricks` invokes and streams. */
export const CHAT_ENDPOINT = "load-chat";

export interface LoadSettings {
  /** The client's limit on requests in flight (batch option and `ChatDatabricks` instance option). */
  maxConcurrency: number;
  /** Share of requests the emulator answers 429 or 503 (half each, drawn per failure). */
  failRatio: number;
  /** Seed of the emulator's fault draws, so a run's failures are reproducible. */
  seed: number;
  /**
   * Retries per call. Above the default 3 on purpose: with 10% of requests failing, four failures
   * in a row strike one call in 10,000, which the soak's 100,000 calls would hit about ten times:
   * a correct give-up, but not what these runs measure (losses and duplicates of the machinery).
   */
  maxRetries: number;
  /** Backoff base in ms: small so that thousands of retries cost seconds, not minutes. */
  retryBaseDelayMs: number;
  /**
   * Time the emulator holds each request before answering: without it an echo answer is produced
   * faster than the next request arrives, and the server never sees the client's concurrency.
   */
  serverLatencyMs: number;
}

/**
 * The settings of both runs. 20 ms of server latency lets 100 requests pile up even when a busy
 * machine slows the client, and still allows 5,000 answers/s, more than the client reaches.
 */
export const LOAD_SETTINGS: Readonly<LoadSettings> = {
  maxConcurrency: 100,
  failRatio: 0.1,
  seed: 2026,
  maxRetries: 10,
  retryBaseDelayMs: 5,
  serverLatencyMs: 20,
};

/**
 * How long idle sockets may take to close: the emulator closes keep-alive connections after 5 s
 * idle (undici closes its end a little before, from the `Keep-Alive: timeout=5` hint); twice that.
 */
export const IDLE_SOCKETS_CLOSE_MS = 10_000;

/**
 * Long streams: every `every`-th call of a stream phase asks for an answer of `words` words, which
 * the echo endpoint streams back about one word per SSE frame, so one connection carries a stream
 * of that many frames (the client parses each one and re-arms its inactivity timer for each).
 */
export interface LongStreams {
  every: number;
  words: number;
}

/** What the server saw on one endpoint during one phase. */
export interface ServerCounts {
  /** Requests received, whatever their answer. */
  requests: number;
  /** Requests answered 200. */
  succeeded: number;
  /** Requests answered with an injected 429 or 503 (each one retried by the client). */
  throttled: number;
  unavailable: number;
  /** Requests answered with any other status: there should be none. */
  otherStatuses: number;
  /** Peak of requests in flight at once. */
  maxInFlight: number;
}

/** The outcome of one phase: `calls` calls of one kind, each answer checked against its prompt. */
export interface PhaseReport {
  kind: "Databricks.batch" | "ChatDatabricks.invoke" | "ChatDatabricks.stream";
  calls: number;
  /** Stream phases: the chunks the streams yielded, and how many of the calls were long. */
  streamed?: { chunks: number; longCalls: number };
  /** Calls that answered another prompt's text (a swapped or duplicated answer). */
  wrongAnswers: number;
  /** Calls that failed (an error instead of an answer). */
  failedCalls: number;
  /** The first few problems, to say what went wrong. */
  problems: string[];
  server: ServerCounts;
  durationMs: number;
}

/** Process-wide resources, sampled between and during phases. */
export interface ResourceSample {
  /** `heapUsed` in bytes after a full garbage collection. */
  heapUsed: number;
  /** Open TCP sockets of this process: client and emulator ends of each connection both count. */
  sockets: number;
}

const PROBLEMS_KEPT = 5;
const STATUS_LINE = /^POST \/serving-endpoints\/([^/]+)\/invocations (\d{3}) /;

/**
 * A full garbage collection. Uses `global.gc` when Node runs with `--expose-gc`; otherwise turns
 * the flag on at run time and takes `gc` from a fresh context (V8 installs it there once the flag
 * is set), so neither vitest's workers nor `tsx` need special options.
 */
export const collectGarbage: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

/** Open TCP sockets of this process (`TCPSocketWrap` handles; listening servers are not counted). */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;
}

/** Heap after two full collections (the second frees what finalizers of the first released). */
export function sampleResources(): ResourceSample {
  collectGarbage();
  collectGarbage();
  return { heapUsed: process.memoryUsage().heapUsed, sockets: openSockets() };
}

/** The prompt of call `index` of phase `phase`: unique, so each answer names its call. */
function promptOf(phase: string, index: number): string {
  return `Load ${phase} call ${index}: please repeat this sentence.`;
}

/** Filler of the long prompts: a sentence whose words are repeated to the wanted length. */
const FILLER_WORDS = "and the echo endpoint streams this long answer back one word at a time".split(
  " ",
);

/** A long prompt: the call's own prompt (still unique), then `words` words of filler. */
function longPromptOf(phase: string, index: number, words: number): string {
  const filler = Array.from({ length: words }, (_, n) => FILLER_WORDS[n % FILLER_WORDS.length]);
  return `${promptOf(phase, index)} ${filler.join(" ")}`;
}

/**
 * The emulator, a `Databricks` and a `ChatDatabricks` model, reused across phases (as an
 * application reuses its models), so state that grows per call in a model instance shows up as
 * heap growth.
 */
export class LoadRig {
  private readonly statusCounts = new Map<string, Map<number, number>>();
  private phaseCount = 0;
  /** Set by `start()`. */
  private emulatorHandle: EmulatorHandle | undefined;
  private llm: Databricks | undefined;
  private chat: ChatDatabricks | undefined;

  constructor(readonly settings: Readonly<LoadSettings> = LOAD_SETTINGS) {}

  get emulator(): EmulatorHandle {
    if (this.emulatorHandle === undefined) throw new Error("LoadRig.start() was not called.");
    return this.emulatorHandle;
  }

  async start(): Promise<void> {
    const { failRatio, seed, serverLatencyMs, maxConcurrency, maxRetries, retryBaseDelayMs } =
      this.settings;
    // No Retry-After: a 429 without it waits about twice the backoff base (`retry.ts`).
    const fault = (endpointSeed: number): FaultSpec => ({
      latencyMs: serverLatencyMs,
      failRate: { status: [429, 503], ratio: failRatio, seed: endpointSeed },
    });
    this.emulatorHandle = await startEmulator({
      endpoints: [
        { name: COMPLETIONS_ENDPOINT, task: "llm/v1/completions", backend: { type: "echo" } },
        { name: CHAT_ENDPOINT, task: "llm/v1/chat", backend: { type: "echo" } },
      ],
      faults: { [COMPLETIONS_ENDPOINT]: fault(seed), [CHAT_ENDPOINT]: fault(seed + 1) },
      // The request log is the server's record of every status it answered.
      log: (line) => this.countStatus(line),
    });
    const connection = {
      host: this.emulator.url,
      token: this.emulator.token,
      maxRetries,
      retryBaseDelayMs,
    };
    // `batch()` is limited by its own `maxConcurrency` option (LangChain's), the chat model by the
    // instance option (the package's limiter): between them both limiters are under load.
    this.llm = new Databricks({
      ...connection,
      endpoint: COMPLETIONS_ENDPOINT,
      task: "llm/v1/completions",
    });
    this.chat = new ChatDatabricks({ ...connection, endpoint: CHAT_ENDPOINT, maxConcurrency });
  }

  async close(): Promise<void> {
    await this.emulatorHandle?.close();
  }

  /** `calls` prompts through one `Databricks.batch()` call. */
  batchCompletions(calls: number): Promise<PhaseReport> {
    return this.phase("Databricks.batch", COMPLETIONS_ENDPOINT, calls, async (prompts) => {
      const llm = this.model(this.llm);
      return llm.batch(
        prompts,
        {},
        { maxConcurrency: this.settings.maxConcurrency, returnExceptions: true },
      );
    });
  }

  /** `calls` `ChatDatabricks.invoke()` calls started at once (`Promise.all`). */
  invokeChats(calls: number): Promise<PhaseReport> {
    return this.phase("ChatDatabricks.invoke", CHAT_ENDPOINT, calls, (prompts) => {
      const chat = this.model(this.chat);
      return Promise.all(
        prompts.map((prompt) =>
          chat.invoke(prompt).then(
            (message) => message.text,
            (error: unknown) => toError(error),
          ),
        ),
      );
    });
  }

  /**
   * `calls` `ChatDatabricks.stream()` calls started at once, each read to its end; with `long`,
   * every `long.every`-th call is a long stream.
   */
  async streamChats(calls: number, long?: LongStreams): Promise<PhaseReport> {
    let chunks = 0;
    let longCalls = 0;
    const report = await this.phase(
      "ChatDatabricks.stream",
      CHAT_ENDPOINT,
      calls,
      (prompts) => {
        const chat = this.model(this.chat);
        const readStream = async (prompt: string): Promise<string | Error> => {
          try {
            let text = "";
            for await (const chunk of await chat.stream(prompt)) {
              text += chunk.text;
              chunks++;
            }
            return text;
          } catch (error) {
            return toError(error);
          }
        };
        return Promise.all(prompts.map(readStream));
      },
      long === undefined
        ? promptOf
        : (phase, index) => {
            if (index % long.every !== 0) return promptOf(phase, index);
            longCalls++;
            return longPromptOf(phase, index, long.words);
          },
    );
    return { ...report, streamed: { chunks, longCalls } };
  }

  private model<T>(model: T | undefined): T {
    if (model === undefined) throw new Error("LoadRig.start() was not called.");
    return model;
  }

  private countStatus(line: string): void {
    const match = STATUS_LINE.exec(line);
    if (match === null) return;
    const [, endpoint = "", status = "0"] = match;
    let byStatus = this.statusCounts.get(endpoint);
    if (byStatus === undefined) this.statusCounts.set(endpoint, (byStatus = new Map()));
    byStatus.set(Number(status), (byStatus.get(Number(status)) ?? 0) + 1);
  }

  /**
   * Run one phase on a clean slate of server counters and check every answer: an echo endpoint
   * answers each prompt with itself, so answer `i` must be prompt `i`.
   */
  private async phase(
    kind: PhaseReport["kind"],
    endpoint: string,
    calls: number,
    run: (prompts: string[]) => Promise<(string | Error)[]>,
    prompt: (phase: string, index: number) => string = promptOf,
  ): Promise<PhaseReport> {
    const phaseName = `${++this.phaseCount}`;
    const prompts = Array.from({ length: calls }, (_, index) => prompt(phaseName, index));
    this.emulator.resetStats();
    this.statusCounts.delete(endpoint);
    const started = performance.now();
    const answers = await run(prompts);
    const durationMs = performance.now() - started;

    const problems: string[] = [];
    let wrongAnswers = 0;
    let failedCalls = 0;
    prompts.forEach((prompt, index) => {
      const answer = answers[index];
      if (answer instanceof Error) {
        failedCalls++;
        if (problems.length < PROBLEMS_KEPT) problems.push(`call ${index}: ${answer.message}`);
      } else if (answer !== prompt) {
        wrongAnswers++;
        if (problems.length < PROBLEMS_KEPT)
          problems.push(`call ${index}: answered ${JSON.stringify(answer?.slice(0, 200))}`);
      }
    });
    if (answers.length !== calls) problems.push(`${answers.length} answers for ${calls} calls`);
    return {
      kind,
      calls,
      wrongAnswers,
      failedCalls,
      problems,
      server: await this.serverCounts(endpoint),
      durationMs,
    };
  }

  /**
   * The endpoint's counters once the request log has caught up: the log line of a request is
   * written when its response closes, which can trail the client's last answer by a moment.
   */
  private async serverCounts(endpoint: string): Promise<ServerCounts> {
    const stats = (): { requests: number; maxInFlight: number } =>
      this.emulator.stats().endpoints[endpoint] ?? { requests: 0, maxInFlight: 0 };
    const logged = (): number =>
      [...(this.statusCounts.get(endpoint)?.values() ?? [])].reduce((sum, n) => sum + n, 0);
    for (let waited = 0; logged() < stats().requests && waited < 2_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const byStatus = this.statusCounts.get(endpoint) ?? new Map<number, number>();
    const of = (status: number): number => byStatus.get(status) ?? 0;
    return {
      requests: stats().requests,
      succeeded: of(200),
      throttled: of(429),
      unavailable: of(503),
      otherStatuses: logged() - of(200) - of(429) - of(503),
      maxInFlight: stats().maxInFlight,
    };
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * What must hold for a phase, as messages (empty when it passed): every call answered with its
 * own prompt, none failed; the server answered exactly one success per call, and every other
 * request it received was an injected fault (so the client sent no request twice after a
 * success, and lost none); and it never had more than `maxConcurrency` requests in flight.
 */
export function phaseViolations(report: PhaseReport, maxConcurrency: number): string[] {
  const { server } = report;
  const violations: string[] = [];
  if (report.wrongAnswers > 0 || report.failedCalls > 0) {
    violations.push(
      `${report.kind}: ${report.wrongAnswers} wrong answers, ${report.failedCalls} failed calls (${report.problems.join("; ")})`,
    );
  }
  if (server.succeeded !== report.calls) {
    violations.push(
      `${report.kind}: the server answered ${server.succeeded} successes for ${report.calls} calls`,
    );
  }
  const faults = server.throttled + server.unavailable;
  if (server.requests !== report.calls + faults || server.otherStatuses !== 0) {
    violations.push(
      `${report.kind}: ${server.requests} requests for ${report.calls} calls and ${faults} injected faults (${server.otherStatuses} other statuses)`,
    );
  }
  if (server.maxInFlight > maxConcurrency) {
    violations.push(
      `${report.kind}: ${server.maxInFlight} requests in flight at once, above maxConcurrency ${maxConcurrency}`,
    );
  }
  return violations;
}

/** Poll until open sockets fall to `target` or `timeoutMs` passes; returns the last count. */
export async function waitForSockets(target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let sockets = openSockets();
  while (sockets > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    sockets = openSockets();
  }
  return sockets;
}

/** One line per phase, for the test log and the soak summary. */
export function describePhase(report: PhaseReport): string {
  const { server, streamed } = report;
  const chunks =
    streamed === undefined
      ? ""
      : ` (${streamed.chunks} chunks${streamed.longCalls > 0 ? `, ${streamed.longCalls} long streams` : ""})`;
  return (
    `${report.kind}: ${report.calls} calls${chunks} in ${(report.durationMs / 1000).toFixed(1)} s, ` +
    `${server.requests} requests (${server.throttled} × 429, ${server.unavailable} × 503 retried), ` +
    `max in flight ${server.maxInFlight}, wrong ${report.wrongAnswers}, failed ${report.failedCalls}`
  );
}
