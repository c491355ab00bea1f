import { Agent, request as undiciRequest } from "undici";
import { guardedChunks, InactivityDeadline, timeoutError } from "./deadline.js";
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
