/**
 * A source of authentication headers for every request the package sends.
 * Implementations cache what they can: `headers()` runs on the hot path of every call.
 */
export interface CredentialsProvider {
  /** The unified-auth name (`pat`, `oauth-m2m`, `custom`…), used in the User-Agent `auth/<type>`. */
  readonly authType: string;
  /** Headers to add to a request (usually just `authorization`). */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * Called after a 401 answer. Drop cached tokens and return `true` when fetching new ones might
   * succeed (OAuth), so the transport retries once; `false` when nothing would change (PAT).
   */
  invalidate(): boolean;
}
