import { describe, expect, it } from "vitest";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from "../../src/errors.js";
import {
  abortableSleep,
  backoffDelay,
  isRetryable,
  parseRetryAfter,
  retryDelay,
  withRetry,
} from "../../src/transport/retry.js";

const apiError = (status: number, headers: Record<string, string> = {}, body = "") =>
  DatabricksAPIError.fromResponse({ status, headers, body });

describe("isRetryable", () => {
  it.each([429, 500, 502, 503, 504])("retries HTTP %i", (status) => {
    expect(isRetryable(apiError(status))).toBe(true);
  });
  it.each([400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 501])(
    "never retries HTTP %i",
    (status) => {
      expect(isRetryable(apiError(status))).toBe(false);
    },
  );
  it("retries rate-limit error codes whatever the status", () => {
    expect(
      isRetryable(apiError(400, {}, '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow"}')),
    ).toBe(true);
  });
  it("retries connection failures and timeouts, not aborts or unknown errors", () => {
    expect(isRetryable(new DatabricksConnectionError("ECONNREFUSED"))).toBe(true);
    expect(isRetryable(new DatabricksTimeoutError("slow"))).toBe(true);
    expect(isRetryable(new DatabricksAbortError("stop"))).toBe(false);
    expect(isRetryable(new TypeError("bug"))).toBe(false);
    expect(isRetryable(new DatabricksResponseError("bad shape"))).toBe(false);
    expect(isRetryable(new DatabricksResponseError("bad json", { cause: "invalid-json" }))).toBe(
      true,
    );
  });
});

describe("retry timing", () => {
  it("parses integer seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    for (const invalid of ["1.5", "-1", "1 2", "10s", ""])
      expect(parseRetryAfter(invalid)).toBeUndefined();
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
  });
  it("backs off exponentially within ±25% and caps", () => {
    expect(backoffDelay(0, 500, 8000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, 8000, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, 500, 8000, () => 0.5)).toBe(8000);
    expect(backoffDelay(0, 500, 8000, () => 0)).toBe(375);
    expect(backoffDelay(0, 500, 8000, () => 1)).toBe(625);
  });
  it("honours Retry-After on 429 and 503, and waits ~1 s for a headerless 429", () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 8000 };
    expect(retryDelay(apiError(429, { "retry-after": "2" }), 0, policy, () => 0)).toBe(2000);
    expect(retryDelay(apiError(503, { "retry-after": "1" }), 0, policy, () => 0)).toBe(1000);
    expect(retryDelay(apiError(429), 0, policy, () => 0.5)).toBe(1000);
    expect(retryDelay(apiError(429, { "retry-after": "3600" }), 0, policy)).toBeUndefined();
    expect(retryDelay(apiError(500), 1, policy, () => 0.5)).toBe(1000);
  });
});

describe("withRetry", () => {
  const fastSleep = async () => undefined;

  it("retries up to maxRetries then throws the last error", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw apiError(503);
        },
        { maxRetries: 2, sleep: fastSleep },
      ),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
  });

  it("returns the first success", async () => {
    let calls = 0;
    const result = await withRetry(
      async (index) => {
        calls++;
        if (index < 2) throw new DatabricksConnectionError("reset");
        return "ok";
      },
      { maxRetries: 5, sleep: fastSleep },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("does not retry a 400", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw apiError(400);
        },
        { maxRetries: 5, sleep: fastSleep },
      ),
    ).rejects.toBeInstanceOf(DatabricksAPIError);
    expect(calls).toBe(1);
  });

  it("stops at once when aborted during a backoff wait", async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const promise = withRetry(
      async () => {
        calls++;
        throw apiError(429, { "retry-after": "30" });
      },
      { maxRetries: 3, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(promise).rejects.toBeInstanceOf(DatabricksAbortError);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("abortableSleep rejects immediately for an aborted signal", async () => {
    await expect(abortableSleep(10_000, AbortSignal.abort())).rejects.toBeInstanceOf(
      DatabricksAbortError,
    );
  });
});
