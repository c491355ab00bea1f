/**
 * OAuth M2M requests (discovery and token) go through the model's own transport: the same sender
 * (an injected `fetch` sees them), the same User-Agent, the same retry layer, and nothing else
 * retries them again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OAuthM2MCredentials } from "../../src/auth/credentials.js";
import { Databricks } from "../../src/llms.js";
import {
  DatabricksAPIError,
  DatabricksConfigError,
  DatabricksCredentialsError,
} from "../../src/errors.js";
import { startOidcServer, type OidcServer, type OidcServerOptions } from "./oidc_server.js";

const SECRET = "transport-test-client-secret-0001";
let server: OidcServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An LLM with OAuth M2M whose every request goes through a recording `fetch`. */
async function llmOnOidcServer(
  options: OidcServerOptions,
  maxRetries: number,
): Promise<{ llm: Databricks; seen: { url: string; userAgent: string | null }[] }> {
  server = await startOidcServer(options);
  const seen: { url: string; userAgent: string | null }[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    seen.push({
      url: new URL(String(input)).pathname,
      userAgent: new Headers(init?.headers).get("user-agent"),
    });
    return fetch(input, init);
  };
  const llm = new Databricks({
    host: server.url,
    clientId: "sp-transport",
    clientSecret: SECRET,
    endpointName: "e",
    task: "custom",
    maxRetries,
    retryBaseDelayMs: 1,
    fetch: recordingFetch,
  });
  return { llm, seen };
}

describe("OAuth M2M on the client's transport", () => {
  it("discovery and token requests use the model's fetch and its one User-Agent", async () => {
    const { llm, seen } = await llmOnOidcServer({}, 0);
    // The OIDC test server has no serving endpoint: the invocation is a 404 after the token.
    await expect(llm.invoke("x")).rejects.toBeInstanceOf(DatabricksAPIError);
    expect(seen.map((r) => r.url)).toEqual([
      "/.well-known/databricks-config",
      "/oidc/.well-known/oauth-authorization-server",
      "/oidc/v1/token",
      "/serving-endpoints/e/invocations",
    ]);
    const agents = new Set(seen.map((r) => r.userAgent));
    expect(agents.size).toBe(1);
    expect([...agents][0]).toMatch(/^langchain-databricks\/\S+ .*auth\/oauth-m2m$/);
  });

  it("a failing token endpoint is retried by the one retry layer, and the call is not retried on top", async () => {
    const { llm, seen } = await llmOnOidcServer(
      {
        tokenResponses: [
          { status: 503, body: { error_code: "TEMPORARILY_UNAVAILABLE", message: "down" } },
        ],
      },
      2,
    );
    const error = await llm.invoke("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksCredentialsError);
    expect((error as DatabricksCredentialsError).status).toBe(503);
    // 1 + maxRetries token attempts; never (1 + maxRetries)², and no serving request at all.
    expect(seen.filter((r) => r.url === "/oidc/v1/token")).toHaveLength(3);
    expect(seen.filter((r) => r.url.startsWith("/serving-endpoints/"))).toHaveLength(0);
  });

  it("the provider needs a transport to fetch a token", async () => {
    const provider = new OAuthM2MCredentials({
      host: "https://w.cloud.databricks.com",
      clientId: "id",
      clientSecret: SECRET,
    });
    await expect(provider.headers()).rejects.toBeInstanceOf(DatabricksConfigError);
  });
});
