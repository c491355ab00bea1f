import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http_util.js";
import type { TokenStore } from "./oauth.js";

/** Who made a request. */
export type Principal = { kind: "pat" } | { kind: "oauth"; clientId: string };

const UNSUPPORTED = "Credential was not sent or was of an unsupported type for this API.";
const INVALID = "Invalid access token.";

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
 * `Invalid access token.`. Tokens are never echoed.
 */
export function authenticate(
  req: IncomingMessage,
  pats: readonly string[],
  store: TokenStore,
): Principal {
  const header = req.headers.authorization ?? "";
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const credential = space === -1 ? "" : header.slice(space + 1).trim();
  if ((scheme !== "bearer" && scheme !== "basic") || credential === "") {
    throw new HttpError(
      401,
      { error_code: 401, message: `${UNSUPPORTED} [ReqId: ${randomUUID()}]` },
      { "X-Databricks-Reason-Phrase": UNSUPPORTED },
    );
  }
  let token = credential;
  if (scheme === "basic") {
    const decoded = Buffer.from(credential, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    // Only the documented `token:<PAT>` form; other users are not emulated.
    token = colon !== -1 && decoded.slice(0, colon) === "token" ? decoded.slice(colon + 1) : "";
  }
  if (token !== "" && matches(token, pats)) return { kind: "pat" };
  if (scheme === "bearer") {
    const clientId = store.check(token);
    if (clientId !== undefined) return { kind: "oauth", clientId };
  }
  throw new HttpError(403, { error_code: 403, message: INVALID });
}
