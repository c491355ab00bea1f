import { afterEach, describe, expect, it } from "vitest";
import type { CredentialsProvider } from "../../src/credentials_provider.js";
import { DatabricksConnectionError, DatabricksTimeoutError } from "../../src/errors.js";
import { DatabricksClient } from "../../src/transport/client.js";
import { classifyTransportError, fetchSender, undiciSender } from "../../src/transport/http.js";
import type { HttpSender } from "../../src/transport/types.js";
import { startLoopback, type LoopbackServer } from "../helpers/loopback.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const pat: CredentialsProvider = {
  authType: "pat",
  headers: async () => ({ authorization: "Bearer dapi-timeout-test-000" }),
  invalidate: () => false,
};

const client = (url: string, sender: HttpSender, timeoutMs: number) =>
  new DatabricksClient({ host: url, credentials: pat, sender, timeoutMs, maxRetries: 0 });

/** A stream that sends one event, then stalls without ending. */
async function stallingStream(): Promise<LoopbackServer> {
  return startLoopback((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: {"n":1}\n\n');
  });
}

describe("timeouts", () => {
  it.each([
    ["undici", undiciSender],
    ["fetch", fetchSender(fetch)],
  ])(
    "%s: a stream that stalls longer than the timeout fails with DatabricksTimeoutError",
    async (_name, sender) => {
      server = await stallingStream();
      const events: unknown[] = [];
      const started = Date.now();
      const error = await (async () => {
        // 600 ms: also long enough for a first global fetch to load Node's bundled undici on a
        // loaded machine before the first event, which must arrive.
        for await (const event of client(server!.url, sender, 600).streamJson("/s", {}))
          events.push(event);
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksTimeoutError);
      expect(events).toEqual([{ n: 1 }]);
      expect(Date.now() - started).toBeLessThan(3_000);
    },
  );

  it("fetch: a slow JSON answer times out", async () => {
    server = await startLoopback((_req, res) => {
      setTimeout(() => res.end("{}"), 2_000);
    });
    await expect(
      client(server.url, fetchSender(fetch), 100).requestJson("GET", "/x", undefined),
    ).rejects.toBeInstanceOf(DatabricksTimeoutError);
  });

  it("undici's own headers timeout (long timeouts) is reported as DatabricksTimeoutError", async () => {
    server = await startLoopback((_req, res) => {
      setTimeout(() => res.end("{}"), 15_000);
    });
    const started = Date.now();
    await expect(
      client(server.url, undiciSender, 5_000).requestJson("GET", "/x", undefined),
    ).rejects.toBeInstanceOf(DatabricksTimeoutError);
    // undici's timers have about a second of resolution.
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 20_000);

  it("classifies undici timeout codes as timeouts and other errors as connection failures", () => {
    const request = { method: "GET", url: "http://127.0.0.1:1/x", timeoutMs: 5_000 };
    const headersTimeout = Object.assign(new Error("Headers Timeout Error"), {
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    const bodyTimeout = Object.assign(new Error("Body Timeout Error"), {
      code: "UND_ERR_BODY_TIMEOUT",
    });
    expect(classifyTransportError(headersTimeout, request)).toBeInstanceOf(DatabricksTimeoutError);
    expect(classifyTransportError(bodyTimeout, request)).toBeInstanceOf(DatabricksTimeoutError);
    const reset = classifyTransportError(
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      request,
    );
    expect(reset).toBeInstanceOf(DatabricksConnectionError);
    expect(reset).not.toBeInstanceOf(DatabricksTimeoutError);
    expect(reset.message).toContain("GET /x failed: ECONNRESET");
  });
});
