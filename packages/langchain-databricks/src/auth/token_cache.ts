import { DatabricksAbortError } from "../errors.js";
import { waitFor } from "../utils/abort.js";

/** A freshly fetched token: the full header value and how long it lives. */
export interface FetchedToken {
  /** The `authorization` header value, e.g. `Bearer eyJ…`. */
  value: string;
  /** Lifetime in milliseconds from when the fetch started. */
  expiresInMs: number;
}

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Gets a new token. Runs without the caller's signal: several callers may share it. */
  fetch: () => Promise<FetchedToken>;
  /** Clock in ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
}

/**
 * A token is treated as expired this long before its real expiry, as in the Databricks SDKs:
 * "Azure Databricks rejects tokens that expire in 30 seconds or less".
 */
export const EXPIRY_MARGIN_MS = 40_000;
/** Longest head start of a background refresh (the SDKs' `min(TTL / 2, 20 min)`). */
export const MAX_REFRESH_LEAD_MS = 20 * 60_000;

interface CachedToken {
  value: string;
  /** After this instant (minus the margin) the token is not served any more. */
  expiresAt: number;
  /** After this instant a background refresh starts while the token is still served. */
  refreshAt: number;
}

/**
 * Caches one token and refreshes it the way the Databricks SDKs do:
 *
 * - **fresh** (more than `min(TTL/2, 20 min)` before expiry): served from cache, no I/O;
 * - **stale** (inside that window, but more than 40 s before expiry): served from cache while one
 *   refresh runs in the background; its failure is swallowed (the next call tries again);
 * - **expired** (within 40 s of expiry, or no token): callers wait for a refresh.
 *
 * Concurrent callers share one in-flight refresh. A caller's `AbortSignal` stops only its own
 * wait, never the shared refresh other callers depend on.
 */
export class TokenCache {
  readonly #fetch: () => Promise<FetchedToken>;
  readonly #now: () => number;
  #token: CachedToken | undefined;
  #inflight: Promise<CachedToken> | undefined;

  constructor(options: TokenCacheOptions) {
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
  }

  /** The current header value, refreshing first when needed. */
  async get(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) {
      throw new DatabricksAbortError("Waiting for credentials was aborted", {
        cause: signal.reason,
      });
    }
    const token = this.#token;
    const now = this.#now();
    if (token && now < token.expiresAt - EXPIRY_MARGIN_MS) {
      if (now >= token.refreshAt && !this.#inflight) {
        // Errors are swallowed: the cached token is still good, and the next call retries.
        this.#refresh().catch(() => undefined);
      }
      return token.value;
    }
    const fresh = await waitFor(this.#refresh(), signal, "Waiting for credentials");
    return fresh.value;
  }

  /** Forget the cached token (after a 401): the next {@link get} fetches a new one. */
  invalidate(): void {
    this.#token = undefined;
  }

  #refresh(): Promise<CachedToken> {
    if (this.#inflight) return this.#inflight;
    const started = this.#now();
    const inflight = this.#fetch().then(
      (fetched) => {
        const ttl = Math.max(0, fetched.expiresInMs);
        const expiresAt = started + ttl;
        const token = {
          value: fetched.value,
          expiresAt,
          refreshAt: expiresAt - Math.min(ttl / 2, MAX_REFRESH_LEAD_MS),
        };
        this.#token = token;
        this.#inflight = undefined;
        return token;
      },
      (error: unknown) => {
        this.#inflight = undefined;
        throw error;
      },
    );
    // Callers that gave up (aborted) no longer listen: keep their rejection from going unhandled.
    inflight.catch(() => undefined);
    this.#inflight = inflight;
    return inflight;
  }
}
