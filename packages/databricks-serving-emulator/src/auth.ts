import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http_util.js";
import type { TokenStore } from "./oauth.js";

/** Who made a request. */
export type Principal = { kind: "pat" } | { kind: "oauth"; clientId: string };

const UNSUPPORTED = "Credential was not sent or was of an unsupported type for this API.";
const INVALID = "Invalid access token.";

/** The two statuses a workspace refuses a credential with (docs/PROTOCOL.md §7.7). */
export type RejectionStatus = 401 | 403;

/**
 * Credentials revoked at run time (`EmulatorHandle.revokeToken`), PATs or issued OAuth tokens,
 * each with the status it is now refused with. Tests use it to play an administrator revoking a
 * token between two calls; only the exact token is refused, its client can get a new one.
 */
export class RevokedCredentials {
  private readonly revoked = new Map<string, RejectionStatus>();

  revoke(token: string, status: RejectionStatus): void {
    this.revoked.set(token, status);
  }

  statusOf(token: string): RejectionStatus | undefined {
    return this.revoked.get(token);
  }
}

/** The 401 a workspace sends when it accepts no credential of the request (captured shape). */
function unauthenticated(): HttpError {
  return new HttpError(
    401,
    { error_code: 401, message: `${UNSUPPORTED} [ReqId: ${randomUUID()}]` },
    { "X-Databricks-Reason-Phrase": UNSUPPORTED },
  );
}

/** The 403 a workspace sends for a wrong, expired or revoked token (captured shape). */
function invalidToken(): HttpError {
  return new HttpError(403, { error_code: 403, message: INVALID });
}

function matches(candidate: string, tokens: readonly string[]): boolean {
  const c = Buffer.from(candidate);
  let found = false;
  for (const token of tokens) {
    const t = Buffer.from(token);
    // Compare every token in constant time per token, so timing does not reveal which matched.
    if (t.length === c.length && timingSafeEqual(t, c)) found = true;
  }
  return found;
}

/**
 * Authenticate a workspace API request (docs/PROTOCOL.md §2.1, §7.7): `Bearer <PAT>`,
 * `Bearer <issued OAuth token>`, or `Basic base64("token:<PAT>")`. Missing or other schemes →
 * 401 with the integer `error_code` real workspaces send; a wrong or expired token → 403
 * `Invalid access token.`; a revoked one → the status it was revoked with, in the same two shapes.
 * Tokens are never echoed.
 */
export function authenticate(
  req: IncomingMessage,
  pats: readonly string[],
  store: TokenStore,
  revoked?: RevokedCredentials,
): Principal {
  const header = req.headers.authorization ?? "";
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const credential = space === -1 ? "" : header.slice(space + 1).trim();
  if ((scheme !== "bearer" && scheme !== "basic") || credential === "") throw unauthenticated();
  let token = credential;
  if (scheme === "basic") {
    const decoded = Buffer.from(credential, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    // Only the documented `token:<PAT>` form; other users are not emulated.
    token = colon !== -1 && decoded.slice(0, colon) === "token" ? decoded.slice(colon + 1) : "";
  }
  const revokedWith = token === "" ? undefined : revoked?.statusOf(token);
  if (revokedWith !== undefined) throw revokedWith === 401 ? unauthenticated() : invalidToken();
  if (token !== "" && matches(token, pats)) return { kind: "pat" };
  if (scheme === "bearer") {
    const clientId = store.check(token);
    if (clientId !== undefined) return { kind: "oauth", clientId };
  }
  throw invalidToken();
}
