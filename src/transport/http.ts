import { Agent, request as undiciRequest } from "undici";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from "../errors.js";
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

/** The default sender: `undici.request` on a shared keep-alive pool. */
export const undiciSender: HttpSender = async (req: HttpRequest): Promise<HttpResponse> => {
  const res = await undiciRequest(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal,
    dispatcher: getSharedAgent(),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    status: res.statusCode,
    headers,
    text: () => res.body.text(),
    body: res.body,
    discard: async () => {
      if (!res.body.destroyed) res.body.destroy();
    },
  };
};

/** Adapt a WHATWG `fetch` (a test double, or another runtime's) to the sender seam. */
export function fetchSender(fetchFn: typeof fetch): HttpSender {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const init: RequestInit = { method: req.method, headers: req.headers, signal: req.signal };
    if (req.body !== undefined) init.body = req.body;
    const res = await fetchFn(req.url, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const stream = res.body;
    return {
      status: res.status,
      headers,
      text: () => res.text(),
      body: stream ? readableToIterable(stream) : emptyBody(),
      discard: async () => {
        await stream?.cancel().catch(() => undefined);
      },
    };
  };
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

/**
 * A per-attempt signal: fires when the caller aborts or when `timeoutMs` elapses, and remembers
 * which, so the failure can be classified (abort is final, timeout is retried).
 */
export class AttemptSignal {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOutFlag = false;
  private readonly onCallerAbort: () => void;

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    this.signal = this.controller.signal;
    this.onCallerAbort = () => this.controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) {
      this.controller.abort(callerSignal.reason);
    } else {
      callerSignal?.addEventListener("abort", this.onCallerAbort, { once: true });
    }
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(() => {
        this.timedOutFlag = true;
        this.controller.abort(
          new DatabricksTimeoutError(`Request timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.timer.unref?.();
    }
  }

  /** Stop the timeout and detach from the caller's signal. */
  dispose(): void {
    this.disposeTimeoutOnly();
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
  }

  /** Stop the timeout but keep forwarding the caller's abort (a stream whose headers arrived). */
  disposeTimeoutOnly(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Turn whatever a failed send threw into the package's typed error. */
  classify(error: unknown, timeoutMs: number, what: string): Error {
    if (error instanceof DatabricksAPIError || error instanceof DatabricksResponseError)
      return error;
    if (this.callerSignal?.aborted) {
      return error instanceof DatabricksAbortError
        ? error
        : new DatabricksAbortError(`${what} was aborted`, { cause: this.callerSignal.reason });
    }
    if (this.timedOutFlag) {
      return new DatabricksTimeoutError(
        `${what} timed out after ${timeoutMs} ms (the \`timeout\` option)`,
      );
    }
    if (error instanceof DatabricksConnectionError) return error;
    const detail = describeNetworkError(error);
    return new DatabricksConnectionError(`${what} failed: ${detail}`, { cause: error });
  }
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

/** A request description without the signal: the transport adds one per attempt. */
export type RequestSpec = Omit<HttpRequest, "signal">;

/**
 * Send one attempt and read a JSON answer. Transport failures become
 * {@link DatabricksConnectionError} / {@link DatabricksTimeoutError} / {@link DatabricksAbortError};
 * a non-2xx status becomes a {@link DatabricksAPIError} subclass; a 2xx body that is not JSON becomes
 * a {@link DatabricksResponseError}.
 */
export async function sendJsonOnce(
  sender: HttpSender,
  request: RequestSpec,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<{ status: number; headers: Record<string, string>; data: unknown }> {
  const what = describeRequest(request);
  const attempt = new AttemptSignal(options.signal, options.timeoutMs);
  try {
    const response = await sender({ ...request, signal: attempt.signal });
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw DatabricksAPIError.fromResponse({
        status: response.status,
        headers: response.headers,
        body: text,
        request: what,
      });
    }
    return { status: response.status, headers: response.headers, data: parseJsonBody(text, what) };
  } catch (error) {
    throw attempt.classify(error, options.timeoutMs, what);
  } finally {
    attempt.dispose();
  }
}

/** Parse a 2xx body; an empty body is `null`. */
export function parseJsonBody(text: string, what: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
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
