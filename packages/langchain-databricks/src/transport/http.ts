import { Agent, request as undiciRequest } from "undici";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from "../errors.js";
import { abortError } from "../utils/abort.js";
import type { HttpRequest, HttpResponse, HttpSender } from "./types.js";

let sharedAgent: Agent | undefined;

/**
 * One keep-alive pool for the whole process: connections are reused across every client instance,
 * which is what makes small requests cheap (no TCP/TLS handshake per call).
 */
function getSharedAgent(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  return sharedAgent;
}

/**
 * Timeouts at least this long use undici's own `headersTimeout` / `bodyTimeout`: its coarse timers
 * (about one second of resolution) cost nothing per call, where an `AbortController` and a timer per
 * request measured 10–15 µs of CPU. Shorter timeouts need the precision of a real timer.
 */
const COARSE_TIMEOUT_MIN_MS = 5_000;

/**
 * The default sender: `undici.request` on a shared keep-alive pool. An abort signal is passed only
 * when the caller has one.
 */
export const undiciSender: HttpSender = async (req: HttpRequest): Promise<HttpResponse> => {
  const coarse = req.timeoutMs >= COARSE_TIMEOUT_MIN_MS || !Number.isFinite(req.timeoutMs);
  const deadline = coarse ? undefined : new InactivityDeadline(req.signal, req.timeoutMs);
  const signal = deadline?.signal ?? req.signal;
  let res: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    res = await undiciRequest(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      ...(signal ? { signal } : {}),
      ...(coarse && Number.isFinite(req.timeoutMs)
        ? { headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs }
        : {}),
      dispatcher: getSharedAgent(),
    });
  } catch (error) {
    deadline?.clear();
    throw deadline?.timedOut ? timeoutError(req.timeoutMs) : error;
  }
  deadline?.restart();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const body = res.body;
  return {
    status: res.statusCode,
    headers,
    text: deadline ? () => deadline.guard(body.text()) : () => body.text(),
    body: deadline ? guardedChunks(body, deadline) : body,
    discard: async () => {
      deadline?.clear();
      if (!body.destroyed) body.destroy();
    },
  };
};

/**
 * Adapt a WHATWG `fetch` (a test double, a proxy-aware fetch, another runtime's) to the sender seam.
 * The timeout is a timer that aborts the request: armed until the headers arrive, then re-armed for
 * each piece of the body, like undici's `bodyTimeout`.
 */
export function fetchSender(fetchFn: typeof fetch): HttpSender {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const deadline = new InactivityDeadline(req.signal, req.timeoutMs);
    const init: RequestInit = { method: req.method, headers: req.headers, signal: deadline.signal };
    if (req.body !== undefined) init.body = req.body;
    let res: Response;
    try {
      res = await fetchFn(req.url, init);
    } catch (error) {
      deadline.clear();
      throw deadline.timedOut ? timeoutError(req.timeoutMs) : error;
    }
    deadline.restart();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const stream = res.body;
    return {
      status: res.status,
      headers,
      text: () => deadline.guard(res.text()),
      body: stream ? guardedChunks(readableToIterable(stream), deadline) : emptyBody(),
      discard: async () => {
        deadline.clear();
        await stream?.cancel().catch(() => undefined);
      },
    };
  };
}

/** The caller's signal combined with a restartable timer; remembers whether the timer fired. */
class InactivityDeadline {
  readonly signal: AbortSignal;
  timedOut = false;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    callerSignal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    this.signal = callerSignal
      ? AbortSignal.any([callerSignal, this.controller.signal])
      : this.controller.signal;
    this.restart();
  }

  restart(): void {
    this.clear();
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs))) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(timeoutError(this.timeoutMs));
    }, this.timeoutMs);
    this.timer.unref?.();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Await one read, reporting our own timer's abort as a timeout; the timer keeps running. */
  async guardKeepRunning<T>(reading: Promise<T>): Promise<T> {
    try {
      return await reading;
    } catch (error) {
      throw this.timedOut ? timeoutError(this.timeoutMs) : error;
    }
  }

  /** Await a body read, reporting our own timer's abort as a timeout; the timer stops after it. */
  async guard<T>(reading: Promise<T>): Promise<T> {
    try {
      return await reading;
    } catch (error) {
      throw this.timedOut ? timeoutError(this.timeoutMs) : error;
    } finally {
      this.clear();
    }
  }
}

/** A body whose every piece re-arms the deadline: the timeout bounds each gap, not the whole stream. */
async function* guardedChunks(
  chunks: AsyncIterable<Uint8Array>,
  deadline: InactivityDeadline,
): AsyncGenerator<Uint8Array> {
  try {
    const iterator = chunks[Symbol.asyncIterator]();
    for (;;) {
      const step = await deadline.guardKeepRunning(iterator.next());
      if (step.done) return;
      deadline.restart();
      yield step.value;
    }
  } finally {
    deadline.clear();
  }
}

function timeoutError(timeoutMs: number): DatabricksTimeoutError {
  return new DatabricksTimeoutError(`Request timed out after ${timeoutMs} ms`);
}

async function* readableToIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // no body
}

/** Pick the sender: the user's `fetch` when given, the undici pool otherwise. */
export function createHttpSender(options: { fetch?: typeof fetch | undefined } = {}): HttpSender {
  return options.fetch ? fetchSender(options.fetch) : undiciSender;
}

/** undici's own timeout errors (its `headersTimeout` / `bodyTimeout`). */
const UNDICI_TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * Turn whatever a failed attempt threw into the package's typed error: the caller's abort is
 * final, a timeout or a connection failure is retried, API and response errors pass through.
 */
export function classifyTransportError(
  error: unknown,
  request: { method: string; url: string; signal?: AbortSignal | undefined; timeoutMs: number },
): Error {
  if (error instanceof DatabricksAPIError || error instanceof DatabricksResponseError) return error;
  const what = describeRequest(request);
  if (request.signal?.aborted) {
    return error instanceof DatabricksAbortError ? error : abortError(request.signal, what);
  }
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (
    error instanceof DatabricksTimeoutError ||
    (typeof code === "string" && UNDICI_TIMEOUT_CODES.has(code))
  ) {
    return new DatabricksTimeoutError(
      `${what} timed out after ${request.timeoutMs} ms (the \`timeout\` option)`,
      { cause: error },
    );
  }
  if (error instanceof DatabricksConnectionError) return error;
  return new DatabricksConnectionError(`${what} failed: ${describeNetworkError(error)}`, {
    cause: error,
  });
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    const cause = (error as Error & { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${cause.message})` : "";
    return `${typeof code === "string" ? `${code}: ` : ""}${error.message}${causeText}`;
  }
  return String(error);
}

/**
 * Send one attempt and read a JSON answer. Transport failures become
 * {@link DatabricksConnectionError} / {@link DatabricksTimeoutError} / {@link DatabricksAbortError};
 * a non-2xx status becomes a {@link DatabricksAPIError} subclass; a 2xx body that is not JSON becomes
 * a {@link DatabricksResponseError}.
 */
export async function sendJsonOnce(
  sender: HttpSender,
  request: HttpRequest,
): Promise<{ status: number; headers: Record<string, string>; data: unknown }> {
  try {
    const response = await sender(request);
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw DatabricksAPIError.fromResponse({
        status: response.status,
        headers: response.headers,
        body: text,
        request: describeRequest(request),
      });
    }
    return {
      status: response.status,
      headers: response.headers,
      data: parseJsonBody(text, request),
    };
  } catch (error) {
    throw classifyTransportError(error, request);
  }
}

/** Parse a 2xx body; an empty body is `null`. */
export function parseJsonBody(text: string, request: { method: string; url: string }): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    const what = describeRequest(request);
    throw new DatabricksResponseError(`${what} answered with invalid JSON: ${preview}`, {
      cause: "invalid-json",
    });
  }
}

/** `POST /serving-endpoints/x/invocations`: the path only, never the query (it may hold tokens). */
export function describeRequest(request: { method: string; url: string }): string {
  let path = request.url;
  try {
    path = new URL(request.url).pathname;
  } catch {
    // keep the raw string
  }
  return `${request.method} ${path}`;
}
