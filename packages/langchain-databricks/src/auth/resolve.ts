import { DatabricksConfigError } from "../errors.js";
import type { CredentialsProvider } from "../credentials_provider.js";
import { readEnvVar, type Env } from "../utils/env.js";
import { normalizeHost } from "../utils/host.js";
import { detectRuntime } from "../utils/runtime.js";
import { nonEmpty } from "../utils/values.js";
import {
  ConfigFileUnavailableError,
  loadConfigProfile,
  type ConfigProfile,
} from "./config_file.js";
import {
  OAuthM2MCredentials,
  PatCredentials,
  toCredentialsProvider,
  type CredentialsLike,
} from "./credentials.js";

export type { CredentialsLike } from "./credentials.js";

/**
 * Where the workspace is and how to authenticate: Databricks unified auth. Every field falls back
 * to its environment variable, then to the config-file profile (explicit > env > profile).
 */
export interface DatabricksAuthOptions {
  /**
   * Workspace URL, e.g. `https://<workspace>.cloud.databricks.com`. `https://` is added when no
   * scheme is given; a path or trailing `/` is dropped. Env: `DATABRICKS_HOST`.
   */
  host?: string | undefined;
  /** Personal access token (`pat` auth). Env: `DATABRICKS_TOKEN`. */
  token?: string | undefined;
  /** Alias of {@link DatabricksAuthOptions.token} (the Python class's name). */
  apiToken?: string | undefined;
  /** OAuth M2M client id of a service principal. Env: `DATABRICKS_CLIENT_ID`. */
  clientId?: string | undefined;
  /** OAuth M2M client secret. Env: `DATABRICKS_CLIENT_SECRET`. */
  clientSecret?: string | undefined;
  /** Profile of the config file to use. Env: `DATABRICKS_CONFIG_PROFILE`. */
  profile?: string | undefined;
  /** Config file path. Env: `DATABRICKS_CONFIG_FILE`. @default "~/.databrickscfg" */
  configFile?: string | undefined;
  /**
   * Forces one auth method when several are configured: `pat` or `oauth-m2m`.
   * Env: `DATABRICKS_AUTH_TYPE`.
   */
  authType?: "pat" | "oauth-m2m" | (string & {}) | undefined;
  /**
   * Bring your own auth; skips every other auth setting (the host is still resolved). One of:
   * an `@databricks/sdk-experimental` `Config` (anything with `authenticate(headers)`), a function
   * returning headers per request, or a {@link CredentialsProvider}.
   */
  credentials?: CredentialsLike | undefined;
  /**
   * Allow plain `http://` to a non-loopback host (credentials then travel unencrypted).
   * `http://` to localhost, 127.0.0.0/8 and [::1] is always allowed. @default false
   */
  allowInsecureHttp?: boolean | undefined;
  /** Cluster id for driver-proxy apps. Env: `DATABRICKS_CLUSTER_ID`. */
  clusterId?: string | undefined;
}

/** The outcome of {@link resolveDatabricksConfig}. */
export interface ResolvedDatabricksConfig {
  /** Normalised `scheme://host[:port]`. */
  host: string;
  /** `pat`, `oauth-m2m`, `custom`, or a custom provider's own name. */
  authType: string;
  clusterId: string | undefined;
  /** The config-file profile that was read, if any. */
  profile: string | undefined;
  credentials: CredentialsProvider;
}

/**
 * What {@link resolveDatabricksConfig} needs besides the options. How OAuth requests are sent
 * (sender, timeout, retries) is not among them: they go through the client that uses the
 * credentials.
 */
export interface ResolveDeps {
  /** The environment; the process environment by default. */
  env?: Env | undefined;
  /** Clock for token expiry (tests). @default Date.now */
  now?: (() => number) | undefined;
}

/** The `authType` values this package implements itself. */
export const SUPPORTED_AUTH_TYPES = ["pat", "oauth-m2m"] as const;

/** The page the Databricks SDKs point to when no credentials are found. */
export const UNIFIED_AUTH_DOCS_URL =
  "https://docs.databricks.com/en/dev-tools/auth.html#databricks-client-unified-authentication";

type Key = "host" | "token" | "clientId" | "clientSecret" | "authType" | "clusterId";

const ENV_NAMES: Record<Key, string> = {
  host: "DATABRICKS_HOST",
  token: "DATABRICKS_TOKEN",
  clientId: "DATABRICKS_CLIENT_ID",
  clientSecret: "DATABRICKS_CLIENT_SECRET",
  authType: "DATABRICKS_AUTH_TYPE",
  clusterId: "DATABRICKS_CLUSTER_ID",
};

const FILE_KEYS: Record<Key, string> = {
  host: "host",
  token: "token",
  clientId: "client_id",
  clientSecret: "client_secret",
  authType: "auth_type",
  clusterId: "cluster_id",
};

const AUTH_KEYS: readonly Key[] = ["token", "clientId", "clientSecret"];

interface Setting {
  value: string;
  /** For messages: `the \`host\` option`, `DATABRICKS_HOST`, `profile dev of /home/u/.databrickscfg`. */
  source: string;
}

/**
 * Resolve Databricks unified auth synchronously, as the Databricks SDKs do (docs/PROTOCOL.md §7):
 *
 * 1. explicit options, then environment variables, then a `~/.databrickscfg` profile; a later
 *    source never overwrites a value an earlier one set. Empty strings count as unset.
 * 2. The config file is skipped when no profile was requested and the host or any auth setting is
 *    already known.
 * 3. `credentials` wins over every other auth setting. Otherwise `authType` (or
 *    `DATABRICKS_AUTH_TYPE`) picks `pat` or `oauth-m2m`; without it, a token means `pat` and a
 *    client id + secret mean `oauth-m2m`, and having both is an error.
 *
 * Performs no I/O except reading the config file; OAuth discovery happens on the first request.
 * Messages name where each setting came from, never a secret's value.
 *
 * Runs in any runtime: where the environment cannot be read (Deno without `--allow-env`) its
 * variables count as unset, and where files cannot be read (edge runtimes, Deno without
 * `--allow-read`) the default `~/.databrickscfg` is skipped; an error then says so and what to do.
 * A profile or config file asked for by name that cannot be read is an error.
 *
 * @throws DatabricksConfigError saying what to change when the host or credentials are missing,
 *   ambiguous or invalid.
 */
export function resolveDatabricksConfig(
  options: DatabricksAuthOptions,
  deps: ResolveDeps = {},
): ResolvedDatabricksConfig {
  const env = deps.env;
  // Variables the runtime refused to read (Deno without --allow-env): named in error messages.
  const deniedEnv: string[] = [];
  const fromEnvironment = (name: string): string | undefined => {
    const reading = readEnvVar(name, env);
    if (reading.denied) deniedEnv.push(name);
    return nonEmpty(reading.value);
  };
  const token = nonEmpty(options.token);
  const apiToken = nonEmpty(options.apiToken);
  if (token !== undefined && apiToken !== undefined && token !== apiToken) {
    throw new DatabricksConfigError(
      "Both `token` and `apiToken` are set to different values. They are aliases: set only one.",
    );
  }

  const explicit: Record<Key, string | undefined> = {
    host: nonEmpty(options.host),
    token: token ?? apiToken,
    clientId: nonEmpty(options.clientId),
    clientSecret: nonEmpty(options.clientSecret),
    authType: nonEmpty(options.authType),
    clusterId: nonEmpty(options.clusterId),
  };
  const settings = new Map<Key, Setting>();
  for (const key of Object.keys(ENV_NAMES) as Key[]) {
    const fromOption = explicit[key];
    if (fromOption !== undefined) {
      const name = key === "token" && token === undefined ? "apiToken" : key;
      settings.set(key, { value: fromOption, source: `the \`${name}\` option` });
      continue;
    }
    const fromEnv = fromEnvironment(ENV_NAMES[key]);
    if (fromEnv !== undefined) settings.set(key, { value: fromEnv, source: ENV_NAMES[key] });
  }

  const requestedProfile =
    nonEmpty(options.profile) ?? fromEnvironment("DATABRICKS_CONFIG_PROFILE");
  const configFile = nonEmpty(options.configFile) ?? fromEnvironment("DATABRICKS_CONFIG_FILE");
  const custom = options.credentials;
  // Custom credentials make auth settings irrelevant, so only the host can make the file unneeded.
  const alreadyConfigured =
    settings.has("host") || (custom === undefined && AUTH_KEYS.some((key) => settings.has(key)));
  const fileSkipped = requestedProfile === undefined && alreadyConfigured;
  let profile: ConfigProfile | undefined;
  // Why the default config file could not be consulted, for the error messages.
  let fileUnavailable: string | undefined;
  if (!fileSkipped) {
    try {
      profile = loadConfigProfile({ configFile, profile: requestedProfile, env });
    } catch (error) {
      // The default file is optional: a runtime without file access just does without it.
      const optional = requestedProfile === undefined && configFile === undefined;
      if (!(optional && error instanceof ConfigFileUnavailableError)) throw error;
      fileUnavailable = error.reason;
    }
  }
  if (profile) {
    const source = `profile ${profile.name} of ${profile.path}`;
    for (const key of Object.keys(FILE_KEYS) as Key[]) {
      const value = nonEmpty(profile.values[FILE_KEYS[key]]);
      if (value === undefined || settings.has(key)) continue;
      // With custom credentials the profile may still supply the host, never auth.
      if (custom !== undefined && (AUTH_KEYS.includes(key) || key === "authType")) continue;
      settings.set(key, { value, source });
    }
  }

  const describe = (): string =>
    describeSources(settings, profile, fileSkipped, fileUnavailable) + envDeniedHint(deniedEnv);
  const hostSetting = settings.get("host");
  if (hostSetting === undefined) {
    const noAuth =
      custom === undefined && !AUTH_KEYS.some((key) => settings.has(key))
        ? " No credentials were found either: also set `token` / DATABRICKS_TOKEN, or `clientId` + `clientSecret` / DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET."
        : "";
    throw new DatabricksConfigError(
      `host was not set and cannot be automatically inferred. Set the \`host\` option or DATABRICKS_HOST to your workspace URL (e.g. https://<workspace>.cloud.databricks.com), or add \`host\` to a profile in ~/.databrickscfg.${noAuth} ${describe()}`,
    );
  }
  let host: string;
  try {
    host = normalizeHost(hostSetting.value, { allowInsecureHttp: options.allowInsecureHttp });
  } catch (error) {
    if (error instanceof DatabricksConfigError) {
      throw new DatabricksConfigError(`${error.message} (host from ${hostSetting.source})`, {
        cause: error,
      });
    }
    throw error;
  }
  const clusterId = settings.get("clusterId")?.value;
  const profileName = profile?.name;

  if (custom !== undefined) {
    const credentials = toCredentialsProvider(custom);
    return { host, authType: credentials.authType, clusterId, profile: profileName, credentials };
  }

  const credentials = chooseCredentials(host, settings, deps, options, describe);
  return { host, authType: credentials.authType, clusterId, profile: profileName, credentials };
}

function chooseCredentials(
  host: string,
  settings: Map<Key, Setting>,
  deps: ResolveDeps,
  options: DatabricksAuthOptions,
  describe: () => string,
): CredentialsProvider {
  const authType = settings.get("authType");
  const token = settings.get("token")?.value;
  const clientId = settings.get("clientId")?.value;
  const clientSecret = settings.get("clientSecret")?.value;
  const pat = (): CredentialsProvider => new PatCredentials(token as string);
  const m2m = (): CredentialsProvider =>
    new OAuthM2MCredentials({
      host,
      clientId: clientId as string,
      clientSecret: clientSecret as string,
      allowInsecureHttp: options.allowInsecureHttp,
      now: deps.now,
    });
  const missingOAuth = (): string[] => [
    ...(clientId === undefined ? ["`clientId` / DATABRICKS_CLIENT_ID"] : []),
    ...(clientSecret === undefined ? ["`clientSecret` / DATABRICKS_CLIENT_SECRET"] : []),
  ];

  if (authType !== undefined) {
    if (authType.value === "pat") {
      if (token === undefined) {
        throw new DatabricksConfigError(
          `authType is 'pat' (from ${authType.source}) but no token is set. Set the \`token\` option or DATABRICKS_TOKEN (or \`token\` in the config profile). ${describe()}`,
        );
      }
      return pat();
    }
    if (authType.value === "oauth-m2m") {
      const missing = missingOAuth();
      if (missing.length > 0) {
        throw new DatabricksConfigError(
          `authType is 'oauth-m2m' (from ${authType.source}) but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set. OAuth M2M needs a service principal's client id and secret (or \`client_id\` / \`client_secret\` in the config profile). ${describe()}`,
        );
      }
      return m2m();
    }
    throw new DatabricksConfigError(
      `Unsupported authType '${authType.value}' (from ${authType.source}). Supported: ${SUPPORTED_AUTH_TYPES.map((t) => `'${t}'`).join(", ")}. For other unified-auth methods (azure-cli, azure-msi, azure-client-secret, google-credentials, google-id, databricks-cli, github-oidc…) pass \`credentials\` instead, e.g. a Config from @databricks/sdk-experimental (\`credentials: new Config({ host, authType: "azure-cli" })\`) or a function returning headers.`,
    );
  }

  const hasPat = token !== undefined;
  const hasOAuth = clientId !== undefined || clientSecret !== undefined;
  if (hasPat && hasOAuth) {
    throw new DatabricksConfigError(
      `validate: more than one authorization method configured: oauth and pat. Set \`authType\` ('pat' or 'oauth-m2m') or DATABRICKS_AUTH_TYPE to choose. ${describe()}`,
    );
  }
  if (hasPat) return pat();
  if (hasOAuth) {
    const missing = missingOAuth();
    if (missing.length > 0) {
      throw new DatabricksConfigError(
        `OAuth M2M needs both a client id and a client secret, but ${missing.join(" and ")} is not set. ${describe()}`,
      );
    }
    return m2m();
  }
  throw new DatabricksConfigError(
    `default auth: cannot configure default credentials, please check ${UNIFIED_AUTH_DOCS_URL} to configure credentials for your preferred authentication method. Set \`token\` / DATABRICKS_TOKEN (personal access token), or \`clientId\` + \`clientSecret\` / DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET (OAuth M2M), or pass \`credentials\`. ${describe()}`,
  );
}

/**
 * `Config: host=https://x (DATABRICKS_HOST), token (the \`token\` option). Config file: none.`:
 * which settings were found where, never the value of a secret, so a user can see why.
 */
function describeSources(
  settings: Map<Key, Setting>,
  profile: ConfigProfile | undefined,
  fileSkipped: boolean,
  fileUnavailable: string | undefined,
): string {
  const parts: string[] = [];
  for (const [key, setting] of settings) {
    const shown = key === "token" || key === "clientSecret" ? key : `${key}=${setting.value}`;
    parts.push(`${shown} (${setting.source})`);
  }
  const found = parts.length > 0 ? parts.join(", ") : "nothing";
  let file: string;
  if (profile) file = `profile ${profile.name} of ${profile.path}`;
  else if (fileSkipped) file = "skipped (host or credentials already given, no profile requested)";
  else if (fileUnavailable !== undefined) file = `not read (${fileUnavailable})`;
  else file = "no profile found";
  return `[Found: ${found}. Config file: ${file}.]`;
}

/**
 * When the runtime refused to read environment variables, say which were not consulted and how to
 * allow them; the user may well have set them.
 */
function envDeniedHint(denied: readonly string[]): string {
  if (denied.length === 0) return "";
  const names = [...new Set(denied)];
  const allow =
    detectRuntime().name === "deno"
      ? `run Deno with --allow-env=${names.join(",")}`
      : `allow this runtime to read ${names.join(", ")}`;
  return ` The environment could not be read, so DATABRICKS_* variables were not consulted: ${allow}, or pass the settings (\`host\`, \`token\`…) as options.`;
}
