/**
 * Secrets a server echoes back never reach an error a user can see: not its message, `toJSON()`,
 * `String(error)`, nor `util.inspect(error)` (with the `cause` chain and response headers). Each
 * client scrubs the secrets of its own credentials provider; nothing is kept process-wide.
 *
 * The secrets here are deliberately not credential-shaped (no `dapi…`, no JWT, not after `Bearer`),
 * so only the per-client redaction can catch them.
 */
import type { ServerResponse } from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { OAuthM2MCredentials } from "../../src/auth/credentials.js";
import { ChatDatabricks } from "../../src/chat_models.js";
import {
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksCredentialsError,
} from "../../src/errors.js";
import { DatabricksClient } from "../../src/transport/client.js";
import { createHttpSender } from "../../src/transport/http.js";
import { startOidcServer, type OidcServer } from "../auth/oidc_server.js";
import {
  sendJson,
  startLoopback,
  type LoopbackServer,
  type RecordedRequest,
} from "../helpers/loopback.js";

const PAT = "pat-REDACT-me-0001";
const CLIENT_SECRET = "client-secret-REDACT-0002";

let servers: Array<LoopbackServer | OidcServer> = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function loopback(
  handler: (request: RecordedRequest, res: ServerResponse) => void,
): Promise<LoopbackServer> {
  const server = await startLoopback(handler);
  servers.push(server);
  return server;
}

/** The credential a request carried, without its scheme: what a careless server echoes. */
const credentialOf = (request: RecordedRequest): string =>
  String(request.headers.authorization ?? "").replace(/^\S+\s+/, "");

/** A server that refuses every call with a 400 quoting the caller's credential, in body and header. */
function echoingServer(): Promise<LoopbackServer> {
  return loopback((req, res) => {
    const credential = credentialOf(req);
    sendJson(
      res,
      400,
      { error_code: "BAD_REQUEST", message: `you sent ${credential}, which we log` },
      { "x-echo": credential },
    );
  });
}

/** Every way a user sees an error. */
function renderings(error: unknown): string[] {
  return [
    (error as Error).message,
    JSON.stringify(error),
    String(error),
    inspect(error, { depth: 10 }),
    String((error as { serverMessage?: unknown }).serverMessage ?? ""),
  ];
}

function expectNowhere(error: unknown, ...secrets: string[]): void {
  expect(error).toBeInstanceOf(Error);
  for (const text of renderings(error)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

const chat = (fields: ConstructorParameters<typeof ChatDatabricks>[0]): ChatDatabricks =>
  new ChatDatabricks({ endpoint: "chat", maxRetries: 0, ...fields });

describe("a PAT echoed back", () => {
  it("is scrubbed from an API error, its serverMessage and its headers", async () => {
    const server = await echoingServer();
    const error = await chat({ host: server.url, token: PAT })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAPIError);
    expect((error as DatabricksAPIError).serverMessage).toBe("you sent ***, which we log");
    expect((error as DatabricksAPIError).headers["x-echo"]).toBe("***");
    expectNowhere(error, PAT);
  });

  it("is scrubbed from an error inside a stream that had started", async () => {
    const server = await loopback((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "a" } }] })}\n\n`,
      );
      res.end(
        `data: ${JSON.stringify({ error_code: "BAD_REQUEST", message: credentialOf(req) })}\n\n`,
      );
    });
    const model = chat({ host: server.url, token: PAT });
    const error = await (async () => {
      for await (const _chunk of await model.stream("hi")) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAPIError);
    expectNowhere(error, PAT);
  });

  it("is scrubbed along the cause chain of a connection failure", async () => {
    const failingFetch: typeof fetch = (_input, init) => {
      const sent = new Headers(init?.headers).get("authorization") ?? "";
      const detail = new Error(`header value ${sent.replace(/^\S+\s+/, "")} rejected`);
      return Promise.reject(new TypeError("fetch failed", { cause: detail }));
    };
    const error = await chat({ host: "http://127.0.0.1:9", token: PAT, fetch: failingFetch })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect(inspect(error, { depth: 10 })).toContain("[cause]");
    expectNowhere(error, PAT);
  });
});

describe("OAuth M2M secrets echoed back", () => {
  it("the client secret and its Basic credential, from the token endpoint", async () => {
    const basic = Buffer.from(`sp-echo:${CLIENT_SECRET}`).toString("base64");
    const oidc = await startOidcServer({
      tokenResponses: [
        {
          status: 400,
          body: { error: "invalid_request", error_description: `got ${basic} / ${CLIENT_SECRET}` },
        },
      ],
    });
    servers.push(oidc);
    const error = await chat({ host: oidc.url, clientId: "sp-echo", clientSecret: CLIENT_SECRET })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    expect((error as Error).cause).toBeInstanceOf(DatabricksAPIError);
    expectNowhere(error, CLIENT_SECRET, basic);
  });

  it("the access token, from a serving endpoint", async () => {
    let issued = 0;
    const server = await loopback((req, res) => {
      if (req.url === "/oidc/v1/token") {
        issued += 1;
        return sendJson(res, 200, {
          access_token: `opaque-access-${issued}-xyz`,
          expires_in: 3600,
        });
      }
      if (req.method === "GET") return sendJson(res, 404, { error_code: "NOT_FOUND" });
      sendJson(res, 400, { error_code: "BAD_REQUEST", message: `bad ${credentialOf(req)}` });
    });
    const error = await chat({ host: server.url, clientId: "sp", clientSecret: CLIENT_SECRET })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAPIError);
    expect((error as DatabricksAPIError).serverMessage).toBe("bad ***");
    expectNowhere(error, "opaque-access-1-xyz");
  });
});

describe("custom credentials echoed back", () => {
  it("every credential header the provider hands out", async () => {
    const server = await loopback((req, res) =>
      sendJson(res, 400, {
        message: `${credentialOf(req)} + ${String(req.headers["x-databricks-azure-sp-management-token"])}`,
      }),
    );
    const error = await chat({
      host: server.url,
      credentials: async () => ({
        Authorization: "Bearer custom-REDACT-0003",
        "X-Databricks-Azure-SP-Management-Token": "management-REDACT-0004",
      }),
    })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksAPIError);
    expectNowhere(error, "custom-REDACT-0003", "management-REDACT-0004");
  });
});

describe("secrets are per client", () => {
  it("two clients with different tokens each scrub their own, and only their own", async () => {
    const tokenA = "token-of-client-A-0005";
    const tokenB = "token-of-client-B-0006";
    // The server quotes both tokens to everyone (a shared log line, say).
    const server = await loopback((_req, res) =>
      sendJson(res, 400, { message: `recent callers: ${tokenA}, ${tokenB}` }),
    );
    const errorA = await chat({ host: server.url, token: tokenA })
      .invoke("hi")
      .catch((e: unknown) => e);
    const errorB = await chat({ host: server.url, token: tokenB })
      .invoke("hi")
      .catch((e: unknown) => e);
    expectNowhere(errorA, tokenA);
    expectNowhere(errorB, tokenB);
    // No process-wide registry: client A does not know B's token (nor B A's).
    expect((errorA as Error).message).toContain(tokenB);
    expect((errorB as Error).message).toContain(tokenA);
  });

  it("after many OAuth refreshes the provider holds the latest two tokens, nothing more", async () => {
    const oidc = await startOidcServer();
    servers.push(oidc);
    const provider = new OAuthM2MCredentials({
      host: oidc.url,
      clientId: "sp",
      clientSecret: CLIENT_SECRET,
    });
    const client = new DatabricksClient({
      host: oidc.url,
      credentials: provider,
      sender: createHttpSender(),
      timeoutMs: 5000,
      maxRetries: 0,
    });
    for (let i = 0; i < 50; i++) {
      provider.invalidate();
      await provider.headers(undefined, client);
    }
    expect(oidc.tokenRequests()).toHaveLength(50);
    const basic = Buffer.from(`sp:${CLIENT_SECRET}`).toString("base64");
    expect(provider.secrets()).toEqual([CLIENT_SECRET, basic, "tok-50", "tok-49"]);
  });
});
