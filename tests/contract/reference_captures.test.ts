/**
 * Wire captures cited in docs/PROTOCOL.md (each with its public source), replayed
 * byte for byte by a loopback server, so the client is checked against what real Databricks
 * services sent rather than against our own emulator's idea of them. The emulator is then checked
 * to answer the same shapes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ChatDatabricks, Databricks } from "langchain-databricks";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";
import {
  DatabricksAuthenticationError,
  DatabricksNotFoundError,
  DatabricksPermissionDeniedError,
  DatabricksRateLimitError,
} from "langchain-databricks";
import {
  startLoopback,
  type LoopbackServer,
} from "../../packages/langchain-databricks/tests/helpers/loopback.js";

const TOKEN = "dapi-capture-test-000000";
let server: LoopbackServer | undefined;
let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await server?.close();
  await emulator?.close();
  server = undefined;
  emulator = undefined;
});

/** Serve one captured answer for every request. */
async function replay(status: number, headers: Record<string, string>, body: string) {
  server = await startLoopback((_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  });
  return server;
}

const llmFor = (url: string, fields: Record<string, unknown> = {}) =>
  new Databricks({
    host: url,
    token: TOKEN,
    endpointName: "e",
    task: "custom",
    maxRetries: 0,
    ...fields,
  });

describe("client against captured Databricks answers", () => {
  it("§6.1 403 capture (databricks-sdk-go#873): integer error_code, reason-phrase header", async () => {
    const s = await replay(
      403,
      {
        "Content-Type": "application/json; charset=utf-8",
        Server: "databricks",
        "X-Databricks-Reason-Phrase": "Invalid access token.",
      },
      '{"error_code": 403, "message": "Invalid access token."}',
    );
    const error = await llmFor(s.url)
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksPermissionDeniedError);
    expect(error).toMatchObject({
      status: 403,
      errorCode: "PERMISSION_DENIED",
      serverMessage: "Invalid access token.",
    });
  });

  it("§6.1 401 capture (pipedream#20701) with its [ReqId]", async () => {
    const s = await replay(
      401,
      { "Content-Type": "application/json" },
      '{"error_code":401,"message":"Credential was not sent or was of an unsupported type for this API. [ReqId: 0f3e5a1c-77aa-4bde-9d3c-2f1d9a8e6b10]"}',
    );
    const error = await llmFor(s.url)
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAuthenticationError);
    expect(error).toMatchObject({
      errorCode: "UNAUTHENTICATED",
      requestId: "0f3e5a1c-77aa-4bde-9d3c-2f1d9a8e6b10",
    });
  });

  it('§6.1 API 1.2 style {"error": ...} (airflow#60444)', async () => {
    const s = await replay(
      404,
      { "Content-Type": "application/json" },
      '{"error":"Bad Target: /api/2.2/sql/endpoints"}',
    );
    const error = await llmFor(s.url)
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksNotFoundError);
    expect(error).toMatchObject({ serverMessage: "Bad Target: /api/2.2/sql/endpoints" });
  });

  it("§6.1 unknown path (databricks-cli#383) and legacy HTML 403", async () => {
    let s = await replay(
      404,
      { "Content-Type": "application/json" },
      `{"error_code":"ENDPOINT_NOT_FOUND","message":"No API found for 'GET /repos'"}`,
    );
    expect(
      await llmFor(s.url)
        .invoke("x")
        .catch((e: unknown) => e),
    ).toMatchObject({
      errorCode: "ENDPOINT_NOT_FOUND",
      serverMessage: "No API found for 'GET /repos'",
    });
    await s.close();
    s = await replay(
      403,
      { "Content-Type": "text/html" },
      "<html><head><title>Error 403 Invalid access token.</title></head><body><h2>HTTP ERROR 403</h2><pre>Invalid access token.</pre></body></html>",
    );
    server = s;
    expect(
      await llmFor(s.url)
        .invoke("x")
        .catch((e: unknown) => e),
    ).toMatchObject({
      status: 403,
      serverMessage: "Invalid access token.",
    });
  });

  it("§6.4 SDK fixture: 429 TOO_MANY_REQUESTS with Retry-After is retried after the wait", async () => {
    let calls = 0;
    server = await startLoopback((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "1" });
        res.end('{"error_code":"TOO_MANY_REQUESTS","message":"Current request has to be retried"}');
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"predictions": ["fine"]}');
    });
    const started = Date.now();
    expect(await llmFor(server.url, { maxRetries: 1 }).invoke("x")).toBe("fine");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls).toBe(2);
  });

  it("§6.2 the same 429 without retries surfaces as a rate-limit error", async () => {
    const s = await replay(
      429,
      { "Content-Type": "application/json" },
      '{"error_code":"TOO_MANY_REQUESTS","message":"slow down"}',
    );
    expect(
      await llmFor(s.url)
        .invoke("x")
        .catch((e: unknown) => e),
    ).toBeInstanceOf(DatabricksRateLimitError);
  });

  it("§2.5 mlflow chat completion example, through the LLM and the chat model", async () => {
    const body =
      '{"id":"chatcmpl-123","object":"chat.completion","created":1700814265,"model":"gpt-4-0613","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}';
    const s = await replay(
      200,
      { "Content-Type": "application/json", "served-model-name": "gpt-4-0613" },
      body,
    );
    expect(await llmFor(s.url, { task: "llm/v1/chat" }).invoke("Hi")).toBe(
      "Hello! How can I assist you today?",
    );
    const chat = new ChatDatabricks({ model: "e", host: s.url, token: TOKEN });
    const reply = await chat.invoke("Hi");
    expect(reply.text).toBe("Hello! How can I assist you today?");
    expect(reply.response_metadata).toMatchObject({ model_name: "gpt-4-0613" });
  });

  it('§2.5 "id": null and "finish_reason": null are accepted', async () => {
    const s = await replay(
      200,
      { "Content-Type": "application/json" },
      '{"id":null,"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":null}]}',
    );
    const chat = new ChatDatabricks({ model: "e", host: s.url, token: TOKEN });
    expect((await chat.invoke("Hi")).text).toBe("ok");
  });

  it("§3.1 appkit SSE fixture streams through the chat model", async () => {
    const s = await replay(
      200,
      { "Content-Type": "text/event-stream" },
      'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n',
    );
    const chat = new ChatDatabricks({ model: "e", host: s.url, token: TOKEN });
    const pieces: string[] = [];
    for await (const chunk of await chat.stream("Hello")) pieces.push(chunk.text);
    expect(pieces.join("")).toBe("Hi");
  });

  it("§3.2 mlflow chat chunk with cumulative usage", async () => {
    const chunk = (content: string, completion: number) =>
      `data: {"id":"x","object":"chat.completion.chunk","created":1712133837,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"${content}"},"finish_reason":null}],"usage":{"prompt_tokens":11,"completion_tokens":${completion},"total_tokens":${11 + completion}}}\n\n`;
    const s = await replay(
      200,
      { "Content-Type": "text/event-stream" },
      `${chunk("Hello", 1)}${chunk(" there", 2)}data: [DONE]\n\n`,
    );
    const chat = new ChatDatabricks({ model: "e", host: s.url, token: TOKEN });
    const usage: unknown[] = [];
    let text = "";
    for await (const c of await chat.stream("Hi")) {
      text += c.text;
      if (c.usage_metadata) usage.push(c.usage_metadata);
    }
    expect(text).toBe("Hello there");
    expect(usage).toEqual([
      expect.objectContaining({ input_tokens: 11, output_tokens: 2, total_tokens: 13 }),
    ]);
  });

  it("§7.6 token responses: expires_in as a string (cli testserver) and as a number", async () => {
    for (const expiresIn of ['"3600"', "3600"]) {
      server = await startLoopback((req, res) => {
        if (req.url === "/oidc/v1/token") {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(
            `{"access_token":"eyJhbGciOi.eyJleHAiOjE.sig","token_type":"Bearer","expires_in":${expiresIn},"scope":"all-apis"}`,
          );
          return;
        }
        if (req.url.startsWith("/.well-known") || req.url.startsWith("/oidc/.well-known")) {
          res.writeHead(404, { "Content-Type": "application/json" });
          res.end('{"error_code":"ENDPOINT_NOT_FOUND","message":"No API found"}');
          return;
        }
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ predictions: [req.headers.authorization] }));
      });
      const llm = new Databricks({
        host: server.url,
        clientId: "b",
        clientSecret: "c-secret",
        endpointName: "e",
        task: "custom",
      });
      expect(await llm.invoke("x")).toBe("Bearer eyJhbGciOi.eyJleHAiOjE.sig");
      await server.close();
      server = undefined;
    }
  });
});

describe("emulator answers the captured shapes", () => {
  it("401 and 403 bodies and headers match the captures", async () => {
    emulator = await startEmulator();
    const missing = await fetch(`${emulator.url}/api/2.0/serving-endpoints`);
    expect(missing.status).toBe(401);
    const missingBody = (await missing.json()) as { error_code: unknown; message: string };
    expect(missingBody.error_code).toBe(401);
    expect(missingBody.message).toMatch(
      /^Credential was not sent or was of an unsupported type for this API\. \[ReqId: [0-9a-f-]+\]$/,
    );
    const wrong = await fetch(`${emulator.url}/api/2.0/serving-endpoints`, {
      headers: { Authorization: "Bearer dapi-wrong-token-000" },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ error_code: 403, message: "Invalid access token." });
    expect(wrong.headers.get("x-databricks-reason-phrase")).toBe("Invalid access token.");
    expect(wrong.headers.get("server")).toBe("databricks");
    expect(wrong.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });

  it("unknown path: ENDPOINT_NOT_FOUND with the capture's message shape", async () => {
    emulator = await startEmulator();
    const res = await fetch(`${emulator.url}/api/2.0/repos`, {
      headers: { Authorization: `Bearer ${emulator.token}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error_code: "ENDPOINT_NOT_FOUND",
      message: "No API found for 'GET /repos'",
    });
  });

  it("host metadata as the cli testserver fakes it", async () => {
    emulator = await startEmulator();
    const res = await fetch(`${emulator.url}/.well-known/databricks-config`);
    expect(await res.json()).toEqual({
      oidc_endpoint: `${emulator.url}/oidc`,
      workspace_id: "900800700600",
    });
  });
});
