import { guardedChunks, InactivityDeadline, timeoutError } from "./deadline.js";
import type { HttpRequest, HttpResponse, HttpSender } from "./types.js";

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
