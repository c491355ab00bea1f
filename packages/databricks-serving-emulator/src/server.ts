import { EmulatorConfigError } from "./errors.js";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AI_GATEWAY_PREFIX, handleGateway } from "./ai_gateway.js";
import { authenticate, RevokedCredentials } from "./auth.js";
import {
  DEFAULT_EMULATOR_TOKEN,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WORKSPACE_ID,
  defaultEmulatorOptions,
} from "./config.js";
import { driverAppKey, forwardToDriverApp, parseDriverProxyPath } from "./driver_proxy.js";
import { createEndpointEntry } from "./endpoints.js";
import { FaultTable, TOKEN_ENDPOINT_FAULT_KEY, underFaults } from "./faults.js";
import {
  apiError,
  closeLingering,
  ignoreIfLingering,
  decodePathSegment,
  HttpError,
  pathOnly,
  sendError,
  sendJson,
} from "./http_util.js";
import { handleInvocation } from "./invocations.js";
import { authorizationServerMetadata, handleTokenRequest, TokenStore } from "./oauth.js";
import { handleOpenAIRoute } from "./openai_routes.js";
import type { EmulatorState } from "./state.js";
import { StatsTable } from "./stats.js";
import type { EmulatorHandle, EmulatorOptions } from "./types.js";
import { sendEndpoint, sendEndpointList, sendHostMetadata, sendMe } from "./workspace_api.js";

function notFound(method: string, path: string): HttpError {
  // Real workspaces quote the path without its `/api/<version>` prefix ("No API found for 'GET /repos'").
  const shown = path.replace(/^\/api\/\d[^/]*(?=\/)/, "");
  return apiError(404, `No API found for '${method} ${shown}'`, "ENDPOINT_NOT_FOUND");
}

/** An unknown `/serving-endpoints/<x>/<y>` path: 404 with the text the reference quotes (§6.2). */
function invalidServingPath(): HttpError {
  return new HttpError(
    404,
    "Path must be of form /serving-endpoints/<endpoint_name>/invocations or " +
      "/serving-endpoints/<endpoint_name>/served-models/<served_model_name>/invocations",
    {},
    "text/plain; charset=utf-8",
  );
}

/** For {@link underFaults}: a request whose body is not read before its faults apply. */
function noPreparation(): void {}

async function route(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = req.url ?? "/";
  const path = pathOnly(url);
  const query = url.slice(path.length);

  // Public documents: discovery must work before a client holds any credential.
  if (path === "/.well-known/databricks-config" && method === "GET")
    return sendHostMetadata(state, res);
  if (path === "/oidc/.well-known/oauth-authorization-server" && method === "GET") {
    return sendJson(res, 200, authorizationServerMetadata(state.base));
  }
  if (path === "/oidc/v1/token" && method === "POST") {
    // Counted and faulted like an endpoint, so tests can fail the token endpoint and count attempts.
    return underFaults(state, TOKEN_ENDPOINT_FAULT_KEY, req, noPreparation, () =>
      handleTokenRequest(req, res, state.oauthClients, state.tokens),
    );
  }

  // The gateway answers a bad credential its own way, so it authenticates for itself.
  if (path.startsWith(AI_GATEWAY_PREFIX)) return handleGateway(state, req, res, method, path);

  const principal = authenticate(req, state.pats, state.tokens, state.revoked);

  if (path === "/api/2.0/preview/scim/v2/Me" && method === "GET")
    return sendMe(state, res, principal);
  if (path === "/api/2.0/serving-endpoints" && method === "GET")
    return sendEndpointList(state, res);
  let match = /^\/api\/2\.0\/serving-endpoints\/([^/]+)$/.exec(path);
  if (match !== null && method === "GET")
    return sendEndpoint(state, res, decodePathSegment(match[1] ?? ""));

  if (method === "POST") {
    if (path === "/serving-endpoints/chat/completions")
      return handleOpenAIRoute(state, req, res, "chat");
    if (path === "/serving-endpoints/completions")
      return handleOpenAIRoute(state, req, res, "completions");
    if (path === "/serving-endpoints/embeddings")
      return handleOpenAIRoute(state, req, res, "embeddings");
    if (path === "/serving-endpoints/responses")
      return handleOpenAIRoute(state, req, res, "responses");
    // The `/api/serving-endpoints/...` alias sdk-js calls (inferred; docs/PROTOCOL.md §9.10).
    match = /^\/(?:api\/)?serving-endpoints\/([^/]+)\/invocations$/.exec(path);
    if (match !== null) return handleInvocation(state, req, res, decodePathSegment(match[1] ?? ""));
    match = /^\/serving-endpoints\/([^/]+)\/served-models\/([^/]+)\/invocations$/.exec(path);
    if (match !== null) {
      const name = decodePathSegment(match[1] ?? "");
      const served = state.endpoints.get(name)?.servedModelName;
      // One served model per emulated endpoint: another name falls through to the path error.
      if (served === undefined || served === decodePathSegment(match[2] ?? ""))
        return handleInvocation(state, req, res, name);
    }
  }
  if (/^\/serving-endpoints\/[^/]+\/./.test(path)) throw invalidServingPath();

  const proxy = parseDriverProxyPath(path);
  if (proxy !== undefined) {
    // `o/0` is this host's workspace; another org must be this one (docs/PROTOCOL.md §9.9).
    if (proxy.org !== "0" && proxy.org !== state.workspaceId) {
      throw apiError(403, `Org ${proxy.org} does not match this workspace.`, "PERMISSION_DENIED");
    }
    const key = driverAppKey(proxy.clusterId, proxy.port);
    // The body is streamed to the app, not read first.
    return underFaults(state, key, req, noPreparation, (faults) =>
      forwardToDriverApp(req, res, proxy, state.driverApps.get(key), query, faults),
    );
  }
  throw notFound(method, path);
}

/**
 * Start a local Databricks workspace emulator on `node:http` (default `127.0.0.1`, ephemeral
 * port). It serves host metadata, OAuth M2M, SCIM `Me`, serving-endpoint metadata, invocations for
 * every task, the OpenAI-compatible routes (Responses API included), the AI Gateway's MLflow
 * routes and the cluster driver proxy, with fault injection.
 * Each module of `src/emulator` documents its part of the wire behaviour, including every detail
 * the protocol leaves open and the choice made for it (listed in docs/PROTOCOL.md §9).
 *
 * @param options Called with no argument (`startEmulator()`), the emulator starts the demo
 * workspace of {@link defaultEmulatorOptions}: the PAT {@link DEFAULT_EMULATOR_TOKEN}, the OAuth
 * client `DEFAULT_OAUTH_CLIENT` and the demo endpoints listed there (`dolly`, the chat,
 * completions, embeddings and reasoning endpoints, and the two agents). An explicit options object is taken as
 * the whole configuration: each field it leaves out gets its own default (see
 * {@link EmulatorOptions}), so `startEmulator({})` has the PAT only, no OAuth client and no
 * endpoints. To change a few settings of the demo workspace, spread it:
 * `startEmulator({ ...defaultEmulatorOptions(), port: 8080 })`.
 */
export async function startEmulator(
  options: EmulatorOptions = defaultEmulatorOptions(),
): Promise<EmulatorHandle> {
  const pats = options.tokens ?? [DEFAULT_EMULATOR_TOKEN];
  const log = options.log;
  const state: EmulatorState = {
    base: "",
    workspaceId: options.workspaceId ?? DEFAULT_WORKSPACE_ID,
    pats,
    oauthClients: options.oauthClients ?? [],
    tokens: new TokenStore(options.tokenLifetimeSeconds ?? 3600, () => `${state.base}/oidc`),
    revoked: new RevokedCredentials(),
    endpoints: new Map(),
    driverApps: new Map(),
    faults: new FaultTable(options.faults ?? {}),
    stats: new StatsTable(),
    startedAt: Date.now(),
  };
  for (const endpoint of options.endpoints ?? []) {
    state.endpoints.set(endpoint.name, createEndpointEntry(endpoint, state.startedAt));
  }
  for (const app of options.driverApps ?? [])
    state.driverApps.set(driverAppKey(app.clusterId, app.port), app);

  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(requestTimeout) || requestTimeout <= 0) {
    throw new EmulatorConfigError(
      `requestTimeoutMs must be a positive integer (milliseconds), got ${String(requestTimeout)}`,
    );
  }
  // A slow or stalled client (headers or body trickled, never finished) is cut off with Node's
  // 408 instead of holding a connection forever. Node checks the deadlines periodically: every
  // second at most, so short test timeouts take effect promptly.
  const timeouts = {
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  const server = createServer(timeouts, (req, res) => {
    // A request pipelined behind a refused body, read while the connection closes: never served.
    if (ignoreIfLingering(req)) return;
    state.stats.countRequest((req.method ?? "GET").toUpperCase(), pathOnly(req.url));
    const started = Date.now();
    if (log !== undefined) {
      res.on("close", () => {
        // Path only: queries may carry secrets (`?token=` on driver-proxy file servers).
        log(
          `${req.method ?? "GET"} ${pathOnly(req.url)} ${res.statusCode} ${Date.now() - started}ms`,
        );
      });
    }
    route(state, req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        // Drain what is left of the body: to keep a keep-alive connection usable, or, when the
        // answer closes the connection (an early 413), to close it without losing the answer.
        if (!req.complete) {
          if (error.headers["Connection"] === "close") closeLingering(req, res);
          else req.resume();
        }
        sendError(res, error);
        return;
      }
      if (res.destroyed || req.destroyed) return;
      sendError(
        res,
        apiError(500, `Internal emulator error: ${(error as Error).message}`, "INTERNAL_ERROR"),
      );
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  state.base = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}`;

  return {
    url: state.base,
    port: address.port,
    token: pats[0] ?? "",
    workspaceId: state.workspaceId,
    get requests() {
      return state.stats.requests;
    },
    stats: () => state.stats.snapshot(),
    resetStats: () => state.stats.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
    setFault: (key, fault) => state.faults.set(key, fault),
    clearFaults: (key) => state.faults.clear(key),
    addEndpoint: (endpoint) => {
      state.endpoints.set(endpoint.name, createEndpointEntry(endpoint));
    },
    removeEndpoint: (name) => state.endpoints.delete(name),
    setEndpointState: (name, ready) => {
      const entry = state.endpoints.get(name);
      if (entry === undefined)
        throw new EmulatorConfigError(`Unknown emulator endpoint '${name}'.`);
      entry.config = { ...entry.config, state: ready };
    },
    addDriverApp: (app) => {
      state.driverApps.set(driverAppKey(app.clusterId, app.port), app);
    },
    revokeToken: (token, revocation) => state.revoked.revoke(token, revocation?.status ?? 403),
    revokeOAuthTokens: (revocation) => {
      for (const token of state.tokens.liveTokens())
        state.revoked.revoke(token, revocation?.status ?? 403);
    },
    expireOAuthTokens: () => state.tokens.expireAll(),
  };
}
