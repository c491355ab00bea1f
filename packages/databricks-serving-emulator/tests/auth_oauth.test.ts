import { describe, expect, it } from "vitest";
import {
  DEFAULT_OAUTH_CLIENT,
  EmulatorConfigError,
  TOKEN_ENDPOINT_FAULT_KEY,
} from "../src/index.js";
import { emulator, get, postJson } from "./helpers.js";

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
}

function tokenRequest(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/oidc/v1/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

const CLIENT_AUTH = basic(DEFAULT_OAUTH_CLIENT.clientId, DEFAULT_OAUTH_CLIENT.clientSecret);

describe("discovery and OAuth M2M", () => {
  it("host metadata and authorization-server metadata need no auth", async () => {
    const h = await emulator({ workspaceId: "123" });
    const meta = await fetch(`${h.url}/.well-known/databricks-config`);
    expect(await meta.json()).toEqual({ oidc_endpoint: `${h.url}/oidc`, workspace_id: "123" });
    const oidc = await fetch(`${h.url}/oidc/.well-known/oauth-authorization-server`);
    const doc = (await oidc.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: `${h.url}/oidc`,
      authorization_endpoint: `${h.url}/oidc/v1/authorize`,
      token_endpoint: `${h.url}/oidc/v1/token`,
    });
    expect(doc["grant_types_supported"]).toContain("client_credentials");
    expect(doc["token_endpoint_auth_methods_supported"]).toContain("client_secret_basic");
  });

  it("issues JWT-shaped tokens for Basic client auth, any parameter order; tokens work as Bearer", async () => {
    const h = await emulator();
    for (const body of [
      "grant_type=client_credentials&scope=all-apis",
      "scope=all-apis&grant_type=client_credentials",
    ]) {
      const res = await tokenRequest(h.url, body, { Authorization: CLIENT_AUTH });
      expect(res.status).toBe(200);
      const token = (await res.json()) as Record<string, unknown>;
      expect(token).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "all-apis" });
      const parts = String(token["access_token"]).split(".");
      expect(parts).toHaveLength(3);
      const payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString()) as Record<
        string,
        unknown
      >;
      expect(payload).toMatchObject({ sub: "emulator-client", scope: "all-apis" });
      expect(Number(payload["exp"]) - Number(payload["iat"])).toBeGreaterThanOrEqual(3600);
      const me = await fetch(`${h.url}/api/2.0/preview/scim/v2/Me`, {
        headers: { Authorization: `Bearer ${String(token["access_token"])}` },
      });
      expect(me.status).toBe(200);
      expect(me.headers.get("x-databricks-org-id")).toBe("900800700600");
    }
  });

  it("accepts a Basic secret sent URL-encoded (sdk-js, Go) or raw (other clients)", async () => {
    const h = await emulator({ oauthClients: [{ clientId: "app", clientSecret: "ab+cd/ef=" }] });
    const body = "grant_type=client_credentials&scope=all-apis";
    const raw = await tokenRequest(h.url, body, { Authorization: basic("app", "ab+cd/ef=") });
    expect(raw.status).toBe(200);
    const encoded = `Basic ${Buffer.from(`app:${encodeURIComponent("ab+cd/ef=")}`).toString("base64")}`;
    expect((await tokenRequest(h.url, body, { Authorization: encoded })).status).toBe(200);
    expect((await tokenRequest(h.url, body, { Authorization: basic("app", "wrong") })).status).toBe(
      401,
    );
  });

  it("accepts client_id/client_secret in the body", async () => {
    const h = await emulator();
    const form = new URLSearchParams({
      client_secret: DEFAULT_OAUTH_CLIENT.clientSecret,
      scope: "all-apis",
      client_id: DEFAULT_OAUTH_CLIENT.clientId,
      grant_type: "client_credentials",
    });
    expect((await tokenRequest(h.url, form.toString())).status).toBe(200);
  });

  it("token errors: invalid_client, unsupported_grant_type, invalid_scope", async () => {
    const h = await emulator();
    const badClient = await tokenRequest(h.url, "grant_type=client_credentials&scope=all-apis", {
      Authorization: basic("emulator-client", "wrong"),
    });
    expect(badClient.status).toBe(401);
    expect(await badClient.json()).toEqual({
      error: "invalid_client",
      error_description: "Client authentication failed",
    });
    const grant = await tokenRequest(h.url, "grant_type=password&scope=all-apis", {
      Authorization: CLIENT_AUTH,
    });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: "unsupported_grant_type" });
    const scope = await tokenRequest(h.url, "grant_type=client_credentials&scope=sql", {
      Authorization: CLIENT_AUTH,
    });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: "invalid_scope" });
  });

  it("expired tokens are refused with 403", async () => {
    const h = await emulator({ tokenLifetimeSeconds: 1 });
    const res = await tokenRequest(h.url, "grant_type=client_credentials&scope=all-apis", {
      Authorization: CLIENT_AUTH,
    });
    const { access_token: token, expires_in: expiresIn } = (await res.json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(expiresIn).toBe(1);
    const headers = { Authorization: `Bearer ${token}` };
    expect((await fetch(`${h.url}/api/2.0/serving-endpoints`, { headers })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await fetch(`${h.url}/api/2.0/serving-endpoints`, { headers });
    expect(expired.status).toBe(403);
    expect(await expired.json()).toEqual({ error_code: 403, message: "Invalid access token." });
  });
});

describe("workspace auth shapes", () => {
  it("401 without credentials or with an unsupported scheme", async () => {
    const h = await emulator();
    for (const headers of [
      {},
      { Authorization: `Token ${h.token}` },
      { Authorization: "Bearer " },
    ]) {
      const res = await fetch(`${h.url}/api/2.0/serving-endpoints`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error_code: number; message: string };
      expect(body.error_code).toBe(401);
      expect(body.message).toMatch(
        /^Credential was not sent or was of an unsupported type for this API\. \[ReqId: [0-9a-f-]{36}\]$/,
      );
      expect(res.headers.get("x-databricks-reason-phrase")).toBe(
        "Credential was not sent or was of an unsupported type for this API.",
      );
    }
  });

  it("403 for a wrong token, never echoing it; Basic token:PAT accepted", async () => {
    const h = await emulator();
    const res = await fetch(`${h.url}/api/2.0/serving-endpoints`, {
      headers: { Authorization: "Bearer dapi-secret-wrong" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-databricks-reason-phrase")).toBe("Invalid access token.");
    expect(res.headers.get("server")).toBe("databricks");
    const text = await res.text();
    expect(text).toBe('{"error_code":403,"message":"Invalid access token."}');
    expect(text).not.toContain("dapi-secret-wrong");
    const ok = await fetch(`${h.url}/api/2.0/serving-endpoints`, {
      headers: { Authorization: basic("token", h.token) },
    });
    expect(ok.status).toBe(200);
    const otherUser = await fetch(`${h.url}/api/2.0/serving-endpoints`, {
      headers: { Authorization: basic("alice", h.token) },
    });
    expect(otherUser.status).toBe(403);
    const invocation = await postJson(
      h,
      "/serving-endpoints/dolly/invocations",
      {},
      { Authorization: "Bearer nope" },
    );
    expect(invocation.status).toBe(403);
  });

  it("log lines carry no secrets", async () => {
    const lines: string[] = [];
    const h = await emulator({ log: (line) => lines.push(line) });
    await get(h, "/api/2.0/serving-endpoints?token=sekrit");
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.join("\n")).toContain("GET /api/2.0/serving-endpoints 200");
    expect(lines.join("\n")).not.toContain("sekrit");
    expect(lines.join("\n")).not.toContain(h.token);
  });
});

describe("workspace API", () => {
  it("lists and describes endpoints; unknown → RESOURCE_DOES_NOT_EXIST; unknown path → ENDPOINT_NOT_FOUND", async () => {
    const h = await emulator();
    const list = (await (await get(h, "/api/2.0/serving-endpoints")).json()) as {
      endpoints: { name: string }[];
    };
    expect(list.endpoints.map((e) => e.name)).toEqual([
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
    const llama = (await (
      await get(h, "/api/2.0/serving-endpoints/databricks-llama")
    ).json()) as Record<string, unknown>;
    expect(llama).toMatchObject({
      name: "databricks-llama",
      task: "llm/v1/chat",
      endpoint_type: "FOUNDATION_MODEL_API",
      state: { ready: "READY", config_update: "NOT_UPDATING" },
      permission_level: "CAN_MANAGE",
      capabilities: { function_calling: true },
    });
    expect(llama["id"]).toMatch(/^[0-9a-f]{32}$/);
    const dolly = (await (await get(h, "/api/2.0/serving-endpoints/dolly")).json()) as Record<
      string,
      unknown
    >;
    expect("task" in dolly).toBe(false);
    expect("endpoint_type" in dolly).toBe(false);
    expect("capabilities" in dolly).toBe(false);
    const missing = await get(h, "/api/2.0/serving-endpoints/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error_code: "RESOURCE_DOES_NOT_EXIST",
      message: "Endpoint with name 'nope' does not exist.",
    });
    const unknown = await get(h, "/api/2.0/repos");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error_code: "ENDPOINT_NOT_FOUND",
      message: "No API found for 'GET /repos'",
    });
    const other = await get(h, "/nothing/here");
    expect(await other.json()).toMatchObject({ message: "No API found for 'GET /nothing/here'" });
    const me = await get(h, "/api/2.0/preview/scim/v2/Me");
    expect(me.headers.get("x-databricks-org-id")).toBe("900800700600");
    expect(await me.json()).toMatchObject({ userName: "emulator-user@example.com" });
  });

  it("endpoints added at run time are served", async () => {
    const h = await emulator();
    h.addEndpoint({
      name: "late",
      task: "llm/v1/chat",
      endpointType: "EXTERNAL_MODEL",
      backend: { type: "echo" },
    });
    const res = await postJson(h, "/serving-endpoints/late/invocations", {
      messages: [{ role: "user", content: "hey" }],
    });
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: "hey" } }] });
    expect(h.removeEndpoint("late")).toBe(true);
    expect((await postJson(h, "/serving-endpoints/late/invocations", {})).status).toBe(404);
  });
});

describe("credentials revoked or expired at run time", () => {
  const ME = "/api/2.0/preview/scim/v2/Me";
  const issue = async (h: Awaited<ReturnType<typeof emulator>>): Promise<string> => {
    const res = await tokenRequest(h.url, "grant_type=client_credentials&scope=all-apis", {
      Authorization: CLIENT_AUTH,
    });
    return String(((await res.json()) as Record<string, unknown>)["access_token"]);
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it("revokeToken refuses a PAT with 403 Invalid access token., or with the captured 401", async () => {
    const h = await emulator({ tokens: ["pat-one", "pat-two"] });
    h.revokeToken("pat-one");
    const refused = await get(h, ME, bearer("pat-one"));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error_code: 403, message: "Invalid access token." });
    h.revokeToken("pat-two", { status: 401 });
    const unauthenticated = await get(h, ME, bearer("pat-two"));
    expect(unauthenticated.status).toBe(401);
    expect(((await unauthenticated.json()) as { message: string }).message).toMatch(
      /^Credential was not sent or was of an unsupported type for this API\. \[ReqId: [0-9a-f-]{36}\]$/,
    );
    // Refused before any endpoint: only the per-path counters see these attempts.
    expect(h.stats().paths[`GET ${ME}`]).toBe(2);
  });

  it("revokeOAuthTokens refuses the tokens issued so far; the client gets a new one that works", async () => {
    const h = await emulator();
    const old = await issue(h);
    h.revokeOAuthTokens({ status: 401 });
    expect((await get(h, ME, bearer(old))).status).toBe(401);
    expect((await get(h, ME, bearer(await issue(h)))).status).toBe(200);
  });

  it("expireOAuthTokens ends the tokens issued so far: 403 Invalid access token.", async () => {
    const h = await emulator();
    const old = await issue(h);
    expect((await get(h, ME, bearer(old))).status).toBe(200);
    h.expireOAuthTokens();
    const expired = await get(h, ME, bearer(old));
    expect(expired.status).toBe(403);
    expect(await expired.json()).toEqual({ error_code: 403, message: "Invalid access token." });
    expect((await get(h, ME, bearer(await issue(h)))).status).toBe(200);
  });

  it("the token endpoint takes faults and is counted under TOKEN_ENDPOINT_FAULT_KEY", async () => {
    const h = await emulator({
      faults: { [TOKEN_ENDPOINT_FAULT_KEY]: { failNext: { count: 1, status: 503 } } },
    });
    const body = "grant_type=client_credentials&scope=all-apis";
    const failed = await tokenRequest(h.url, body, { Authorization: CLIENT_AUTH });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
    expect((await tokenRequest(h.url, body, { Authorization: CLIENT_AUTH })).status).toBe(200);
    expect(h.stats().endpoints[TOKEN_ENDPOINT_FAULT_KEY]?.requests).toBe(2);
  });

  it("the token endpoint refuses the faults its answer cannot suffer, at start and at run time", async () => {
    // Its answer is written by the OAuth handler, which applies no body or stream fault: accepting
    // one would make a test believe it exercised a fault that never happens.
    const h = await emulator({});
    for (const fault of [
      { malformedJson: true },
      { cutBodyAfterBytes: 5 },
      { cutStreamAfterChunks: 1 },
      { errorMidStream: { afterChunks: 1, shape: "databricks" as const } },
      { stallStreamAfterChunks: { afterChunks: 1, ms: 1_000 } },
    ]) {
      expect(() => h.setFault(TOKEN_ENDPOINT_FAULT_KEY, fault)).toThrow(EmulatorConfigError);
      await expect(emulator({ faults: { [TOKEN_ENDPOINT_FAULT_KEY]: fault } })).rejects.toThrow(
        /cannot apply to the OAuth token endpoint/,
      );
    }
    // The same faults stay valid on an endpoint, and the token endpoint keeps the others.
    h.setFault("any-endpoint", { malformedJson: true, cutBodyAfterBytes: 5 });
    h.setFault(TOKEN_ENDPOINT_FAULT_KEY, { latencyMs: 1, dropConnection: { count: 1 } });
  });
});
