import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { CredentialsProvider } from "../../src/credentials_provider.js";
import {
  DatabricksAuthenticationError,
  DatabricksAbortError,
  DatabricksConnectionError,
  DatabricksCredentialsError,
  DatabricksPermissionDeniedError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from "../../src/errors.js";
import { fetchSender } from "../../src/transport/http.js";
import { refreshableCredentials, testClient } from "./test_client.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const client = testClient;

describe("DatabricksClient.requestJson", () => {
  it("retries 503 and 429 then succeeds, with the same body each time", async () => {
    server = await startLoopback((req, res, index) => {
      if (index === 0)
        return sendJson(res, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" });
      if (index === 1)
        return sendJson(
          res,
          429,
          { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow" },
          { "retry-after": "0" },
        );
      sendJson(res, 200, { ok: req.json });
    });
    const result = await client(server.url).requestJson("POST", "/x", { a: 1 });
    expect(result.data).toEqual({ ok: { a: 1 } });
    expect(server.requests.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
  });

  // docs/RELIABILITY.md, "A 2xx answer that cannot be read is retried": the answer is unusable
  // and a plain query has no side effects (openai-node, by contrast, never retries after a 2xx).
  it("retries a 2xx whose body is truncated JSON, or whose connection resets mid-body", async () => {
    server = await startLoopback((_req, res, index) => {
      if (index === 0) {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end('{"choices": [');
      }
      if (index === 1) {
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"choices": [');
        return void setTimeout(() => res.socket?.destroy(), 20);
      }
      sendJson(res, 200, { ok: true });
    });
    const result = await client(server.url).requestJson("POST", "/x", { a: 1 });
    expect(result.data).toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry 400/403/404 and throws the typed error", async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 403, { error_code: 403, message: "Invalid access token." }),
    );
    await expect(client(server.url).requestJson("GET", "/x", undefined)).rejects.toBeInstanceOf(
      DatabricksPermissionDeniedError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("gives up after maxRetries, and a per-call maxRetries overrides the default", async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 500, { error_code: "INTERNAL_ERROR", message: "x" }),
    );
    await expect(client(server.url).requestJson("GET", "/x", undefined)).rejects.toMatchObject({
      status: 500,
    });
    expect(server.requests).toHaveLength(3);
    await expect(
      client(server.url).requestJson("GET", "/x", undefined, { maxRetries: 0 }),
    ).rejects.toMatchObject({
      status: 500,
    });
    expect(server.requests).toHaveLength(4);
  });

  it("times out a slow attempt, retries it, and reports a DatabricksTimeoutError", async () => {
    server = await startLoopback((_req, res) => {
      setTimeout(() => sendJson(res, 200, {}), 1_000);
    });
    const started = Date.now();
    await expect(
      client(server.url, { timeoutMs: 100, maxRetries: 1 }).requestJson("GET", "/slow", undefined),
    ).rejects.toBeInstanceOf(DatabricksTimeoutError);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("aborts at once and never retries an abort", async () => {
    const controller = new AbortController();
    // Abort once the request has arrived (a fixed delay raced the first request's lazy undici
    // import on a loaded machine): the answer would take 2 s.
    server = await startLoopback((_req, res) => {
      setTimeout(() => sendJson(res, 200, {}), 2_000);
      setTimeout(() => controller.abort(), 20);
    });
    const started = Date.now();
    await expect(
      client(server.url).requestJson("GET", "/slow", undefined, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(DatabricksAbortError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });

  it("an already-aborted signal sends nothing", async () => {
    server = await startLoopback((_req, res) => sendJson(res, 200, {}));
    await expect(
      client(server.url).requestJson("GET", "/x", undefined, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(DatabricksAbortError);
    expect(server.requests).toHaveLength(0);
  });

  it("retries connection failures (nothing listening) and reports DatabricksConnectionError", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await client(`http://127.0.0.1:${port}`, { maxRetries: 1 })
      .requestJson("GET", "/x", undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("a 2xx body that is not JSON is a DatabricksResponseError, retried once per policy", async () => {
    server = await startLoopback((_req, res, index) => {
      if (index === 0) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{not json");
        return;
      }
      sendJson(res, 200, { fine: true });
    });
    expect((await client(server.url).requestJson("GET", "/x", undefined)).data).toEqual({
      fine: true,
    });
    server.requests.length = 0;
    const noRetry = client(server.url, { maxRetries: 0 });
    await server.close();
    server = await startLoopback((_req, res) => {
      res.writeHead(200);
      res.end("<html>oops</html>");
    });
    await expect(
      client(server.url, { maxRetries: 0 }).requestJson("GET", "/x", undefined),
    ).rejects.toBeInstanceOf(DatabricksResponseError);
    expect(noRetry).toBeDefined();
  });

  it("on 401 invalidates credentials once and retries with fresh ones", async () => {
    const oauth = refreshableCredentials();
    server = await startLoopback((req, res) => {
      if (req.headers.authorization === "Bearer token-v0") {
        return sendJson(res, 401, { error_code: 401, message: "Credential was not sent" });
      }
      sendJson(res, 200, { who: req.headers.authorization });
    });
    const result = await client(server.url, { credentials: oauth }).requestJson(
      "GET",
      "/x",
      undefined,
    );
    expect(result.data).toEqual({ who: "Bearer token-v1" });
    expect(oauth.refreshes).toBe(1);
  });

  it("the workspace's 403 Invalid access token also refreshes refreshable credentials once", async () => {
    const oauth = refreshableCredentials();
    server = await startLoopback((req, res) => {
      if (req.headers.authorization === "Bearer token-v0") {
        return sendJson(res, 403, { error_code: 403, message: "Invalid access token." });
      }
      if (req.url === "/denied") {
        return sendJson(res, 403, { error_code: "PERMISSION_DENIED", message: "No Can Query." });
      }
      sendJson(res, 200, { who: req.headers.authorization });
    });
    const c = client(server.url, { credentials: oauth });
    expect((await c.requestJson("GET", "/x", undefined)).data).toEqual({ who: "Bearer token-v1" });
    // A real permission problem is not a credential problem: no refresh, no retry.
    await expect(c.requestJson("GET", "/denied", undefined)).rejects.toBeInstanceOf(
      DatabricksPermissionDeniedError,
    );
    expect(oauth.refreshes).toBe(1);
  });

  it("the AI Gateway's 400 `Invalid Token` (a text body) refreshes once too, and says what to check", async () => {
    const oauth = refreshableCredentials();
    server = await startLoopback((req, res) => {
      if (req.headers.authorization === "Bearer token-v0" || req.url === "/always") {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end("Invalid Token");
        return;
      }
      sendJson(res, 200, { who: req.headers.authorization });
    });
    const c = client(server.url, { credentials: oauth });
    expect(
      (await c.requestJson("POST", "/ai-gateway/mlflow/v1/chat/completions", {})).data,
    ).toEqual({ who: "Bearer token-v1" });
    const error = await c.requestJson("POST", "/always", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAuthenticationError);
    expect(error).toMatchObject({ status: 400, lc_error_code: "MODEL_AUTHENTICATION" });
    expect((error as Error).message).toContain("check DATABRICKS_TOKEN");
    // One refresh per call at most: the second call refreshed once more, then surfaced.
    expect(oauth.refreshes).toBe(2);
  });

  it("a second 401 after refreshing surfaces instead of looping", async () => {
    const oauth: CredentialsProvider = {
      authType: "oauth-m2m",
      headers: async () => ({ authorization: "Bearer always-bad" }),
      invalidate: () => true,
    };
    server = await startLoopback((_req, res) =>
      sendJson(res, 401, { error_code: 401, message: "nope" }),
    );
    await expect(
      client(server.url, { credentials: oauth }).requestJson("GET", "/x", undefined),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(server.requests).toHaveLength(2);
  });

  it("works the same through an injected fetch", async () => {
    server = await startLoopback((req, res) =>
      sendJson(res, 200, { got: req.json, ua: req.headers["user-agent"] }),
    );
    const viaFetch = client(server.url, { sender: fetchSender(fetch) });
    const { data } = await viaFetch.requestJson<{ got: unknown; ua: string }>("POST", "/x", {
      b: 2,
    });
    expect(data.got).toEqual({ b: 2 });
    expect(data.ua).toMatch(/^langchain-databricks\//);
  });
});

describe("DatabricksClient.streamJson", () => {
  it("yields SSE events and retries a 503 that came before the stream started", async () => {
    server = await startLoopback((_req, res, index) => {
      if (index === 0)
        return sendJson(res, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"n":1}\n\n');
      res.write('data: {"n":2}\n\n');
      res.end("data: [DONE]\n\n");
    });
    const events: unknown[] = [];
    for await (const event of client(server.url).streamJson("/s", { stream: true }))
      events.push(event);
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
    expect(server.requests[1]?.headers.accept).toBe("text/event-stream");
  });

  it("a stream cut after it started raises and is not restarted", async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.destroy(), 20);
    });
    const events: unknown[] = [];
    await expect(async () => {
      for await (const event of client(server!.url).streamJson("/s", {})) events.push(event);
    }).rejects.toBeInstanceOf(DatabricksConnectionError);
    expect(events).toEqual([{ n: 1 }]);
    expect(server.requests).toHaveLength(1);
  });

  it("a credentials failure is final, as for requestJson: not retried as a lost connection", async () => {
    server = await startLoopback((_req, res) => sendJson(res, 200, {}));
    let tokenFetches = 0;
    const refused: CredentialsProvider = {
      authType: "oauth-m2m",
      headers: () => {
        tokenFetches++;
        return Promise.reject(
          new DatabricksCredentialsError("the token endpoint refused the client", {
            status: 401,
            errorCode: "invalid_client",
          }),
        );
      },
      invalidate: () => true,
    };
    const stream = client(server.url, { credentials: refused }).streamJson("/s", {});
    const error = await stream.next().then(
      () => new Error("expected a failure"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    expect(error).toMatchObject({ status: 401, errorCode: "invalid_client" });
    expect(tokenFetches).toBe(1);
    expect(server.requests).toHaveLength(0);
  });
});
