import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  OAuthM2MCredentials,
  type OAuthM2MCredentialsOptions,
} from "../../src/auth/credentials.js";
import { DatabricksCredentialsError } from "../../src/errors.js";
import { resolveDatabricksConfig } from "../../src/auth/resolve.js";
import { EXPIRY_MARGIN_MS } from "../../src/auth/token_cache.js";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
} from "../../src/errors.js";
import { DatabricksClient } from "../../src/transport/client.js";
import { createHttpSender } from "../../src/transport/http.js";
import type { HttpSender } from "../../src/transport/types.js";
import { startOidcServer, type OidcServer, type OidcServerOptions } from "./oidc_server.js";

const sender = createHttpSender();
const SECRET = "dose0123456789abcdefSECRET";
const servers: OidcServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((srv) => srv.close()));
});

async function server(options: OidcServerOptions = {}): Promise<OidcServer> {
  const started = await startOidcServer(options);
  servers.push(started);
  return started;
}

/** A controllable clock, starting at an arbitrary instant. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_700_000_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

/** The provider as a client uses it: `headers()` passes the client as the transport. */
interface ClientCredentials {
  provider: OAuthM2MCredentials;
  client: DatabricksClient;
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  invalidate(): boolean;
}

/**
 * M2M credentials used through a client on `host`: the client's sender (default: the real one),
 * retries (default 3, without waiting) and timeout carry the discovery and token requests.
 */
function credentials(
  host: string,
  overrides: Partial<OAuthM2MCredentialsOptions> & {
    sender?: HttpSender;
    maxRetries?: number;
  } = {},
): ClientCredentials {
  const { sender: clientSender = sender, maxRetries = 3, ...options } = overrides;
  const provider = new OAuthM2MCredentials({
    host,
    clientId: "sp-client-id",
    clientSecret: SECRET,
    ...options,
  });
  const client = new DatabricksClient({
    host,
    credentials: provider,
    sender: clientSender,
    timeoutMs: 5000,
    maxRetries,
    sleep: () => Promise.resolve(),
  });
  return {
    provider,
    client,
    headers: (signal) => provider.headers(signal, client),
    invalidate: () => provider.invalidate(),
  };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe("OAuthM2MCredentials: discovery and token request", () => {
  it("discovers the token endpoint in two steps, then posts the client-credentials grant", async () => {
    const srv = await server({ tokenPath: "/oidc/v2/custom-token" });
    const creds = credentials(srv.url);
    expect(creds.provider.authType).toBe("oauth-m2m");
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /.well-known/databricks-config",
      "GET /oidc/.well-known/oauth-authorization-server",
      "POST /oidc/v2/custom-token",
    ]);
    const token = srv.tokenRequests()[0];
    expect(token?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(token?.body).toBe("grant_type=client_credentials&scope=all-apis");
    const form = new URLSearchParams(token?.body);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe("all-apis");
  });

  it("falls back to {host}/oidc/v1/token when discovery 404s, and discovers only once", async () => {
    const srv = await server({ discovery: false });
    const creds = credentials(srv.url);
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    // Host metadata, then the Go SDK's default OIDC location, then the classic endpoint.
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /.well-known/databricks-config",
      "GET /oidc/.well-known/oauth-authorization-server",
      "POST /oidc/v1/token",
    ]);
    expect(creds.invalidate()).toBe(true);
    expect(await creds.headers()).toEqual(bearer("tok-2"));
    expect(srv.requests.filter((r) => r.method === "GET")).toHaveLength(2);
  });

  it("after a transient host-metadata failure, finds the token endpoint at {host}/oidc", async () => {
    const srv = await server();
    let failures = 1;
    const flaky: HttpSender = (req) => {
      if (req.url.endsWith("/.well-known/databricks-config") && failures-- > 0) {
        return Promise.resolve({
          status: 503,
          headers: {},
          text: () => Promise.resolve(""),
          body: (async function* () {})(),
          discard: () => Promise.resolve(),
        });
      }
      return sender(req);
    };
    const creds = credentials(srv.url, { sender: flaky, maxRetries: 0 });
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    creds.invalidate();
    expect(await creds.headers()).toEqual(bearer("tok-2"));
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /oidc/.well-known/oauth-authorization-server",
      "POST /oidc/v1/token",
      "POST /oidc/v1/token",
    ]);
  });

  it("falls back at once, without retrying, when discovery answers 200 with HTML", async () => {
    const srv = await server({ discovery: "html" });
    expect(await credentials(srv.url).headers()).toEqual(bearer("tok-1"));
    expect(srv.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /.well-known/databricks-config",
      "GET /oidc/.well-known/oauth-authorization-server",
      "POST /oidc/v1/token",
    ]);
  });

  it("ignores a discovered plain-http token endpoint on a remote host", async () => {
    const srv = await server({ announcedTokenEndpoint: "http://evil.example.com/token" });
    expect(await credentials(srv.url).headers()).toEqual(bearer("tok-1"));
    expect(srv.tokenRequests().map((r) => r.path)).toEqual(["/oidc/v1/token"]);
  });

  it("sends Basic base64(urlencode(id):urlencode(secret)) exactly", async () => {
    const srv = await server();
    // databricks-sdk-go's auth_m2m_test expects exactly this for id "b", secret "c".
    await credentials(srv.url, { clientId: "b", clientSecret: "c" }).headers();
    expect(srv.tokenRequests()[0]?.headers["authorization"]).toBe("Basic Yjpj");

    const id = "client:1";
    const secret = "p@ss word/+=&:";
    await credentials(srv.url, { clientId: id, clientSecret: secret }).headers();
    const encoded = "client%3A1:p%40ss%20word%2F%2B%3D%26%3A";
    expect(srv.tokenRequests()[1]?.headers["authorization"]).toBe(
      `Basic ${Buffer.from(encoded).toString("base64")}`,
    );
  });

  it("uses token_type verbatim, accepts expires_in as a string, defaults to Bearer", async () => {
    const srv = await server({
      tokenResponses: [
        { status: 200, body: { access_token: "cde", token_type: "Some", expires_in: "3600" } },
      ],
    });
    expect(await credentials(srv.url).headers()).toEqual({ authorization: "Some cde" });
    const srv2 = await server({ tokenResponses: [{ status: 200, body: { access_token: "xyz" } }] });
    expect(await credentials(srv2.url).headers()).toEqual({ authorization: "Bearer xyz" });
  });

  it("a string expires_in sets the expiry like a number", async () => {
    const clock = fakeClock();
    const srv = await server({
      tokenResponses: [{ status: 200, body: { access_token: "tok-string", expires_in: "100" } }],
    });
    const creds = credentials(srv.url, { now: clock.now });
    await creds.headers();
    clock.advance(100_000 - EXPIRY_MARGIN_MS + 1);
    await creds.headers();
    expect(srv.tokenRequests()).toHaveLength(2);
  });

  it("a token response without access_token is a DatabricksCredentialsError", async () => {
    const srv = await server({ tokenResponses: [{ status: 200, body: { token_type: "Bearer" } }] });
    await expect(credentials(srv.url).headers()).rejects.toThrow(/has no access_token/);
  });
});

describe("OAuthM2MCredentials: cache and refresh", () => {
  it("serves many calls from one token request", async () => {
    const srv = await server();
    const creds = credentials(srv.url);
    for (let i = 0; i < 5; i++) expect(await creds.headers()).toEqual(bearer("tok-1"));
    const many = await Promise.all(Array.from({ length: 20 }, () => creds.headers()));
    expect(new Set(many.map((h) => h["authorization"]))).toEqual(new Set(["Bearer tok-1"]));
    expect(srv.tokenRequests()).toHaveLength(1);
  });

  it("concurrent callers share one in-flight refresh", async () => {
    const srv = await server({ tokenDelayMs: 100 });
    const creds = credentials(srv.url);
    const all = await Promise.all(Array.from({ length: 25 }, () => creds.headers()));
    expect(all.every((h) => h["authorization"] === "Bearer tok-1")).toBe(true);
    expect(srv.tokenRequests()).toHaveLength(1);
    // Same after an invalidation.
    creds.invalidate();
    const again = await Promise.all(Array.from({ length: 25 }, () => creds.headers()));
    expect(again.every((h) => h["authorization"] === "Bearer tok-2")).toBe(true);
    expect(srv.tokenRequests()).toHaveLength(2);
  });

  it("refreshes in the background within min(TTL/2, 20 min) of expiry", async () => {
    const clock = fakeClock();
    const srv = await server();
    const creds = credentials(srv.url, { now: clock.now });
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    clock.advance(39 * 60_000); // 21 min left: still fresh
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    expect(srv.tokenRequests()).toHaveLength(1);
    clock.advance(2 * 60_000); // 19 min left: stale, served while refreshing
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    await vi.waitFor(async () => expect(await creds.headers()).toEqual(bearer("tok-2")));
    expect(srv.tokenRequests()).toHaveLength(2);
  });

  it("uses TTL/2 as the refresh lead for short-lived tokens", async () => {
    const clock = fakeClock();
    const srv = await server({
      tokenResponses: [
        { status: 200, body: { access_token: "short-1", expires_in: 100 } },
        { status: 200, body: { access_token: "short-2", expires_in: 100 } },
      ],
    });
    const creds = credentials(srv.url, { now: clock.now });
    await creds.headers();
    clock.advance(49_000);
    expect(await creds.headers()).toEqual(bearer("short-1"));
    expect(srv.tokenRequests()).toHaveLength(1);
    clock.advance(2_000); // 49 s left: inside TTL/2 = 50 s, outside the 40 s margin
    expect(await creds.headers()).toEqual(bearer("short-1"));
    await vi.waitFor(() => expect(srv.tokenRequests()).toHaveLength(2));
  });

  it("treats a token as expired 40 s before its expiry (blocking refresh)", async () => {
    const clock = fakeClock();
    const srvA = await server();
    const a = credentials(srvA.url, { now: clock.now, tokenEndpoint: `${srvA.url}/oidc/v1/token` });
    await a.headers();
    clock.advance(3600_000 - EXPIRY_MARGIN_MS - 1000); // 41 s left: still served
    expect(await a.headers()).toEqual(bearer("tok-1"));

    const clockB = fakeClock();
    const srvB = await server();
    const b = credentials(srvB.url, { now: clockB.now });
    await b.headers();
    clockB.advance(3600_000 - EXPIRY_MARGIN_MS + 1000); // 39 s left: must wait for a new token
    expect(await b.headers()).toEqual(bearer("tok-2"));
  });

  it("a failed background refresh is swallowed and retried by the next call", async () => {
    const clock = fakeClock();
    const srv = await server({
      tokenResponses: [
        { status: 200, body: { access_token: "good", expires_in: 3600 } },
        { status: 401, body: { error: "invalid_client" } },
        { status: 200, body: { access_token: "better", expires_in: 3600 } },
      ],
    });
    const creds = credentials(srv.url, { now: clock.now });
    await creds.headers();
    clock.advance(50 * 60_000);
    expect(await creds.headers()).toEqual(bearer("good"));
    await vi.waitFor(() => expect(srv.tokenRequests()).toHaveLength(2));
    await vi.waitFor(async () => expect(await creds.headers()).toEqual(bearer("better")));
  });

  it("invalidate() drops the token and returns true", async () => {
    const srv = await server();
    const creds = credentials(srv.url);
    expect(await creds.headers()).toEqual(bearer("tok-1"));
    expect(creds.invalidate()).toBe(true);
    expect(await creds.headers()).toEqual(bearer("tok-2"));
    expect(await creds.headers()).toEqual(bearer("tok-2"));
  });

  it("an aborted caller stops waiting without cancelling the shared refresh", async () => {
    const srv = await server({ tokenDelayMs: 200 });
    const creds = credentials(srv.url);
    const controller = new AbortController();
    const aborted = creds.headers(controller.signal);
    const patient = creds.headers();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(DatabricksAbortError);
    expect(await patient).toEqual(bearer("tok-1"));
    expect(srv.tokenRequests()).toHaveLength(1);
  });
});

describe("OAuthM2MCredentials: errors and retries", () => {
  it("retries a 503 from the token endpoint, then succeeds", async () => {
    const srv = await server({
      tokenResponses: [
        { status: 503, body: { error_code: "TEMPORARILY_UNAVAILABLE", message: "try later" } },
        { status: 200, body: { access_token: "after-503", expires_in: 3600 } },
      ],
    });
    expect(await credentials(srv.url).headers()).toEqual(bearer("after-503"));
    expect(srv.tokenRequests()).toHaveLength(2);
  });

  it("does not retry 401 invalid_client, and never shows the secret", async () => {
    const srv = await server({
      tokenResponses: [
        {
          status: 401,
          body: { error: "invalid_client", error_description: "Client authentication failed" },
        },
      ],
    });
    const error = await credentials(srv.url)
      .headers()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(srv.tokenRequests()).toHaveLength(1);
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    // Not an API error: the request that needed the token must not retry or refresh on it.
    expect(error).not.toBeInstanceOf(DatabricksAPIError);
    const credentialsError = error as DatabricksCredentialsError;
    expect(credentialsError.status).toBe(401);
    expect(credentialsError.message).toContain("invalid_client (Client authentication failed)");
    expect(credentialsError.message).toContain("sp-client-id");
    expect(credentialsError.message).toContain(`${srv.url}/oidc/v1/token`);
    expect(credentialsError.message).not.toContain(SECRET);
    expect(JSON.stringify(credentialsError)).not.toContain(SECRET);
  });

  it("redacts the secret and the Basic credential when the server echoes them", async () => {
    const basic = Buffer.from(`echo-id:${SECRET}`).toString("base64");
    const srv = await server({
      tokenResponses: [
        {
          status: 400,
          body: { error: "invalid_request", error_description: `got ${basic} and ${SECRET}` },
        },
      ],
    });
    const error = await credentials(srv.url, { clientId: "echo-id" })
      .headers()
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    for (const text of [(error as Error).message, JSON.stringify(error)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(basic);
    }
  });

  it("an unreachable host is a DatabricksCredentialsError caused by a connection error", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const creds = credentials(`http://127.0.0.1:${port}`, { maxRetries: 1 });
    const error = await creds.headers().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    expect((error as Error).cause).toBeInstanceOf(DatabricksConnectionError);
    expect((error as Error).message).toMatch(/oauth-m2m: could not get a token/);
  });
});

describe("resolveDatabricksConfig with oauth-m2m", () => {
  it("builds working M2M credentials from environment variables", async () => {
    const srv = await server();
    const resolved = resolveDatabricksConfig(
      {},
      {
        env: {
          HOME: "/nonexistent-home",
          DATABRICKS_HOST: `${srv.url}/`,
          DATABRICKS_CLIENT_ID: "env-client",
          DATABRICKS_CLIENT_SECRET: SECRET,
        },
      },
    );
    expect(resolved.host).toBe(srv.url);
    expect(resolved.authType).toBe("oauth-m2m");
    const client = new DatabricksClient({
      host: resolved.host,
      credentials: resolved.credentials,
      sender,
      timeoutMs: 5000,
      maxRetries: 0,
    });
    expect(await resolved.credentials.headers(undefined, client)).toEqual(bearer("tok-1"));
    expect(srv.tokenRequests()[0]?.headers["authorization"]).toBe(
      `Basic ${Buffer.from(`env-client:${SECRET}`).toString("base64")}`,
    );
  });
});
