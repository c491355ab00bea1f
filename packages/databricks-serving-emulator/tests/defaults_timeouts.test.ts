import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createOpenAIUpstreamBackend,
  DEFAULT_EMULATOR_TOKEN,
  DEFAULT_OAUTH_CLIENT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  loadEmulatorConfig,
  startEmulator,
  type EmulatorHandle,
} from "../src/index.js";
import { errorCodeFor } from "../src/http_util.js";
import { emulator, get, postJson } from "./helpers.js";

const own: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(own.splice(0).map((h) => h.close()));
});

/** An emulator started here (not through the helper, which always passes options). */
async function started(handle: Promise<EmulatorHandle>): Promise<EmulatorHandle> {
  const h = await handle;
  own.push(h);
  return h;
}

function tokenRequest(url: string, clientId: string, clientSecret: string): Promise<Response> {
  return fetch(`${url}/oidc/v1/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials&scope=all-apis",
  });
}

async function endpointNames(h: EmulatorHandle): Promise<string[]> {
  const res = await get(h, "/api/2.0/serving-endpoints");
  expect(res.status).toBe(200);
  const body = (await res.json()) as { endpoints: { name: string }[] };
  return body.endpoints.map((e) => e.name);
}

describe("startEmulator defaults", () => {
  it("with no argument starts the demo workspace: PAT, the 10 demo endpoints, the OAuth client", async () => {
    const h = await started(startEmulator());
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.token).toBe(DEFAULT_EMULATOR_TOKEN);
    expect(await endpointNames(h)).toEqual([
      "dolly",
      "databricks-llama",
      "databricks-completions",
      "databricks-embeddings",
      "databricks-claude-sonnet-4-5",
      "databricks-gpt-oss-120b",
      "databricks-gpt-5",
      "databricks-gpt-5-codex",
      "responses-agent",
      "chat-agent",
    ]);
    const res = await tokenRequest(
      h.url,
      DEFAULT_OAUTH_CLIENT.clientId,
      DEFAULT_OAUTH_CLIENT.clientSecret,
    );
    expect(res.status).toBe(200);
    const token = (await res.json()) as { access_token: string; token_type: string };
    expect(token.token_type).toBe("Bearer");
    // The issued token opens the endpoints too.
    const answer = await fetch(`${h.url}/serving-endpoints/dolly/invocations`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token.access_token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ dataframe_records: [{ prompt: "How are you?" }] }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ predictions: ["I am fine. Thank you for asking."] });
  });

  it("an explicit options object keeps per-field defaults: PAT only, no endpoints, no client", async () => {
    const h = await started(startEmulator({}));
    expect(h.token).toBe(DEFAULT_EMULATOR_TOKEN);
    expect(await endpointNames(h)).toEqual([]);
    const res = await tokenRequest(
      h.url,
      DEFAULT_OAUTH_CLIENT.clientId,
      DEFAULT_OAUTH_CLIENT.clientSecret,
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("an explicit object with one field changes only that field", async () => {
    const h = await started(startEmulator({ tokens: ["dapi-only-this-one-000"] }));
    expect(h.token).toBe("dapi-only-this-one-000");
    expect(await endpointNames(h)).toEqual([]);
  });
});

interface Stalled {
  url: string;
  /** Requests received so far. */
  received: number;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible server that never finishes an answer: it sends nothing at all, or only the
 * headers and half a body.
 */
async function stalledUpstream(mode: "silent" | "half-body"): Promise<Stalled> {
  const open: ServerResponse[] = [];
  const state = { received: 0 };
  const server: Server = createServer((req, res) => {
    state.received++;
    req.resume();
    open.push(res);
    if (mode === "half-body") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"choices": [');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const handle: Stalled = {
    url: `http://127.0.0.1:${port}/v1`,
    get received() {
      return state.received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  own.push(handle);
  return handle;
}

describe("openai-upstream timeout", () => {
  it.each(["silent", "half-body"] as const)(
    "answers 504 DEADLINE_EXCEEDED when the upstream hangs (%s)",
    async (mode) => {
      const upstream = await stalledUpstream(mode);
      const h = await emulator({
        endpoints: [
          {
            name: "hung",
            task: "llm/v1/chat",
            endpointType: "EXTERNAL_MODEL",
            backend: { type: "openai-upstream", baseUrl: upstream.url, timeoutMs: 100 },
          },
        ],
      });
      const began = Date.now();
      const res = await postJson(h, "/serving-endpoints/hung/invocations", {
        messages: [{ role: "user", content: "hello?" }],
      });
      expect(res.status).toBe(504);
      expect(await res.json()).toEqual({
        error_code: "DEADLINE_EXCEEDED",
        message: "Upstream model server did not answer within 100 ms.",
      });
      expect(Date.now() - began).toBeLessThan(5000);
      expect(upstream.received).toBe(1);
      // The emulator is still serving.
      expect((await get(h, "/api/2.0/serving-endpoints/hung")).status).toBe(200);
    },
  );

  it("bounds embeddings requests too", async () => {
    const upstream = await stalledUpstream("silent");
    const h = await emulator({
      endpoints: [
        {
          name: "hung-emb",
          task: "llm/v1/embeddings",
          endpointType: "EXTERNAL_MODEL",
          backend: { type: "openai-upstream", baseUrl: upstream.url, timeoutMs: 50 },
        },
      ],
    });
    const res = await postJson(h, "/serving-endpoints/hung-emb/invocations", { input: ["x"] });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error_code: string }).error_code).toBe("DEADLINE_EXCEEDED");
  });

  it("takes fractional and very long timeouts", async () => {
    const upstream = await emulator();
    for (const timeoutMs of [2500.5, 1e12]) {
      const backend = createOpenAIUpstreamBackend({
        baseUrl: `${upstream.url}/serving-endpoints`,
        apiKey: upstream.token,
        model: "databricks-completions",
        timeoutMs,
      });
      const out = await backend.generate?.({
        kind: "completion",
        endpoint: "u",
        prompt: "How are you?",
        messages: [],
        input: [],
        n: 1,
        stop: [],
        tools: [],
        temperature: 0,
        body: {},
      });
      expect(out).toMatchObject({ choices: [{ text: "I am fine. Thank you for asking." }] });
    }
  });

  it("defaults to two minutes and refuses a non-positive timeout", () => {
    expect(DEFAULT_UPSTREAM_TIMEOUT_MS).toBe(120_000);
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createOpenAIUpstreamBackend({ baseUrl: "http://x", timeoutMs })).toThrow(
        /timeoutMs must be a positive number/,
      );
    }
  });

  it("cuts off clients slower than requestTimeoutMs (default 30 s), refusing invalid values", async () => {
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    for (const requestTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      await expect(startEmulator({ requestTimeoutMs })).rejects.toThrow(/requestTimeoutMs/);
    }
    const dir = mkdtempSync(join(tmpdir(), "emu-request-timeout-"));
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ requestTimeoutMs: 5000 }));
    expect(loadEmulatorConfig(file).requestTimeoutMs).toBe(5000);
    writeFileSync(file, JSON.stringify({ requestTimeoutMs: "5s" }));
    expect(() => loadEmulatorConfig(file)).toThrow(/requestTimeoutMs/);
    // A client that sends half its headers and stalls gets Node's 408 once the timeout passes.
    const h = await started(startEmulator({ requestTimeoutMs: 200 }));
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.port, "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nHost: x"));
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("loadEmulatorConfig accepts and validates timeoutMs", () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-timeout-"));
    const file = join(dir, "config.json");
    const config = (timeoutMs: unknown): string =>
      JSON.stringify({
        endpoints: [
          {
            name: "u",
            task: "llm/v1/chat",
            backend: { type: "openai-upstream", baseUrl: "http://127.0.0.1:1/v1", timeoutMs },
          },
        ],
      });
    writeFileSync(file, config(2500));
    expect(loadEmulatorConfig(file).endpoints?.[0]?.backend).toEqual({
      type: "openai-upstream",
      baseUrl: "http://127.0.0.1:1/v1",
      timeoutMs: 2500,
    });
    for (const bad of [0, -5, "30s", null]) {
      writeFileSync(file, config(bad));
      expect(() => loadEmulatorConfig(file)).toThrow(
        /endpoints\[0\]\.backend: openai-upstream `timeoutMs` must be a positive number/,
      );
    }
  });
});

describe("emulator error codes", () => {
  it("follow the shared status table, with BAD_REQUEST for non-error statuses", () => {
    const expected: Record<number, string> = {
      200: "BAD_REQUEST",
      302: "BAD_REQUEST",
      400: "BAD_REQUEST",
      401: "UNAUTHENTICATED",
      403: "PERMISSION_DENIED",
      404: "NOT_FOUND",
      405: "BAD_REQUEST",
      409: "RESOURCE_CONFLICT",
      413: "REQUEST_ENTITY_TOO_LARGE",
      415: "UNSUPPORTED_MEDIA_TYPE",
      418: "BAD_REQUEST",
      429: "REQUEST_LIMIT_EXCEEDED",
      499: "CANCELLED",
      500: "INTERNAL_ERROR",
      501: "NOT_IMPLEMENTED",
      502: "BAD_GATEWAY",
      503: "TEMPORARILY_UNAVAILABLE",
      504: "DEADLINE_EXCEEDED",
      507: "INTERNAL_ERROR",
    };
    for (const [status, code] of Object.entries(expected)) {
      expect([status, errorCodeFor(Number(status))]).toEqual([status, code]);
    }
  });

  it("name injected faults by status", async () => {
    const h = await emulator({ faults: { dolly: { failNext: { count: 1, status: 504 } } } });
    const res = await postJson(h, "/serving-endpoints/dolly/invocations", {
      dataframe_records: [{ prompt: "x" }],
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error_code: string }).error_code).toBe("DEADLINE_EXCEEDED");
  });
});
