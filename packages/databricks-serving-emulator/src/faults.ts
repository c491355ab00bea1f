import type { IncomingMessage } from "node:http";
import { createRandom } from "./backends/prng.js";
import { EmulatorConfigError } from "./errors.js";
import { errorCodeFor, HttpError } from "./http_util.js";
import type { StreamFaults } from "./sse.js";
import type { EmulatorState } from "./state.js";
import type { FaultSpec } from "./types.js";

interface FaultEntry {
  spec: FaultSpec;
  failRemaining: number;
  dropRemaining: number;
  malformedRemaining: number;
  cutBodyRemaining: number;
  arrivals: number[];
  /** Draws for `failRate`; seeded so the same run of requests fails the same way every time. */
  random: () => number;
}

/** What a request must still suffer after {@link FaultTable.apply} let it through. */
export interface ResponseFaults extends StreamFaults {
  malformedJson: boolean;
  /** Non-stream answers: send this many bytes of the body, then reset the connection. */
  cutBodyAfterBytes?: number;
}

/**
 * The fault (and stats) key of the OAuth token endpoint `POST /oidc/v1/token`. It contains a `/`,
 * which no endpoint name can, so it never collides with an endpoint's key.
 */
export const TOKEN_ENDPOINT_FAULT_KEY = "oidc/v1/token";

/**
 * The faults the answer's writer applies ({@link ResponseFaults}). The token endpoint's writer
 * (src/oauth.ts) applies none of them, so {@link FaultTable.set} refuses them on
 * {@link TOKEN_ENDPOINT_FAULT_KEY} rather than accept a fault that would never happen.
 */
const ANSWER_WRITER_FAULTS = [
  "malformedJson",
  "cutBodyAfterBytes",
  "cutStreamAfterChunks",
  "errorMidStream",
  "stallStreamAfterChunks",
] as const satisfies readonly (keyof FaultSpec)[];

/** The longest delay a Node timer keeps; a longer (or NaN) one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Refuse a fault delay a timer would not honour, rather than inject a different fault. */
function checkDelay(key: string, name: string, ms: number | undefined): void {
  if (ms === undefined || (Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER_MS)) return;
  throw new EmulatorConfigError(
    `Fault of '${key}': ${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(ms)}.`,
  );
}

/**
 * How many requests a count-limited fault still applies to: `true` or a bare value (a byte count)
 * means every request, `{count}` that many, unset or `false` none.
 */
function remaining(value: boolean | number | { count: number } | undefined): number {
  if (value === undefined || value === false) return 0;
  return typeof value === "object" ? Math.max(0, value.count) : Number.POSITIVE_INFINITY;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The status of one `failRate` failure. A single status takes no draw, so a run with one status
 * fails the same requests as before lists were accepted.
 */
function pickStatus(status: number | readonly number[], random: () => number): number {
  if (typeof status === "number") return status;
  // Never undefined: `set` refuses an empty list.
  return status[Math.floor(random() * status.length)] ?? 500;
}

/** Standard fault bodies. The exact messages are the emulator's; only the codes are documented. */
function faultError(
  status: number,
  retryAfterSeconds: number | undefined,
  body?: string,
): HttpError {
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined)
    headers["Retry-After"] = String(Math.round(retryAfterSeconds));
  if (body !== undefined) {
    const trimmed = body.trimStart();
    const type =
      trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith('"')
        ? "application/json; charset=utf-8"
        : trimmed.startsWith("<")
          ? "text/html; charset=utf-8"
          : "text/plain; charset=utf-8";
    return new HttpError(status, body, headers, type);
  }
  const message =
    status === 429
      ? "The endpoint is temporarily throttled because of too many requests. Please retry later."
      : status === 503
        ? "The service is temporarily unavailable. Please try again later."
        : status === 504
          ? "Request processing time exceeded limit"
          : `Injected fault: HTTP ${status}.`;
  return new HttpError(status, { error_code: errorCodeFor(status), message }, headers);
}

/**
 * Per-key fault injection (keys are endpoint names, `clusterId:port` for driver apps, or
 * {@link TOKEN_ENDPOINT_FAULT_KEY} for the OAuth token endpoint, which takes only the faults
 * applied before the answer is written).
 * Order of application: latency, dropped connection, `failNext`, rate limit, `failRate`; the rest (malformed
 * JSON, a body cut short, and stream faults) is returned for the response writer to apply.
 */
export class FaultTable {
  private readonly entries = new Map<string, FaultEntry>();

  constructor(initial: Record<string, FaultSpec> = {}) {
    for (const [key, spec] of Object.entries(initial)) this.set(key, spec);
  }

  set(key: string, spec: FaultSpec): void {
    const statuses = spec.failRate?.status;
    if (typeof statuses === "object" && statuses.length === 0) {
      throw new EmulatorConfigError(
        `Fault of '${key}': failRate.status is an empty list; give one status or several.`,
      );
    }
    checkDelay(key, "latencyMs", spec.latencyMs);
    checkDelay(key, "stallStreamAfterChunks.ms", spec.stallStreamAfterChunks?.ms);
    const unsupported = ANSWER_WRITER_FAULTS.filter((name) => spec[name] !== undefined);
    if (key === TOKEN_ENDPOINT_FAULT_KEY && unsupported.length > 0) {
      throw new EmulatorConfigError(
        `Fault of '${key}': ${unsupported.join(", ")} cannot apply to the OAuth token endpoint; ` +
          "it takes latencyMs, failNext, rateLimitPerSecond, failRate and dropConnection.",
      );
    }
    this.entries.set(key, {
      spec,
      failRemaining: spec.failNext?.count ?? 0,
      dropRemaining: remaining(spec.dropConnection),
      malformedRemaining: remaining(spec.malformedJson),
      cutBodyRemaining: remaining(spec.cutBodyAfterBytes),
      arrivals: [],
      random: createRandom(spec.failRate?.seed ?? 1),
    });
  }

  clear(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }

  /**
   * Apply the faults of `key`. Returns null when the request was dropped; throws an
   * {@link HttpError} when it must be answered with an error; else the response faults.
   */
  async apply(key: string, req: IncomingMessage): Promise<ResponseFaults | null> {
    const entry = this.entries.get(key);
    if (entry === undefined) return { malformedJson: false };
    const { spec } = entry;
    const now = Date.now();
    let limited = false;
    if (spec.rateLimitPerSecond !== undefined) {
      entry.arrivals = entry.arrivals.filter((t) => now - t < 1000);
      limited = entry.arrivals.length >= spec.rateLimitPerSecond;
      if (!limited) entry.arrivals.push(now);
    }
    if (spec.latencyMs !== undefined && spec.latencyMs > 0) await sleep(spec.latencyMs);
    if (entry.dropRemaining > 0) {
      entry.dropRemaining--;
      req.socket.destroy();
      return null;
    }
    if (entry.failRemaining > 0 && spec.failNext !== undefined) {
      entry.failRemaining--;
      throw faultError(spec.failNext.status, spec.failNext.retryAfterSeconds, spec.failNext.body);
    }
    // The rate limiter answers with Retry-After: 1 because its window is one second.
    if (limited) throw faultError(429, 1);
    if (spec.failRate !== undefined && entry.random() < spec.failRate.ratio)
      throw faultError(
        pickStatus(spec.failRate.status, entry.random),
        spec.failRate.retryAfterSeconds,
      );
    let malformedJson = false;
    if (entry.malformedRemaining > 0) {
      entry.malformedRemaining--;
      malformedJson = true;
    }
    const out: ResponseFaults = { malformedJson };
    if (spec.cutBodyAfterBytes !== undefined && entry.cutBodyRemaining > 0) {
      entry.cutBodyRemaining--;
      const cut = spec.cutBodyAfterBytes;
      out.cutBodyAfterBytes = typeof cut === "number" ? cut : cut.bytes;
    }
    if (spec.cutStreamAfterChunks !== undefined)
      out.cutStreamAfterChunks = spec.cutStreamAfterChunks;
    if (spec.errorMidStream !== undefined) out.errorMidStream = spec.errorMidStream;
    if (spec.stallStreamAfterChunks !== undefined)
      out.stallStreamAfterChunks = spec.stallStreamAfterChunks;
    return out;
  }
}

/**
 * Serve one request counted under `key` (its stats) and subject to its faults: `prepare` first
 * (reading the body, so an injected latency comes after it), then the faults, then `handle` with
 * what the answer's writer must still apply, unless a fault already answered or dropped the
 * request. Endpoints, driver apps and the token endpoint all go through it.
 */
export async function underFaults<T>(
  state: EmulatorState,
  key: string,
  req: IncomingMessage,
  prepare: () => Promise<T> | T,
  handle: (faults: ResponseFaults, input: T) => Promise<void>,
): Promise<void> {
  const done = state.stats.begin(key);
  try {
    const input = await prepare();
    const faults = await state.faults.apply(key, req);
    if (faults === null) return;
    await handle(faults, input);
  } finally {
    done();
  }
}
