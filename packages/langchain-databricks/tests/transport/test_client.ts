/** The `DatabricksClient` the transport tests share: a PAT, fast retries, the default sender. */
import type { CredentialsProvider } from "../../src/credentials_provider.js";
import { DatabricksClient } from "../../src/transport/client.js";
import { createHttpSender } from "../../src/transport/http.js";

/** The PAT the test clients send (errors must never show it). */
export const TEST_PAT = "dapi-client-test-000000";

export const pat: CredentialsProvider = {
  authType: "pat",
  headers: async () => ({ authorization: `Bearer ${TEST_PAT}` }),
  invalidate: () => false,
};

/** OAuth-like credentials whose token changes on each refresh: `Bearer token-v<refreshes>`. */
export function refreshableCredentials(): CredentialsProvider & { refreshes: number } {
  const provider = {
    authType: "oauth-m2m",
    refreshes: 0,
    headers: async () => ({ authorization: `Bearer token-v${provider.refreshes}` }),
    invalidate: () => {
      provider.refreshes++;
      return true;
    },
  };
  return provider;
}

/** A client of `url` with the PAT, 2 retries 5 ms apart and a 5 s timeout, unless overridden. */
export function testClient(
  url: string,
  overrides: Partial<ConstructorParameters<typeof DatabricksClient>[0]> = {},
): DatabricksClient {
  return new DatabricksClient({
    host: url,
    credentials: pat,
    sender: createHttpSender(),
    timeoutMs: 5_000,
    maxRetries: 2,
    retryBaseDelayMs: 5,
    ...overrides,
  });
}
