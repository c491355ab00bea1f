/**
 * Keeping credentials out of error messages, logs and serialized output.
 */

/**
 * Shorter strings are not treated as secrets: scrubbing every "ab" from messages would mangle
 * them, and no real PAT, client secret or OAuth token is that short.
 */
const MIN_SECRET_LENGTH = 4;

/** Secrets registered by the auth layer, scrubbed from every message we build. */
const knownSecrets = new Set<string>();

/**
 * Remember a secret (PAT, client secret, access token) so that no error message can echo it back,
 * even when a server reflects the request.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= MIN_SECRET_LENGTH) knownSecrets.add(secret);
}

/** Replace every registered secret and every bearer/basic credential in `text` with `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 ***")
    .replace(/\bdapi[0-9a-f]{16,}(-\d+)?\b/g, "***");
}
