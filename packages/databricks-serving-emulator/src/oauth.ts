import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, parseContentType, readBody, sendJson } from "./http_util.js";
import type { OAuthClientConfig } from "./types.js";

/**
 * OAuth machine-to-machine support: the RFC 8414 discovery document and the
 * `client_credentials` token endpoint (docs/PROTOCOL.md §7.6). Issued tokens are JWT-shaped
 * (`header.payload.signature`, HS256 with a per-process random key) carrying `exp`, `iat`, `sub`
 * and `scope`, and are remembered until they expire.
 */

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/** Tokens issued by this emulator, with their expiry. */
export class TokenStore {
  private readonly key = randomBytes(32);
  private readonly issued = new Map<string, { expiresAt: number; clientId: string }>();

  constructor(
    private readonly lifetimeSeconds: number,
    private readonly issuer: () => string,
  ) {}

  /** Issue a token for `clientId`; returns the token and its lifetime in seconds. */
  issue(clientId: string, scope: string): { token: string; expiresIn: number } {
    const now = Date.now();
    const expiresAt = now + this.lifetimeSeconds * 1000;
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "emulator" }));
    const payload = base64url(
      JSON.stringify({
        iss: this.issuer(),
        aud: this.issuer(),
        sub: clientId,
        client_id: clientId,
        scope,
        iat: Math.floor(now / 1000),
        exp: Math.ceil(expiresAt / 1000),
        jti: randomUUID(),
      }),
    );
    const signature = createHmac("sha256", this.key)
      .update(`${header}.${payload}`)
      .digest("base64url");
    const token = `${header}.${payload}.${signature}`;
    this.purge(now);
    this.issued.set(token, { expiresAt, clientId });
    return { token, expiresIn: this.lifetimeSeconds };
  }

  /** Every token issued so far that has not expired (for revoking them all at once). */
  liveTokens(): string[] {
    const now = Date.now();
    return [...this.issued].filter(([, entry]) => now < entry.expiresAt).map(([token]) => token);
  }

  /**
   * End the life of every token issued so far, as if the clock had passed their `exp`: the next
   * request with one is refused as expired. Tokens issued afterwards live normally.
   */
  expireAll(): void {
    const now = Date.now();
    for (const entry of this.issued.values()) entry.expiresAt = Math.min(entry.expiresAt, now);
  }

  /** The client id of a valid (issued, unexpired) token, else undefined. */
  check(token: string): string | undefined {
    const entry = this.issued.get(token);
    if (entry === undefined || Date.now() >= entry.expiresAt) return undefined;
    return entry.clientId;
  }

  private purge(now: number): void {
    // Expired tokens are kept for a while only so the map cannot grow without bound.
    if (this.issued.size < 10_000) return;
    for (const [token, entry] of this.issued) if (entry.expiresAt < now) this.issued.delete(token);
  }
}

/** `GET /oidc/.well-known/oauth-authorization-server` (RFC 8414 fields). */
export function authorizationServerMetadata(base: string): Record<string, unknown> {
  return {
    issuer: `${base}/oidc`,
    authorization_endpoint: `${base}/oidc/v1/authorize`,
    token_endpoint: `${base}/oidc/v1/token`,
    jwks_uri: `${base}/oidc/jwks.json`,
    response_types_supported: ["code"],
    grant_types_supported: ["client_credentials", "authorization_code", "refresh_token"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    scopes_supported: ["all-apis", "offline_access"],
    code_challenge_methods_supported: ["S256"],
  };
}

function oauthError(status: number, error: string, description: string): HttpError {
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  if (error === "invalid_client") headers["WWW-Authenticate"] = 'Basic realm="oidc"';
  return new HttpError(status, { error, error_description: description }, headers);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function decodeForm(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

interface ClientCredentials {
  id: string;
  secret: string;
  /** Other readings of the same header (the raw, not URL-decoded, id and secret). */
  alternatives?: { id: string; secret: string }[];
}

/** Client id and secret from `Authorization: Basic` (URL-decoded, RFC 6749 §2.3.1) or the form. */
function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
): ClientCredentials | undefined {
  const header = req.headers.authorization;
  if (header !== undefined && /^basic\s+/i.test(header)) {
    const decoded = Buffer.from(header.replace(/^basic\s+/i, "").trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) return undefined;
    // sdk-js and Go URL-encode id and secret before base64 (RFC 6749 §2.3.1); other clients send
    // them raw. Both forms are accepted, as a lenient server would.
    const rawId = decoded.slice(0, colon);
    const rawSecret = decoded.slice(colon + 1);
    return {
      id: decodeForm(rawId),
      secret: decodeForm(rawSecret),
      alternatives: [{ id: rawId, secret: rawSecret }],
    };
  }
  const id = form.get("client_id");
  const secret = form.get("client_secret");
  return id !== null && secret !== null ? { id, secret } : undefined;
}

/** `POST /oidc/v1/token`: the client_credentials grant. */
export async function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  clients: readonly OAuthClientConfig[],
  store: TokenStore,
): Promise<void> {
  const raw = await readBody(req, 64 * 1024);
  const { mime } = parseContentType(req.headers["content-type"]);
  if (mime !== "application/x-www-form-urlencoded") {
    throw oauthError(
      400,
      "invalid_request",
      "The request must be application/x-www-form-urlencoded.",
    );
  }
  // URLSearchParams parses any parameter order, as clients differ (docs/PROTOCOL.md §7.6).
  const form = new URLSearchParams(raw.toString("utf8"));
  const credentials = clientCredentials(req, form);
  const client =
    credentials === undefined
      ? undefined
      : clients.find((c) =>
          [credentials, ...(credentials.alternatives ?? [])].some(
            (candidate) =>
              safeEqual(c.clientId, candidate.id) && safeEqual(c.clientSecret, candidate.secret),
          ),
        );
  if (client === undefined) throw oauthError(401, "invalid_client", "Client authentication failed");
  const grant = form.get("grant_type");
  if (grant === null || grant === "")
    throw oauthError(400, "invalid_request", "Missing grant_type");
  if (grant !== "client_credentials") {
    throw oauthError(400, "unsupported_grant_type", `Unsupported grant_type: ${grant}`);
  }
  const scopes = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
  if (!scopes.includes("all-apis")) {
    throw oauthError(400, "invalid_scope", "The scope must include all-apis");
  }
  const scope = scopes.join(" ");
  const { token, expiresIn } = store.issue(client.clientId, scope);
  sendJson(
    res,
    200,
    { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope },
    { "Cache-Control": "no-store" },
  );
}
