/**
 * The seam between authentication (`auth/`) and the transport (`transport/`), so that neither
 * imports the other: the transport asks a {@link CredentialsProvider} for headers and hands it a
 * {@link CredentialsTransport}; a provider that needs requests of its own (OAuth discovery and
 * token) sends them through it, with the same sender, User-Agent, timeout and retry layer as every
 * other request.
 */

/** A request a credentials provider sends itself (OAuth discovery, token request). */
export interface CredentialsRequest {
  method: "GET" | "POST";
  /** Absolute URL: a discovered token endpoint may be on another host. */
  url: string;
  /** Headers besides the transport's own `user-agent` and `accept: application/json`; lower-case names. */
  headers?: Record<string, string>;
  /** The body, sent as is (e.g. a form-encoded grant). */
  body?: string;
  /**
   * What a 2xx answer that is not JSON means: an error, retried like a truncated answer
   * (`"retry"`), or "nothing here", resolved as `undefined` at once (`"undefined"`: a login page or a
   * proxy answering a discovery request). @default "retry"
   */
  onInvalidJson?: "retry" | "undefined";
}

/** The client's transport, as a credentials provider sees it. */
export interface CredentialsTransport {
  /**
   * Send `request` with the transport's sender, User-Agent, timeout and retry policy, but without
   * the client's credentials and without its "401 → refresh the credentials" rule; resolve with the
   * parsed JSON answer. Fails like every request (`DatabricksAPIError`, `DatabricksConnectionError`,
   * `DatabricksTimeoutError`), after the retries.
   */
  requestWithoutCredentials(request: CredentialsRequest): Promise<unknown>;
}

/**
 * A source of authentication headers for every request the package sends.
 * Implementations cache what they can: `headers()` runs on the hot path of every call.
 */
export interface CredentialsProvider {
  /** The unified-auth name (`pat`, `oauth-m2m`, `custom`…), used in the User-Agent `auth/<type>`. */
  readonly authType: string;
  /**
   * Headers to add to a request (usually just `authorization`).
   * @param signal - The caller's cancellation: stops this caller's wait, never a shared refresh.
   * @param transport - The asking client's transport, for providers that send requests of their
   *   own (OAuth M2M); the client always passes it, other providers ignore it.
   */
  headers(signal?: AbortSignal, transport?: CredentialsTransport): Promise<Record<string, string>>;
  /**
   * Called after a 401 answer. Drop cached tokens and return `true` when fetching new ones might
   * succeed (OAuth), so the transport retries once; `false` when nothing would change (PAT).
   */
  invalidate(): boolean;
  /**
   * The secrets this provider holds right now: a PAT, a client secret, the access token in use (and
   * the one before it, which requests still in flight carry). The client scrubs them from every
   * error it throws. A refresh replaces tokens rather than adding them, so the list stays small.
   * Optional: without it, only credential-shaped text (`Bearer …`, `dapi…`, JWTs) is scrubbed.
   */
  secrets?(): readonly string[];
}
