import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CustomCredentials,
  OAuthM2MCredentials,
  PatCredentials,
} from "../../src/auth/credentials.js";
import {
  resolveDatabricksConfig,
  type DatabricksAuthOptions,
  type ResolvedDatabricksConfig,
} from "../../src/auth/resolve.js";
import type { CredentialsProvider } from "../../src/credentials_provider.js";
import { DatabricksConfigError } from "../../src/errors.js";

let home: string;
let cfgPath: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "dbresolve-"));
  cfgPath = join(home, ".databrickscfg");
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const writeCfg = (text: string): void => writeFileSync(cfgPath, text);

function resolve(
  options: DatabricksAuthOptions,
  env: Record<string, string | undefined> = {},
): ResolvedDatabricksConfig {
  return resolveDatabricksConfig(options, { env: { HOME: home, ...env } });
}

function errorOf(fn: () => unknown): DatabricksConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DatabricksConfigError);
  return caught as DatabricksConfigError;
}

async function authHeader(resolved: ResolvedDatabricksConfig): Promise<string | undefined> {
  return (await resolved.credentials.headers())["authorization"];
}

const PROFILES = [
  "[DEFAULT]",
  "host = https://file-default.cloud.databricks.com/",
  "token = dapiFILEDEFAULT0",
  "cluster_id = 0101-file",
  "",
  "[dev]",
  "host = https://file-dev.cloud.databricks.com",
  "token = dapiFILEDEV00000",
  "",
  "[sp]",
  "host = https://file-sp.cloud.databricks.com",
  "client_id = file-client",
  "client_secret = fileSECRET00000",
  "",
  "[both]",
  "host = https://file-both.cloud.databricks.com",
  "token = dapiFILEBOTH0000",
  "client_id = file-client",
  "client_secret = fileSECRET00000",
  "auth_type = oauth-m2m",
].join("\n");

describe("precedence: explicit > env > config profile", () => {
  it("explicit options win over environment variables", async () => {
    const resolved = resolve(
      {
        host: "https://explicit.cloud.databricks.com",
        token: "dapiEXPLICIT0000",
        clusterId: "c-1",
      },
      {
        DATABRICKS_HOST: "https://env.cloud.databricks.com",
        DATABRICKS_TOKEN: "dapiENV000000000",
        DATABRICKS_CLUSTER_ID: "c-env",
      },
    );
    expect(resolved.host).toBe("https://explicit.cloud.databricks.com");
    expect(resolved.authType).toBe("pat");
    expect(resolved.clusterId).toBe("c-1");
    expect(resolved.credentials).toBeInstanceOf(PatCredentials);
    expect(await authHeader(resolved)).toBe("Bearer dapiEXPLICIT0000");
  });

  it("environment variables fill what explicit options leave unset", async () => {
    const resolved = resolve(
      { host: "https://explicit.cloud.databricks.com" },
      { DATABRICKS_HOST: "https://env.cloud.databricks.com", DATABRICKS_TOKEN: "dapiENV000000000" },
    );
    expect(resolved.host).toBe("https://explicit.cloud.databricks.com");
    expect(await authHeader(resolved)).toBe("Bearer dapiENV000000000");
  });

  it("empty environment variables count as unset", () => {
    writeCfg(PROFILES);
    const resolved = resolve({}, { DATABRICKS_HOST: "", DATABRICKS_TOKEN: "" });
    expect(resolved.host).toBe("https://file-default.cloud.databricks.com");
    expect(resolved.profile).toBe("DEFAULT");
  });

  it("falls back to the DEFAULT profile of ~/.databrickscfg when nothing else is set", async () => {
    writeCfg(PROFILES);
    const resolved = resolve({});
    expect(resolved.host).toBe("https://file-default.cloud.databricks.com");
    expect(resolved.profile).toBe("DEFAULT");
    expect(resolved.clusterId).toBe("0101-file");
    expect(await authHeader(resolved)).toBe("Bearer dapiFILEDEFAULT0");
  });

  it("a requested profile is read even when host is set, and never overwrites it", async () => {
    writeCfg(PROFILES);
    const resolved = resolve({ host: "https://explicit.cloud.databricks.com", profile: "dev" });
    expect(resolved.host).toBe("https://explicit.cloud.databricks.com");
    expect(resolved.profile).toBe("dev");
    expect(await authHeader(resolved)).toBe("Bearer dapiFILEDEV00000");
  });

  it("environment values win over the requested profile", async () => {
    writeCfg(PROFILES);
    const resolved = resolve(
      {},
      { DATABRICKS_CONFIG_PROFILE: "dev", DATABRICKS_TOKEN: "dapiENVWINS00000" },
    );
    expect(resolved.host).toBe("https://file-dev.cloud.databricks.com");
    expect(resolved.profile).toBe("dev");
    expect(await authHeader(resolved)).toBe("Bearer dapiENVWINS00000");
  });

  it("the explicit profile wins over DATABRICKS_CONFIG_PROFILE", () => {
    writeCfg(PROFILES);
    const resolved = resolve({ profile: "dev" }, { DATABRICKS_CONFIG_PROFILE: "sp" });
    expect(resolved.profile).toBe("dev");
  });

  it("reads the file named by configFile or DATABRICKS_CONFIG_FILE", () => {
    const other = join(home, "other.cfg");
    writeFileSync(other, "[DEFAULT]\nhost = https://other\ntoken = dapiOTHER0000000\n");
    expect(resolve({ configFile: other }).host).toBe("https://other");
    expect(resolve({}, { DATABRICKS_CONFIG_FILE: other }).host).toBe("https://other");
  });

  it("skips the config file when no profile is requested and the host is already set", () => {
    writeCfg(PROFILES);
    const error = errorOf(() =>
      resolve({}, { DATABRICKS_HOST: "https://env.cloud.databricks.com" }),
    );
    expect(error.message).toMatch(/^default auth: cannot configure default credentials/);
    expect(error.message).toContain("Config file: skipped");
  });

  it("skips the config file when no profile is requested and auth is already set", () => {
    writeCfg(PROFILES);
    const error = errorOf(() => resolve({ token: "dapiEXPLICIT0000" }));
    expect(error.message).toMatch(/^host was not set and cannot be automatically inferred/);
  });

  it("does not skip the config file for authType or clusterId alone", () => {
    writeCfg(PROFILES);
    const resolved = resolve({ clusterId: "c-explicit" }, { DATABRICKS_AUTH_TYPE: "pat" });
    expect(resolved.profile).toBe("DEFAULT");
    expect(resolved.clusterId).toBe("c-explicit");
  });

  it("takes oauth-m2m settings and auth_type from a profile", () => {
    writeCfg(PROFILES);
    const sp = resolve({ profile: "sp" });
    expect(sp.authType).toBe("oauth-m2m");
    expect(sp.credentials).toBeInstanceOf(OAuthM2MCredentials);
    expect((sp.credentials as OAuthM2MCredentials).clientId).toBe("file-client");
    const both = resolve({ profile: "both" });
    expect(both.authType).toBe("oauth-m2m");
  });

  it("accepts apiToken as an alias of token", async () => {
    const resolved = resolve({ host: "h.cloud.databricks.com", apiToken: "dapiALIAS0000000" });
    expect(resolved.host).toBe("https://h.cloud.databricks.com");
    expect(await authHeader(resolved)).toBe("Bearer dapiALIAS0000000");
    expect(() =>
      resolve({ host: "h", token: "dapiAAAAAAAAAAAA", apiToken: "dapiBBBBBBBBBBBB" }),
    ).toThrow(/aliases: set only one/);
  });

  it("authType picks one method when several are configured", async () => {
    const env = {
      DATABRICKS_HOST: "https://apps.cloud.databricks.com",
      DATABRICKS_TOKEN: "dapiAPPS00000000",
      DATABRICKS_CLIENT_ID: "app-sp",
      DATABRICKS_CLIENT_SECRET: "appSECRET0000000",
    };
    expect(resolve({ authType: "pat" }, env).authType).toBe("pat");
    expect(resolve({}, { ...env, DATABRICKS_AUTH_TYPE: "oauth-m2m" }).authType).toBe("oauth-m2m");
  });
});

describe("custom credentials", () => {
  it("uses credentials and skips every other auth setting", async () => {
    const resolved = resolve(
      {
        host: "https://h.cloud.databricks.com",
        credentials: () => ({ Authorization: "Bearer fn" }),
      },
      {
        DATABRICKS_TOKEN: "dapiIGNORED00000",
        DATABRICKS_CLIENT_ID: "x",
        DATABRICKS_AUTH_TYPE: "bogus",
      },
    );
    expect(resolved.authType).toBe("custom");
    expect(resolved.credentials).toBeInstanceOf(CustomCredentials);
    expect(await authHeader(resolved)).toBe("Bearer fn");
  });

  it("takes only the host from the profile", async () => {
    writeCfg(PROFILES);
    const resolved = resolve(
      { credentials: () => ({ authorization: "Bearer fn" }) },
      { DATABRICKS_TOKEN: "dapiIGNORED00000" },
    );
    expect(resolved.host).toBe("https://file-default.cloud.databricks.com");
    expect(await authHeader(resolved)).toBe("Bearer fn");
  });

  it("uses a CredentialsProvider as is, with its authType", () => {
    const provider: CredentialsProvider = {
      authType: "azure-cli",
      headers: () => Promise.resolve({ authorization: "Bearer az" }),
      invalidate: () => true,
    };
    const resolved = resolve({ host: "https://h", credentials: provider });
    expect(resolved.credentials).toBe(provider);
    expect(resolved.authType).toBe("azure-cli");
  });

  it("still requires a host", () => {
    const error = errorOf(() => resolve({ credentials: () => ({}) }));
    expect(error.message).toMatch(/^host was not set/);
    expect(error.message).not.toContain("No credentials were found");
  });
});

describe("validation messages", () => {
  const SECRETS = ["dapiSECRETTOKEN01", "spSECRETVALUE0001"];
  function expectNoSecrets(error: Error): void {
    for (const secret of SECRETS) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
    }
  }

  it("no host", () => {
    const error = errorOf(() => resolve({ token: SECRETS[0] as string }));
    expect(error.message).toMatch(
      /^host was not set and cannot be automatically inferred\. Set the `host` option or DATABRICKS_HOST/,
    );
    expect(error.message).toContain("token (the `token` option)");
    expectNoSecrets(error);
  });

  it("no host and no credentials says both", () => {
    const error = errorOf(() => resolve({}));
    expect(error.message).toMatch(/^host was not set/);
    expect(error.message).toContain("No credentials were found either");
  });

  it("no auth at all points to the unified-auth docs", () => {
    const error = errorOf(() => resolve({ host: "https://h.cloud.databricks.com" }));
    expect(error.message).toMatch(
      /^default auth: cannot configure default credentials, please check https:\/\/docs\.databricks\.com\/en\/dev-tools\/auth\.html#databricks-client-unified-authentication/,
    );
    expect(error.message).toContain("DATABRICKS_TOKEN");
    expect(error.message).toContain("DATABRICKS_CLIENT_ID");
    expect(error.message).toContain("host=https://h.cloud.databricks.com (the `host` option)");
  });

  it("PAT and client credentials without authType", () => {
    const error = errorOf(() =>
      resolve(
        {},
        {
          DATABRICKS_HOST: "https://h",
          DATABRICKS_TOKEN: SECRETS[0],
          DATABRICKS_CLIENT_ID: "sp-id",
          DATABRICKS_CLIENT_SECRET: SECRETS[1],
        },
      ),
    );
    expect(error.message).toMatch(
      /^validate: more than one authorization method configured: oauth and pat\. Set `authType` \('pat' or 'oauth-m2m'\) or DATABRICKS_AUTH_TYPE to choose/,
    );
    expect(error.message).toContain("token (DATABRICKS_TOKEN)");
    expect(error.message).toContain("clientSecret (DATABRICKS_CLIENT_SECRET)");
    expectNoSecrets(error);
  });

  it("authType pat without a token", () => {
    const error = errorOf(() =>
      resolve({ host: "https://h", authType: "pat", clientId: "id", clientSecret: SECRETS[1] }),
    );
    expect(error.message).toMatch(
      /^authType is 'pat' \(from the `authType` option\) but no token is set/,
    );
    expect(error.message).toContain("DATABRICKS_TOKEN");
    expectNoSecrets(error);
  });

  it("oauth-m2m without client id or secret", () => {
    const both = errorOf(() =>
      resolve(
        { host: "https://h" },
        { DATABRICKS_AUTH_TYPE: "oauth-m2m", DATABRICKS_TOKEN: SECRETS[0] },
      ),
    );
    expect(both.message).toMatch(
      /^authType is 'oauth-m2m' \(from DATABRICKS_AUTH_TYPE\) but `clientId` \/ DATABRICKS_CLIENT_ID and `clientSecret` \/ DATABRICKS_CLIENT_SECRET are not set/,
    );
    expectNoSecrets(both);
    const secretOnly = errorOf(() => resolve({ host: "https://h", clientId: "id" }));
    expect(secretOnly.message).toMatch(
      /^OAuth M2M needs both a client id and a client secret, but `clientSecret` \/ DATABRICKS_CLIENT_SECRET is not set/,
    );
  });

  it("unknown authType lists the supported ones and suggests credentials", () => {
    const error = errorOf(() =>
      resolve({ host: "https://h", authType: "azure-cli", token: SECRETS[0] as string }),
    );
    expect(error.message).toMatch(
      /^Unsupported authType 'azure-cli' \(from the `authType` option\)/,
    );
    expect(error.message).toContain("Supported: 'pat', 'oauth-m2m'");
    expect(error.message).toContain("pass `credentials`");
    expectNoSecrets(error);
  });

  it("an invalid host says where it came from", () => {
    const error = errorOf(() =>
      resolve({ token: SECRETS[0] as string }, { DATABRICKS_HOST: "http://h.example.com" }),
    );
    expect(error.message).toMatch(/Refusing plain http/);
    expect(error.message).toContain("(host from DATABRICKS_HOST)");
    expect(
      resolve({ token: "dapiXXXXXXXXXXXX", host: "http://h.example.com", allowInsecureHttp: true })
        .host,
    ).toBe("http://h.example.com");
  });

  it("a missing named profile", () => {
    writeCfg(PROFILES);
    const error = errorOf(() => resolve({ profile: "nope" }));
    expect(error.message).toBe(
      `resolve: ${cfgPath} has no nope profile configured. Available profiles: DEFAULT, dev, sp, both.`,
    );
  });

  it("secrets from the config file never appear in messages", () => {
    writeCfg("[x]\ntoken = dapiSECRETTOKEN01\nclient_id = id\nclient_secret = spSECRETVALUE0001\n");
    const error = errorOf(() => resolve({ profile: "x" }));
    expect(error.message).toMatch(/^host was not set/);
    expectNoSecrets(error);
  });
});
