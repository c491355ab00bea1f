/** One HTTP request as the transport sends it. Header names are lower-case. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The caller's cancellation, when there is one (aborting it tears the request down). */
  signal?: AbortSignal | undefined;
  /**
   * How long to wait for the response headers, and then for each piece of the body, in ms. The
   * sender enforces it and fails with a {@link DatabricksTimeoutError}-classifiable error. Always
   * finite, from 1 to `MAX_TIMEOUT_MS`: the `timeout` option is checked where it is configured, so
   * senders need no "no timeout" case (undici could not honour one: its own 300 s defaults apply).
   */
  timeoutMs: number;
}

/** An HTTP answer whose body has not been read yet. Read exactly one of `text()` or `body`. */
export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  text(): Promise<string>;
  /** The raw body, for SSE. */
  body: AsyncIterable<Uint8Array>;
  /** Discard the body; for a stream in progress this closes the connection. */
  discard(): Promise<void>;
}

/**
 * The seam between the package and an HTTP client. The default sends with `undici.request` over a
 * keep-alive pool on Node (about 2× global `fetch` per call, 4× at concurrency on the project
 * machines) and with the global `fetch` elsewhere; a user-supplied `fetch` is adapted to the same
 * shape. It throws only for transport failures (no
 * HTTP answer, a timeout, an abort); any status, including 4xx/5xx, is returned.
 */
export type HttpSender = (request: HttpRequest) => Promise<HttpResponse>;
