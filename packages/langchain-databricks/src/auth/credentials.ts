import type { CredentialsProvider, CredentialsTransport } from "../credentials_provider.js";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConfigError,
  DatabricksConnectionError,
  DatabricksCredentialsError,
  DatabricksError,
  DatabricksRateLimitError,
  DatabricksResponseError,
  DatabricksServerError,
} from "../errors.js";
import { isLoopbackHost } from "../utils/host.js";
import { describeValue } from "../utils/values.js";
import { TokenCache } from "./token_cache.js";

/**
 * Personal access token auth (`pat`): `authorization: Bearer <token>` on every request.
 * Nothing to refresh, so {@link PatCredentials.invalidate} returns `false` and a 401 surfaces.
 */
export class PatCredentials implements CredentialsProvider {
  readonly authType = "pat";
  readonly #token: string;
  readonly #authorization: string;

  /** @param token - The PAT (`dapi…`). */
  constructor(token: string) {
    this.#token = token;
    this.#authorization = `Bearer ${token}`;
  }

  headers(): Promise<Record<string, string>> {
    return Promise.resolve({ authorization: this.#authorization });
  }

  invalidate(): boolean {
    return false;
  }

  /** The PAT, for the client to scrub from errors. */
  secrets(): readonly string[] {
    return [this.#token];
  }
}

/** Options of {@link OAuthM2MCredentials}. */
export interface OAuthM2MCredentialsOptions {
  /** Normalised workspace host (`https://x.cloud.databricks.com`). */
  host: string;
  /** The service principal's OAuth client id (application id). */
  clientId: string;
  /** The service principal's OAuth secret. */
  clientSecret: string;
  /** OAuth scopes, sent space-separated. @default ["all-apis"] */
  scopes?: readonly string[] | undefined;
  /** Use this token endpoint and skip discovery. */
  tokenEndpoint?: string | undefined;
  /** Accept a discovered plain-http endpoint on a non-loopback host. @default false */
  allowInsecureHttp?: boolean | undefined;
  /** Clock in ms since the epoch (tests). @default Date.now */
  now?: (() => number) | undefined;
}

/** Lifetime assumed when the token endpoint omits `expires_in` (Databricks tokens live 1 h). */
const DEFAULT_EXPIRES_IN_S = 3600;

/**
 * OAuth machine-to-machine auth (`oauth-m2m`): the client-credentials grant of a service principal,
 * as the Databricks SDKs implement it.
 *
 * - **Token endpoint discovery**, once per instance: `GET {host}/.well-known/databricks-config` →
 *   `oidc_endpoint` (default `{host}/oidc`, as the Go SDK), then
 *   `GET {oidc_endpoint}/.well-known/oauth-authorization-server` → `token_endpoint`. A host without
 *   discovery (404, not JSON, missing fields) falls back to `{host}/oidc/v1/token`. An unreachable
 *   host is an error and is not cached.
 * - **Token request**: `POST` with `authorization: Basic base64(urlencode(id):urlencode(secret))`
 *   and the form body `grant_type=client_credentials&scope=all-apis`.
 * - **Transport**: discovery and token requests go through the {@link CredentialsTransport} the
 *   client passes to {@link OAuthM2MCredentials.headers}: the client's sender, User-Agent, timeout
 *   and retry layer (so they are retried like every request, and only there).
 * - **Header**: `authorization: <token_type> <access_token>`, `token_type` used verbatim.
 * - **Cache**: see {@link TokenCache} (40 s early expiry, background refresh within
 *   `min(TTL/2, 20 min)` of expiry, one shared in-flight refresh).
 */
export class OAuthM2MCredentials implements CredentialsProvider {
  readonly authType = "oauth-m2m";
  /** The workspace host the token is for. */
  readonly host: string;
  /** The client id (not a secret; shown in error messages). */
  readonly clientId: string;
  readonly #clientSecret: string;
  readonly #basic: string;
  readonly #body: string;
  readonly #options: OAuthM2MCredentialsOptions;
  readonly #cache: TokenCache;
  #endpoint: Promise<string> | undefined;
  /**
   * The transport of the latest caller: the token cache's refresh sends through it. A provider
   * shared by several clients refreshes through whichever asked.
   */
  #transport: CredentialsTransport | undefined;
  /** The latest access token and the one before it (requests in flight may still carry it). */
  #accessTokens: readonly string[] = [];

  constructor(options: OAuthM2MCredentialsOptions) {
    this.host = options.host;
    this.clientId = options.clientId;
    this.#options = options;
    this.#clientSecret = options.clientSecret;
    // URL-encode before base64, as golang.org/x/oauth2 and sdk-js do (RFC 6749 §2.3.1).
    this.#basic = `Basic ${btoa(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`)}`;
    const scopes = options.scopes && options.scopes.length > 0 ? options.scopes : ["all-apis"];
    this.#body = new URLSearchParams({
      grant_type: "client_credentials",
      scope: scopes.join(" "),
    }).toString();
    if (options.tokenEndpoint !== undefined)
      this.#endpoint = Promise.resolve(options.tokenEndpoint);
    this.#cache = new TokenCache({ fetch: () => this.#fetchToken(), now: options.now });
  }

  /**
   * `authorization: <token_type> <access_token>`, from the cache or fetched through `transport`.
   * @throws DatabricksConfigError when a token must be fetched and no transport was ever passed
   *   (use the provider through a model or a `DatabricksClient`, which pass themselves).
   */
  async headers(
    signal?: AbortSignal,
    transport?: CredentialsTransport,
  ): Promise<Record<string, string>> {
    this.#transport = transport ?? this.#transport;
    return { authorization: await this.#cache.get(signal) };
  }

  /** Drop the cached token; the next request fetches a new one. Always `true`. */
  invalidate(): boolean {
    this.#cache.invalidate();
    return true;
  }

  /** The client secret, its Basic credential, and the latest two access tokens. */
  secrets(): readonly string[] {
    return [this.#clientSecret, this.#basic.slice("Basic ".length), ...this.#accessTokens];
  }

  /** The token endpoint, discovered (through `transport`) on first use and cached. */
  tokenEndpoint(transport: CredentialsTransport): Promise<string> {
    if (!this.#endpoint) {
      const discovery = this.#discover(transport);
      this.#endpoint = discovery.then(({ endpoint }) => endpoint);
      // Transient failures (a 5xx after retries, an unreachable host) must not stick.
      discovery.then(
        ({ cache }) => {
          if (!cache) this.#endpoint = undefined;
        },
        () => {
          this.#endpoint = undefined;
        },
      );
    }
    return this.#endpoint;
  }

  async #discover(transport: CredentialsTransport): Promise<{ endpoint: string; cache: boolean }> {
    const fallback = `${this.host}/oidc/v1/token`;
    // Without host metadata, the Go SDK's default for a workspace: `{host}/oidc`.
    let oidc = `${this.host}/oidc`;
    let cache = true;
    try {
      const metadata = await getMetadata(transport, `${this.host}/.well-known/databricks-config`);
      const advertised = stringField(metadata, "oidc_endpoint");
      if (advertised !== undefined && this.#acceptableUrl(advertised)) {
        oidc = advertised.replace(/\/+$/, "");
      }
    } catch (error) {
      rethrowIfNoAnswer(error);
      cache = !isTransientFailure(error);
    }
    try {
      const server = await getMetadata(transport, `${oidc}/.well-known/oauth-authorization-server`);
      const endpoint = stringField(server, "token_endpoint");
      if (endpoint !== undefined && this.#acceptableUrl(endpoint)) return { endpoint, cache: true };
      return { endpoint: fallback, cache };
    } catch (error) {
      rethrowIfNoAnswer(error);
      // An older or private workspace without discovery: the classic workspace endpoint.
      return { endpoint: fallback, cache: cache && !isTransientFailure(error) };
    }
  }

  /** A discovered URL receives the client secret: only https, or http on loopback (or if allowed). */
  #acceptableUrl(value: string): boolean {
    try {
      const url = new URL(value);
      if (url.protocol === "https:") return true;
      return (
        url.protocol === "http:" &&
        (isLoopbackHost(url.hostname) || this.#options.allowInsecureHttp === true)
      );
    } catch {
      return false;
    }
  }

  async #fetchToken(): Promise<{ value: string; expiresInMs: number }> {
    const transport = this.#transport;
    if (transport === undefined) {
      throw new DatabricksConfigError(
        "OAuthM2MCredentials sends its token requests through the client's transport: call headers(signal, transport) with a DatabricksClient, or use the credentials through a model.",
      );
    }
    let endpoint: string | undefined;
    try {
      endpoint = await this.tokenEndpoint(transport);
      const answer = await transport.requestWithoutCredentials({
        method: "POST",
        url: endpoint,
        headers: {
          authorization: this.#basic,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: this.#body,
      });
      const token = parseTokenResponse(answer);
      this.#accessTokens = [token.accessToken, ...this.#accessTokens.slice(0, 1)];
      return token;
    } catch (error) {
      throw this.#describeFailure(error, endpoint);
    }
  }

  #describeFailure(error: unknown, endpoint: string | undefined): Error {
    if (error instanceof DatabricksAbortError) return error;
    const target = endpoint ?? `${this.host} (token endpoint discovery)`;
    const prefix = `oauth-m2m: could not get a token for client id ${this.clientId} from ${target}`;
    if (error instanceof DatabricksAPIError) {
      const refused = error.status === 400 || error.status === 401 || error.status === 403;
      const hint = refused
        ? " Check the client id and secret (`clientId` / `clientSecret`, DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET) and that the service principal belongs to this workspace."
        : "";
      return new DatabricksCredentialsError(
        `${prefix}: HTTP ${error.status} ${error.serverMessage}.${hint}`,
        { status: error.status, errorCode: error.errorCode, cause: error },
      );
    }
    if (error instanceof DatabricksError) {
      return new DatabricksCredentialsError(`${prefix}: ${error.message}`, { cause: error });
    }
    return new DatabricksCredentialsError(`${prefix}: ${String(error)}`, { cause: error });
  }
}

function stringField(data: unknown, key: string): string | undefined {
  if (!data || typeof data !== "object" || Array.isArray(data)) return undefined;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * Read an OAuth token response: `access_token` is required; `token_type` defaults to `Bearer` and
 * is otherwise used verbatim; `expires_in` may be a number or a numeric string (Databricks' own
 * test server sends `"3600"`) and defaults to one hour.
 */
export function parseTokenResponse(data: unknown): {
  value: string;
  expiresInMs: number;
  accessToken: string;
} {
  const accessToken = stringField(data, "access_token");
  if (accessToken === undefined) {
    throw new DatabricksResponseError("the token response has no access_token.");
  }
  const tokenType = stringField(data, "token_type") ?? "Bearer";
  const raw = (data as Record<string, unknown>)["expires_in"];
  let expiresIn: number;
  if (raw === undefined || raw === null) {
    expiresIn = DEFAULT_EXPIRES_IN_S;
  } else if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0) {
    expiresIn = raw;
  } else if (typeof raw === "string" && /^\s*\d+(\.\d+)?\s*$/.test(raw)) {
    expiresIn = Number(raw);
  } else {
    throw new DatabricksResponseError(
      `the token response has an invalid expires_in (${JSON.stringify(raw)}); expected seconds as a number.`,
    );
  }
  return { value: `${tokenType} ${accessToken}`, expiresInMs: expiresIn * 1000, accessToken };
}

/** A function returning headers for each request, e.g. `async () => ({ authorization: … })`. */
export type HeadersFactory = (
  signal?: AbortSignal,
) => Promise<Record<string, string>> | Record<string, string>;

/**
 * An object that writes auth headers into the `Headers` it is given, as `Config.authenticate` of
 * `@databricks/sdk-experimental` does. This is how to use every unified-auth method this package
 * does not implement (azure-cli, azure-msi, google-credentials, databricks-cli…).
 */
export interface HeadersAuthenticator {
  authenticate(headers: Headers | Record<string, string>): Promise<unknown> | unknown;
}

/** Anything accepted as the `credentials` option. */
export type CredentialsLike = HeadersAuthenticator | HeadersFactory | CredentialsProvider;

/** Whether `value` already implements {@link CredentialsProvider}. */
export function isCredentialsProvider(value: unknown): value is CredentialsProvider {
  if (!value || typeof value !== "object") return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate["headers"] === "function" &&
    typeof candidate["invalidate"] === "function" &&
    typeof candidate["authType"] === "string"
  );
}

/**
 * Adapts a {@link HeadersFactory} or {@link HeadersAuthenticator} to {@link CredentialsProvider}.
 * The source is called on every request (it is expected to cache tokens itself). Header names are
 * lower-cased.
 */
export class CustomCredentials implements CredentialsProvider {
  readonly authType: string;
  readonly #source: HeadersFactory | HeadersAuthenticator;

  /**
   * @param source - The function or `authenticate` object.
   * @param options.authType - Name for the User-Agent; defaults to the source's own string
   *   `authType` property when it has one (an SDK `Config`), else `custom`.
   */
  constructor(source: HeadersFactory | HeadersAuthenticator, options: { authType?: string } = {}) {
    this.#source = source;
    const own =
      typeof source === "object" ? (source as { authType?: unknown }).authType : undefined;
    this.authType =
      options.authType ?? (typeof own === "string" && own.trim() !== "" ? own.trim() : "custom");
  }

  /** Credential header values of the latest call and of the one before (requests in flight). */
  #credentials: [readonly string[], readonly string[]] = [[], []];

  async headers(signal?: AbortSignal): Promise<Record<string, string>> {
    const source = this.#source;
    let headers: Record<string, string>;
    if (typeof source === "function") {
      headers = toHeaderRecord(await source(signal));
    } else {
      const collected = new Headers();
      await source.authenticate(collected);
      headers = toHeaderRecord(collected);
    }
    const credentials = Object.entries(headers)
      .filter(([name]) => CREDENTIAL_HEADER.test(name))
      .map(([, value]) => value.replace(/^\S+\s+/, ""));
    if (credentials.join("\n") !== this.#credentials[0].join("\n")) {
      this.#credentials = [credentials, this.#credentials[0]];
    }
    return headers;
  }

  /** The credentials the source handed out last time and the time before (scheme stripped). */
  secrets(): readonly string[] {
    return [...this.#credentials[0], ...this.#credentials[1]];
  }

  /** Delegates to the source's own `invalidate()` when it has one; otherwise `false`. */
  invalidate(): boolean {
    const invalidate = (this.#source as { invalidate?: unknown }).invalidate;
    return typeof invalidate === "function" ? invalidate.call(this.#source) === true : false;
  }
}

/** Header names whose values are credentials (others, such as a workspace id, stay readable). */
const CREDENTIAL_HEADER = /authorization|token|secret|key|cookie/i;

function toHeaderRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value instanceof Headers) {
    value.forEach((headerValue, name) => {
      out[name.toLowerCase()] = headerValue;
    });
    return out;
  }
  if (!value || typeof value !== "object") {
    throw new DatabricksCredentialsError(
      `Custom credentials must return a headers object, e.g. { authorization: "Bearer …" }, not ${describeValue(value)}.`,
    );
  }
  for (const [name, headerValue] of Object.entries(value as Record<string, unknown>)) {
    if (headerValue === undefined) continue;
    if (typeof headerValue !== "string") {
      throw new DatabricksCredentialsError(
        `Custom credentials returned ${describeValue(headerValue)} for header "${name}"; header values must be strings.`,
      );
    }
    out[name.toLowerCase()] = headerValue;
  }
  return out;
}

/** The provider for a `credentials` option: used as is when it is one, adapted otherwise. */
export function toCredentialsProvider(credentials: CredentialsLike): CredentialsProvider {
  return isCredentialsProvider(credentials) ? credentials : new CustomCredentials(credentials);
}

/**
 * Discovery metadata: JSON, or `undefined` when a 2xx answer is not JSON (a login page, a proxy),
 * which means "no discovery here" and falls back at once instead of being retried.
 */
function getMetadata(transport: CredentialsTransport, url: string): Promise<unknown> {
  return transport.requestWithoutCredentials({ method: "GET", url, onInvalidJson: "undefined" });
}

/**
 * The workspace failed or throttled (a 5xx or 429, after retries): worth discovering again next
 * time rather than caching the fallback endpoint.
 */
function isTransientFailure(error: unknown): boolean {
  return error instanceof DatabricksServerError || error instanceof DatabricksRateLimitError;
}

/** No answer at all: the token endpoint on the same host would not answer either. */
function rethrowIfNoAnswer(error: unknown): void {
  if (error instanceof DatabricksConnectionError || error instanceof DatabricksAbortError)
    throw error;
}
