import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { DatabricksAPIError, DatabricksConnectionError } from "../../src/errors.js";
import { redactSecrets, SecretRedactor } from "../../src/redaction.js";

describe("redactSecrets (credential-shaped text, no registry)", () => {
  it.each([
    ["Authorization: Bearer dapi0123456789abcdef0123", "Authorization: Bearer ***"],
    ['{"authorization":"Token opaque-value"}', '{"authorization":"Token ***"}'],
    ["authorization=rawvalue&x=1", "authorization=***&x=1"],
    ["sent Bearer abcdefgh12345678", "sent Bearer ***"],
    ["sent Basic dG9rZW46ZGFwaTEyMzQ1Njc4", "sent Basic ***"],
    ["token dapi0123456789abcdef0123-2 leaked", "token *** leaked"],
    ["jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzcCJ9.c2lnbmF0dXJl here", "jwt *** here"],
  ])("%s → %s", (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it("leaves ordinary text alone", () => {
    for (const text of [
      "Authorization header missing",
      "the model is Bearer-compatible",
      "HTTP 429 REQUEST_LIMIT_EXCEEDED: slow down",
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});

describe("SecretRedactor", () => {
  it("asks its source on every use, so a replaced secret is forgotten", () => {
    let current = ["first-secret"];
    const redactor = new SecretRedactor(() => current);
    expect(redactor.redact("first-secret second-secret")).toBe("*** second-secret");
    current = ["second-secret"];
    expect(redactor.redact("first-secret second-secret")).toBe("first-secret ***");
  });

  it("replaces a longer secret whole before a shorter one it contains", () => {
    const redactor = new SecretRedactor(() => ["abcd", "abcd-efgh-ijkl"]);
    expect(redactor.redact("x abcd-efgh-ijkl y abcd")).toBe("x *** y ***");
  });

  it("scrubs an error in place: message, stack, fields, headers, and the cause chain", () => {
    const secret = "in-place-secret-01";
    const root = new Error(`root saw ${secret}`);
    const error = new DatabricksConnectionError(`failed with ${secret}`, { cause: root });
    const api = new DatabricksAPIError(`HTTP 400: ${secret}`, {
      status: 400,
      errorCode: "BAD_REQUEST",
      headers: { "x-echo": secret, "content-type": "application/json" },
      serverMessage: secret,
      requestId: secret,
    });
    const redactor = new SecretRedactor(() => [secret]);
    expect(redactor.redactError(error)).toBe(error);
    redactor.redactError(api);
    for (const text of [inspect(error, { depth: 5 }), inspect(api), JSON.stringify(api)]) {
      expect(text).not.toContain(secret);
    }
    expect(api.headers).toEqual({ "x-echo": "***", "content-type": "application/json" });
    expect(root.message).toBe("root saw ***");
  });

  it("survives cyclic causes, frozen errors and non-errors", () => {
    const redactor = new SecretRedactor(() => ["cyclic-secret"]);
    const a = new Error("a cyclic-secret") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(redactor.redactError(a).message).toBe("a ***");
    const frozen = Object.freeze(new Error("frozen cyclic-secret"));
    expect(() => redactor.redactError(frozen)).not.toThrow();
    expect(redactor.redactError("plain string")).toBe("plain string");
    expect(redactor.redactError(undefined)).toBeUndefined();
  });
});
