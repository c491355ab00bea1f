// Types only: undici itself is loaded on the first request (see `default_sender.ts`), so the core
// imports nothing from it at module load.
import type * as Undici from "undici";
import { guardedChunks, InactivityDeadline, timeoutError } from "./deadline.js";
import type { HttpRequest, HttpResponse, HttpSender } from "./types.js";

/** What the sender uses from the `undici` module. */
export type UndiciModule = Pick<typeof Undici, "Agent" | "request">;

/**
 * Timeouts at least this long use undici's own `headersTimeout` / `bodyTimeout`: its coarse timers
 * (about one second of resolution) cost nothing per call, where an `AbortController` and a timer per
 * request measured 10–15 µs of CPU. Shorter timeouts need the precision of a real timer.
 */
const COARSE_TIMEOUT_MIN_MS = 5_000;

/**
 * A sender on `undici.request` with one keep-alive pool: connections are reused across every
 * client instance sharing the sender, which is what makes small requests cheap (no TCP/TLS
 * handshake per call). The pool is created on the first request. An abort signal is passed only
 * when the caller has one.
 *
 * @param undici - The loaded `undici` module.
 */
export function createUndiciSender(undici: UndiciModule): HttpSender {
  let pool: Undici.Agent | undefined;
  const getPool = (): Undici.Agent => {
    pool ??= new undici.Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
    return pool;
  };
  return (req) => sendWithUndici(undici.request, getPool(), req);
}

async function sendWithUndici(
  undiciRequest: UndiciModule["request"],
  pool: Undici.Agent,
  req: HttpRequest,
): Promise<HttpResponse> {
  const coarse = req.timeoutMs >= COARSE_TIMEOUT_MIN_MS;
  const deadline = coarse ? undefined : new InactivityDeadline(req.signal, req.timeoutMs);
  const signal = deadline?.signal ?? req.signal;
  let res: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    res = await undiciRequest(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      ...(signal ? { signal } : {}),
      // Always set when coarse: left out, undici's 300 s defaults would cut a longer timeout.
      ...(coarse ? { headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs } : {}),
      dispatcher: pool,
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
}
