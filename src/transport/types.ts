/** One HTTP request as the transport sends it. Header names are lower-case. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts this attempt: the caller's signal combined with the per-attempt timeout. */
  signal: AbortSignal;
}

/** An HTTP answer whose body has not been read yet. Read exactly one of `text()` or `body`. */
export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  text(): Promise<string>;
  /** The raw body, for SSE. */
  body: AsyncIterable<Uint8Array>;
  /** Discard the body so the connection can be reused. */
  discard(): Promise<void>;
}

/**
 * The seam between the package and an HTTP client. The default sends with `undici.request` over a
 * keep-alive pool (about 2× global `fetch` per call, 4× at concurrency on the project machines); a
 * user-supplied `fetch` is adapted to the same shape. It throws only for transport failures (no
 * HTTP answer); any status, including 4xx/5xx, is returned.
 */
export type HttpSender = (request: HttpRequest) => Promise<HttpResponse>;
