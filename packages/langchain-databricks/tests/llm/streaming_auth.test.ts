import type { ServerResponse } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DatabricksAbortError } from "../../src/errors.js";
import { Databricks } from "../../src/llms.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";
import { predictions, startFakeWorkspace, TOKEN } from "./fake_workspace.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

function sse(res: ServerResponse, events: unknown[], done = true): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
  if (done) res.end("data: [DONE]\n\n");
}

describe("Databricks streaming", () => {
  it("streams llm/v1/completions tokens with stream: true", async () => {
    server = await startLoopback((req, res) => {
      if (req.method === "GET")
        return sendJson(res, 200, {
          task: "llm/v1/completions",
          endpoint_type: "FOUNDATION_MODEL_API",
        });
      sse(
        res,
        ["Hel", "lo", " world"].map((text) => ({ choices: [{ index: 0, text }] })),
      );
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "c", maxTokens: 5 });
    const chunks: string[] = [];
    for await (const chunk of await llm.stream("Say hi")) chunks.push(chunk);
    expect(chunks).toEqual(["Hel", "lo", " world"]);
    expect(server.requests[1]?.json).toEqual({ prompt: "Say hi", max_tokens: 5, stream: true });
  });

  it("streams llm/v1/chat deltas and cuts at a stop sequence split across chunks", async () => {
    server = await startLoopback((_req, res) => {
      sse(
        res,
        ["Hello", " wor", "ld. ", "STO", "P here", " more"].map((content) => ({
          choices: [{ delta: { content } }],
        })),
      );
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "c",
      task: "llm/v1/chat",
    });
    const chunks: string[] = [];
    for await (const chunk of await llm.stream("x", { stop: ["STOP"] })) chunks.push(chunk);
    expect(chunks.join("")).toBe("Hello world. ");
    expect(server.requests[0]?.json).toEqual({
      messages: [{ role: "user", content: "x" }],
      stop: ["STOP"],
      stream: true,
    });
  });

  it("custom models and driver apps stream as a single chunk", async () => {
    server = await startFakeWorkspace({
      endpoints: { dolly: { answer: () => predictions("whole answer") } },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "dolly" });
    const chunks: string[] = [];
    for await (const chunk of await llm.stream("x")) chunks.push(chunk);
    expect(chunks).toEqual(["whole answer"]);
  });
});

describe("Databricks cancellation", () => {
  it("an AbortSignal stops at once, also during a retry wait", async () => {
    server = await startLoopback((_req, res) =>
      sendJson(
        res,
        429,
        { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" },
        { "retry-after": "20" },
      ),
    );
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
      maxRetries: 5,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(llm.invoke("x", { signal: controller.signal })).rejects.toBeInstanceOf(
      DatabricksAbortError,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(server.requests).toHaveLength(1);
  });
});

describe("Databricks unified auth", () => {
  it("OAuth M2M: discovers the token endpoint, caches the token, refreshes once on 401", async () => {
    let issued = 0;
    let rejectNext = false;
    server = await startLoopback((req, res) => {
      const base = `http://${String(req.headers.host)}`;
      if (req.url === "/.well-known/databricks-config")
        return sendJson(res, 200, { oidc_endpoint: `${base}/oidc` });
      if (req.url === "/oidc/.well-known/oauth-authorization-server") {
        return sendJson(res, 200, {
          token_endpoint: `${base}/oidc/v1/token`,
          authorization_endpoint: `${base}/oidc/v1/authorize`,
        });
      }
      if (req.url === "/oidc/v1/token") {
        issued++;
        return sendJson(res, 200, {
          access_token: `access-${issued}`,
          token_type: "Bearer",
          expires_in: "3600",
        });
      }
      if (rejectNext) {
        rejectNext = false;
        return sendJson(res, 401, { error_code: 401, message: "Credential was not sent" });
      }
      sendJson(res, 200, { auth: req.headers.authorization, ...predictions("ok") });
    });
    const llm = new Databricks({
      host: server.url,
      clientId: "sp-client",
      clientSecret: "sp-secret-value-123456",
      endpointName: "e",
      task: "custom",
    });
    expect(await llm.invoke("a")).toBe("ok");
    expect(await llm.invoke("b")).toBe("ok");
    expect(issued).toBe(1);
    const tokenRequest = server.requests.find((r) => r.url === "/oidc/v1/token");
    expect(tokenRequest?.headers.authorization).toBe(
      `Basic ${Buffer.from("sp-client:sp-secret-value-123456").toString("base64")}`,
    );
    expect(new URLSearchParams(tokenRequest?.body)).toEqual(
      new URLSearchParams("grant_type=client_credentials&scope=all-apis"),
    );
    rejectNext = true;
    expect(await llm.invoke("c")).toBe("ok");
    expect(issued).toBe(2);
    const last = server.requests.at(-1);
    expect(last?.headers.authorization).toBe("Bearer access-2");
    expect(last?.headers["user-agent"]).toContain("auth/oauth-m2m");
  });

  it("a config profile supplies host, token and cluster_id: Databricks({ clusterDriverPort })", async () => {
    server = await startFakeWorkspace({ driver: (body) => `driver:${String(body["prompt"])}` });
    const dir = mkdtempSync(join(tmpdir(), "ldb-cfg-"));
    const file = join(dir, "databrickscfg");
    writeFileSync(
      file,
      `[DEFAULT]\nhost = https://should-not-be-used.example.com\n\n[emulator]\nhost = ${server.url} ; loopback\ntoken: ${TOKEN}\ncluster_id = 0101-profile\n`,
    );
    vi.stubEnv("DATABRICKS_CONFIG_FILE", file);
    vi.stubEnv("DATABRICKS_CONFIG_PROFILE", "emulator");
    const llm = new Databricks({ clusterDriverPort: "7777" });
    expect(await llm.invoke("hi")).toBe("driver:hi");
    expect(server.requests[0]?.url).toBe("/driver-proxy-api/o/0/0101-profile/7777");
  });

  it("both a PAT and client credentials without authType is a config error", () => {
    expect(
      () =>
        new Databricks({
          host: "https://w.cloud.databricks.com",
          token: "dapi-abcdefgh",
          clientId: "a",
          clientSecret: "b-secret-xyz",
          endpointName: "e",
        }),
    ).toThrow(/more than one authorization method configured: oauth and pat/);
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: "dapi-abcdefgh",
      clientId: "a",
      clientSecret: "b-secret-xyz",
      authType: "pat",
      endpointName: "e",
    });
    expect(llm.client.authType).toBe("pat");
  });

  it("a credentials object with authenticate(headers) supplies the headers", async () => {
    server = await startFakeWorkspace({ endpoints: { e: { answer: () => predictions("ok") } } });
    const config = {
      authenticate: async (headers: Headers) => {
        headers.set("Authorization", `Bearer ${TOKEN}`);
      },
    };
    const llm = new Databricks({
      host: server.url,
      credentials: config,
      endpointName: "e",
      task: "custom",
    });
    expect(await llm.invoke("x")).toBe("ok");
  });

  it("explicit options beat the environment", async () => {
    server = await startFakeWorkspace({ endpoints: { e: { answer: () => predictions("ok") } } });
    vi.stubEnv("DATABRICKS_HOST", "https://env-host.example.com");
    vi.stubEnv("DATABRICKS_TOKEN", "dapi-env-token-should-lose");
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
    });
    expect(await llm.invoke("x")).toBe("ok");
  });
});
