/**
 * Recognisable secrets, and the check that no printable view of an error contains them, shared by
 * the secrets suite (tests/e2e/secrets.test.ts) and the fault matrix (tests/e2e/fault_matrix.test.ts).
 */
import type { ExpectStatic } from "vitest";

/** A PAT and an OAuth M2M client whose secret is easy to spot in any text. */
export const SECRET_TOKEN = "dapi-SECRETTOKEN-7f3a9c2e5b1d";
export const SECRET_CLIENT_ID = "secret-test-client";
export const SECRET_CLIENT_SECRET = "oauth-SECRETCLIENT-4e8d2a6f0c";

/** The HTTP Basic credential an OAuth token request carries: base64 of `clientId:clientSecret`. */
export function basicCredential(clientId: string, clientSecret: string): string {
  return btoa(`${clientId}:${clientSecret}`);
}

/**
 * What must never be shown, for a PAT and an OAuth client: the token, the client secret and the
 * Basic credential that carries it (the client id alone is no secret).
 */
export function secretsOf(token: string, clientId: string, clientSecret: string): string[] {
  return [token, clientSecret, basicCredential(clientId, clientSecret)];
}

/** The secrets of {@link SECRET_TOKEN} and {@link SECRET_CLIENT_ID}'s client. */
export const SECRETS: readonly string[] = secretsOf(
  SECRET_TOKEN,
  SECRET_CLIENT_ID,
  SECRET_CLIENT_SECRET,
);

/**
 * Every text a user or a logger could print of an error: `String()`, its message, stack,
 * `JSON.stringify` of it and of its `toJSON()`, and the same of every error in its `cause` chain.
 * A non-error is shown as `String()` and `JSON.stringify` of it.
 */
export function errorViews(error: unknown): string[] {
  const views: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && !seen.has(current);) {
    seen.add(current);
    views.push(String(current), JSON.stringify(current) ?? "");
    if (!(current instanceof Error)) break;
    const toJSON = (current as { toJSON?: () => unknown }).toJSON;
    views.push(current.message, current.stack ?? "");
    if (typeof toJSON === "function") views.push(JSON.stringify(toJSON.call(current)) ?? "");
    current = current.cause;
  }
  return views;
}

/**
 * No view of `error` ({@link errorViews}) contains any of `secrets`. Concurrent tests pass their
 * own `expect` (the global one cannot tell which test it serves).
 */
export function expectNoSecret(
  error: unknown,
  expect: ExpectStatic,
  secrets: readonly string[] = SECRETS,
): void {
  for (const view of errorViews(error))
    for (const secret of secrets) expect(view, `${secret} leaked`).not.toContain(secret);
}
