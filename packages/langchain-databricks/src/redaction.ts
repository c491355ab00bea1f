/**
 * Keeping credentials out of error messages, logs and serialized output, in two layers:
 *
 * - {@link redactSecrets}: credential-shaped text (`Authorization` values, `Bearer …`/`Basic …`,
 *   `dapi…` PATs, JWTs), recognised without knowing any secret. Every `DatabricksError` message
 *   goes through it, and so do the CLI's error line and the driver-proxy server's error answers.
 * - {@link SecretRedactor}: the exact secrets one client's credentials provider holds (a PAT, a
 *   client secret, the access token in use), whatever their shape. Each `DatabricksClient` owns one
 *   and scrubs every error it throws with it. There is no process-wide registry: a client knows
 *   only its own secrets, and a refreshed token replaces the previous one.
 */

/**
 * Shorter values are not treated as secrets: scrubbing every "ab" from messages would mangle
 * them, and no real PAT, client secret or OAuth token is that short.
 */
const MIN_SECRET_LENGTH = 4;

/** How far along `cause` an error's chain is scrubbed (a guard against pathological chains). */
const MAX_CAUSE_DEPTH = 8;

/** Credential-shaped text and what it becomes. */
const CREDENTIAL_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // An Authorization header or field with any scheme: `Authorization: Token x`, `"authorization":"x"`.
  [/\b(authorization["']?\s*[:=]\s*["']?)([A-Za-z][\w-]*\s+)?[^\s"',;&]+/gi, "$1$2***"],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 ***"],
  // Databricks personal access tokens.
  [/\bdapi[0-9a-f]{16,}(-\d+)?\b/g, "***"],
  // JWTs (OAuth access and id tokens): base64url JSON header and payload, then the signature.
  [/\beyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g, "***"],
];

/** Replace credential-shaped text in `text` (see the module comment) with `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Scrubs one client's known secrets, and credential-shaped text, from text and errors. It stores
 * nothing: it asks its source (the credentials provider) for the secrets it holds right now.
 */
export class SecretRedactor {
  readonly #secrets: () => Iterable<string>;

  /** @param secrets - The secrets to scrub, asked for on every use. */
  constructor(secrets: () => Iterable<string>) {
    this.#secrets = secrets;
  }

  /** `text` without the known secrets and without credential-shaped text. */
  redact(text: string): string {
    return this.#scrubber()(text);
  }

  /**
   * Scrub `error` in place and return it: its message, stack, every own string field (such as
   * `serverMessage`) and response-header value, along its `cause` chain. In place, because the
   * error was built for one failed request and is not shared; its class and identity stay.
   */
  redactError<T>(error: T): T {
    const scrub = this.#scrubber();
    const seen = new Set<object>();
    let current: unknown = error;
    for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
      if (typeof current !== "object" || current === null || seen.has(current)) break;
      seen.add(current);
      scrubFields(current as Record<string, unknown>, scrub);
      current = (current as { cause?: unknown }).cause;
    }
    return error;
  }

  #scrubber(): (text: string) => string {
    // Longest first, so a secret containing another is replaced whole.
    const secrets = [...new Set(this.#secrets())]
      .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
    return (text) => {
      let out = text;
      for (const secret of secrets) {
        if (out.includes(secret)) out = out.split(secret).join("***");
      }
      return redactSecrets(out);
    };
  }
}

function scrubFields(target: Record<string, unknown>, scrub: (text: string) => string): void {
  for (const key of new Set(["message", "stack", ...Object.keys(target)])) {
    const value = target[key];
    if (typeof value === "string") {
      const clean = scrub(value);
      if (clean !== value) setField(target, key, clean);
    } else if (key === "headers" && isStringRecord(value)) {
      const entries = Object.entries(value).map(([name, text]) => [name, scrub(text)] as const);
      if (entries.some(([name, text]) => text !== value[name])) {
        setField(target, key, Object.fromEntries(entries));
      }
    }
  }
}

function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  try {
    target[key] = value;
  } catch {
    // A getter-only or frozen field (a platform error's): nothing we can change.
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === "string")
  );
}
