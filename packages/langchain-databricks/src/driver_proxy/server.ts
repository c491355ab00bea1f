/**
 * `serveDriverProxyApp`: the TypeScript counterpart of the seed notebook's Flask app, a local HTTP
 * server that a Databricks cluster driver proxy (`/driver-proxy-api/o/0/{cluster}/{port}`,
 * docs/PROTOCOL.md §5) forwards to. Needs `node:http` (Node, Bun, Deno), loaded when a server
 * starts so that importing this module never fails where there is none: the error is then a
 * `DatabricksConfigError` saying so.
 */
import type * as NodeHttp from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DatabricksConfigError } from "../errors.js";
import { redactSecrets } from "../redaction.js";
import { readEnv, type Env } from "../utils/env.js";
import { denoRefuses, getBuiltinModule } from "../utils/runtime.js";
import { cutAtStop } from "../utils/stop.js";
import { callDriverProxyModel, type DriverProxyModel } from "./model.js";
import {
  DriverProxyRequestError,
  parseDriverProxyBody,
  type DriverProxyRequest,
} from "./request.js";

/** The seed's port, also the CLI `driver-app` default. */
export const DEFAULT_DRIVER_PROXY_PORT = 7777;
/** LangChain's recommended port range for driver proxy apps (inclusive). */
export const RECOMMENDED_DRIVER_PROXY_PORTS: readonly [number, number] = [3000, 8000];
/** Default request body limit: 16 MiB, the Model Serving payload limit (docs/PROTOCOL.md §2.9). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/**
 * Default `requestTimeoutMs`: 60 s for a client to send a whole request (16 MiB at 280 KB/s). The
 * cluster's driver proxy forwards requests at network speed; only a stalled client takes longer.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** How long `close()` lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;
/**
 * After an early 413, how long (and how many more bytes) the rest of the refused body is read and
 * discarded before the connection is closed: see {@link closeLingering}. The same values as the
 * emulator's (packages/databricks-serving-emulator/src/http_util.ts).
 */
const LINGER_MS = 1_000;
const LINGER_BYTES = 8 * 1024 * 1024;

/** Options of {@link serveDriverProxyApp}. */
export interface ServeDriverProxyAppOptions {
  /** The model to serve: a LangChain LLM or chat model, or a function `(prompt, { stop, ...kwargs })`. */
  model: DriverProxyModel;
  /**
   * Port to listen on (number or numeric string). Default {@link DEFAULT_DRIVER_PROXY_PORT}; `0`
   * picks a free port. Ports outside [3000, 8000] are served but warned about.
   */
  port?: number | string;
  /**
   * Address to listen on. Default from {@link defaultDriverProxyHost}: `0.0.0.0` on a Databricks
   * driver (the proxy reaches the app through the driver IP), `127.0.0.1` elsewhere.
   */
  host?: string;
  /** Receives one access-log line per request (`POST / 200 12ms`) and model failures. Default: silent. */
  log?: (line: string) => void;
  /** Receives configuration warnings (port outside the recommended range…). Default `console.warn`. */
  warn?: (message: string) => void;
  /** Largest accepted request body in bytes; larger bodies get 413. Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * How long a client may take to send a whole request, headers and body, in milliseconds.
   * Default {@link DEFAULT_REQUEST_TIMEOUT_MS} (60 s). A slower client gets a bare `408` and its
   * connection is closed (Node checks every second, so the cut may come up to 1 s late), so a
   * stalled client cannot hold a connection forever. The model's time does not count.
   */
  requestTimeoutMs?: number;
}

/** A running driver-proxy app. */
export interface DriverProxyApp {
  /**
   * A URL that reaches the app from this machine, e.g. `http://127.0.0.1:7777`. When listening on a
   * wildcard address (`0.0.0.0`, `::`), the URL uses the matching loopback address instead.
   */
  url: string;
  /** The port actually bound (the chosen one when `port: 0`). */
  port: number;
  /** The address listened on, as given or defaulted (`0.0.0.0`, `127.0.0.1`…). */
  host: string;
  /** Stop accepting connections, let in-flight requests finish (2 s at most), then resolve. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serve `model` as a driver-proxy app, the Flask app of the LangChain docs in TypeScript.
 *
 * Routes:
 * - `POST /` with JSON `{"prompt": string, "stop"?: string[], ...kwargs}` → `200` with a JSON string
 *   (the model's text cut before the first stop sequence), like Flask's `jsonify(text)`.
 * - `POST /` with `{"dataframe_records": [request, ...]}` (rows packed by a `Databricks` client with
 *   `driverAppFormat: "dataframe_records"`) → `200 {"predictions": [text, ...]}`, one per row.
 * - `GET /` (and `HEAD /`) → `200 {"status":"ok"}`: a health check for readiness probes. The Flask
 *   app answers 405 there; nothing in the protocol depends on that.
 * - Errors answer `{"error": "..."}`: `400` bad JSON or fields, `404` other paths, `405` other
 *   methods, `413` body too large, `415` a non-JSON `Content-Type` (an absent one is accepted as
 *   JSON), `500 {"error":"model failed: ..."}` when the model throws. The server keeps running.
 *
 * Extra body fields are keyword arguments. A function model receives them next to `stop`; a
 * LangChain model receives them as call options (`model.invoke(prompt, { ...kwargs, stop })`, the
 * per-call equivalent of `withConfig(kwargs)`), and uses those it knows. LangChain's own config
 * keys (`callbacks`, `signal`, `timeout`, `tags`…, see `RESERVED_CALL_OPTIONS`) are refused with
 * 400. A LangChain model also gets a `signal` that aborts when the caller disconnects. Note that
 * call options are camelCase where the wire is snake_case: to map `max_tokens` onto a model's
 * `maxTokens`, serve a function that calls the model (as the CLI's `endpoint:` backend does).
 *
 * Warnings (via `warn`): a port outside [3000, 8000], and a loopback host on a Databricks driver.
 *
 * @throws {DatabricksConfigError} for an invalid port, host, model, body limit or request timeout, or when the
 *   address cannot be bound (port in use, unknown host).
 */
export async function serveDriverProxyApp(
  options: ServeDriverProxyAppOptions,
): Promise<DriverProxyApp> {
  const { model } = options;
  if (
    typeof model !== "function" &&
    typeof (model as { invoke?: unknown })?.invoke !== "function"
  ) {
    throw new DatabricksConfigError(
      "serveDriverProxyApp: `model` must be a function or a LangChain language model",
    );
  }
  const port = parseDriverProxyPort(options.port);
  const host = options.host ?? defaultDriverProxyHost();
  if (typeof host !== "string" || host.trim() === "") {
    throw new DatabricksConfigError("serveDriverProxyApp: `host` must be a non-empty string");
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new DatabricksConfigError(
      `serveDriverProxyApp: \`maxBodyBytes\` must be a positive integer, got ${String(maxBodyBytes)}`,
    );
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs <= 0) {
    throw new DatabricksConfigError(
      `serveDriverProxyApp: \`requestTimeoutMs\` must be a positive integer, got ${String(requestTimeoutMs)}`,
    );
  }
  const warn = options.warn ?? ((message: string) => console.warn(message));
  for (const warning of [driverProxyPortWarning(port), driverProxyHostWarning(host)]) {
    if (warning) warn(warning);
  }

  const { createServer } = await loadNodeHttp();
  // Deno reports a missing --allow-net from inside listen(), as an uncaught error: check first.
  if (denoRefuses({ name: "net", host: `${urlHost(host)}:${port}` })) {
    throw new DatabricksConfigError(
      `serveDriverProxyApp cannot listen on ${host}:${port}: Deno needs network access, run it with --allow-net=${urlHost(host)}.`,
    );
  }
  const context: HandlerContext = { model, maxBodyBytes, log: options.log };
  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    // Node checks the deadlines periodically; every second at most, so short timeouts hold.
    connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
  };
  const server = createServer(timeouts, (req, res) => {
    // A request pipelined behind a refused body, read while the connection closes: never served.
    if (ignoreIfLingering(req)) return;
    void handleRequest(context, req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DatabricksConfigError(
      `driver proxy app cannot listen on ${host}:${port}: ${detail}`,
      {
        cause: error,
      },
    );
  }
  // After listen, an 'error' (e.g. EMFILE on accept) must not crash the host process.
  server.on("error", (error) => warn(`driver proxy app server error: ${error.message}`));
  const address = server.address();
  const boundPort = typeof address === "object" && address !== null ? address.port : port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url: `http://${urlHost(host)}:${boundPort}`, port: boundPort, host, close };
}

/**
 * The default listen address: `0.0.0.0` on a Databricks driver (detected by
 * `DATABRICKS_RUNTIME_VERSION`, set on every Databricks Runtime), so the driver proxy can reach the
 * app through the driver IP; `127.0.0.1` elsewhere, so a laptop never exposes the model to its network.
 */
export function defaultDriverProxyHost(env?: Env): string {
  return readEnv("DATABRICKS_RUNTIME_VERSION", env)?.trim() ? "0.0.0.0" : "127.0.0.1";
}

/** The module name in a variable, so bundlers for the web do not try to bundle it. */
const NODE_HTTP_MODULE = "node:http";

/**
 * `node:http`: synchronously where `process.getBuiltinModule` exists (Node >= 20.16, Bun, Deno 2),
 * else by dynamic import (older Node 20).
 *
 * @throws {DatabricksConfigError} where the runtime has no `node:http` (edge runtimes, browsers).
 */
async function loadNodeHttp(): Promise<typeof NodeHttp> {
  const builtin = getBuiltinModule<typeof NodeHttp>(NODE_HTTP_MODULE);
  if (builtin) return builtin;
  try {
    return (await import(
      /* webpackIgnore: true */ /* @vite-ignore */ NODE_HTTP_MODULE
    )) as typeof NodeHttp;
  } catch (error) {
    throw new DatabricksConfigError(
      "serveDriverProxyApp runs an HTTP server with node:http, which this runtime does not have: serve driver proxy apps from Node.js (or Bun, or Deno with --allow-net).",
      { cause: error },
    );
  }
}

/**
 * Validate a port option: an integer 0..65535, or a string of digits (the Python API takes strings).
 * `undefined` gives {@link DEFAULT_DRIVER_PROXY_PORT}.
 *
 * @throws {DatabricksConfigError} for anything else.
 */
export function parseDriverProxyPort(port: number | string | undefined): number {
  if (port === undefined) return DEFAULT_DRIVER_PROXY_PORT;
  const value =
    typeof port === "string" && /^\s*\d+\s*$/.test(port)
      ? Number(port)
      : typeof port === "number"
        ? port
        : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new DatabricksConfigError(
      `Invalid driver proxy port: ${JSON.stringify(port) ?? String(port)} (expected an integer from 0 to 65535)`,
    );
  }
  return value;
}

/** A warning for ports outside the recommended [3000, 8000]; none for `0` (an ephemeral test port). */
export function driverProxyPortWarning(port: number): string | undefined {
  const [low, high] = RECOMMENDED_DRIVER_PROXY_PORTS;
  if (port === 0 || (port >= low && port <= high)) return undefined;
  return `driver proxy app port ${port} is outside the recommended range [${low}, ${high}]; the Databricks driver proxy may not forward it (serving anyway)`;
}

/**
 * A warning when, on a Databricks driver, the app listens on loopback only: the driver proxy
 * connects through the driver IP and would not reach it.
 */
export function driverProxyHostWarning(host: string, env?: Env): string | undefined {
  if (!readEnv("DATABRICKS_RUNTIME_VERSION", env)?.trim()) return undefined;
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) return undefined;
  return `driver proxy app listens on ${host} only; the Databricks driver proxy reaches apps through the driver IP, so use host "0.0.0.0"`;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

interface HandlerContext {
  model: DriverProxyModel;
  maxBodyBytes: number;
  log: ((line: string) => void) | undefined;
}

async function handleRequest(
  context: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const method = req.method ?? "GET";
  const target = req.url ?? "/";
  const logLine = (status: number, extra = ""): void => {
    const ms = Math.round(performance.now() - started);
    context.log?.(`${method} ${target} ${status} ${ms}ms${extra}`);
  };
  try {
    const status = await route(context, req, res);
    logLine(status);
  } catch (error) {
    if (error instanceof DriverProxyRequestError) {
      sendJson(req, res, error.status, { error: error.message }, error.status === 413);
      logLine(error.status, ` (${error.message})`);
      return;
    }
    const message = redactSecrets(`model failed: ${errorMessage(error)}`);
    sendJson(req, res, 500, { error: message });
    logLine(500, ` (${message})`);
  }
}

/** Answer one request; returns the status sent. Throws {@link DriverProxyRequestError} for 4xx. */
async function route(
  context: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number> {
  const method = req.method ?? "GET";
  const path = requestPath(req.url ?? "/");
  if (path !== "/") {
    throw new DriverProxyRequestError(404, `not found: ${method} ${path} (the app serves POST /)`);
  }
  if (method === "GET" || method === "HEAD") {
    sendJson(req, res, 200, { status: "ok" });
    return 200;
  }
  if (method !== "POST") {
    res.setHeader("allow", "GET, HEAD, POST");
    throw new DriverProxyRequestError(405, `method ${method} not allowed (the app serves POST /)`);
  }
  const contentType = req.headers["content-type"];
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new DriverProxyRequestError(
      415,
      `Content-Type must be application/json, got ${JSON.stringify(contentType)}`,
    );
  }
  const body = await readBody(req, context.maxBodyBytes);
  const parsed = parseDriverProxyBody(body);

  // Cancel the model call when the caller goes away (proxy timeout, Ctrl-C on a client).
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const answer = async (request: DriverProxyRequest): Promise<string> =>
    cutAtStop(await callDriverProxyModel(context.model, request, controller.signal), request.stop);
  if (parsed.kind === "prompt") {
    sendJson(req, res, 200, await answer(parsed.request));
  } else {
    // Rows are answered together, one prediction per row in row order (MLflow's contract).
    sendJson(req, res, 200, { predictions: await Promise.all(parsed.rows.map(answer)) });
  }
  return 200;
}

/**
 * The path of a request target, as sent: origin-form `/path?query`, or the absolute-form
 * `http://host/path` (RFC 9112 §3.2.2). It is compared as written: the WHATWG URL parser used
 * before resolved dot segments and read `//host` as an authority, so `/x/..` and `//evil/` were
 * served as `/` and `//` answered 500.
 */
function requestPath(target: string): string {
  const absolute = /^https?:\/\/[^/?#]*([^?]*)/i.exec(target);
  if (absolute !== null) return absolute[1] || "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[\w.-]+\+json$/.test(mediaType);
}

/** Read the whole body as UTF-8, refusing (413) anything over `limit` bytes as early as possible. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = (): DriverProxyRequestError =>
    new DriverProxyRequestError(413, `request body exceeds the limit of ${limit} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    // The caller went away mid-body: a client problem, not a model failure.
    req.on("error", (error) =>
      reject(new DriverProxyRequestError(400, `request body incomplete: ${error.message}`)),
    );
  });
}

function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  closeConnection = false,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", Buffer.byteLength(body));
  if (closeConnection) {
    // The rest of an oversized body is never buffered: close the connection once the answer is
    // out, lingering so the client can read it.
    res.setHeader("connection", "close");
    closeLingering(req, res);
  }
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * Lingering sockets ({@link closeLingering}), with the `bytesRead` past which the socket is closed
 * (`Infinity` until the answer is out). Requests the client pipelined behind the refused body still
 * get parsed while the socket lingers: {@link ignoreIfLingering} keeps them from being served.
 * The same code is in packages/databricks-serving-emulator/src/http_util.ts (the packages share
 * no source: the emulator has no dependencies, this package does not depend on it): keep both in
 * step.
 */
const lingering = new WeakMap<IncomingMessage["socket"], number>();

/** Read and discard `req`'s body; past the lingering socket's byte budget, close the socket. */
function discardLingering(req: IncomingMessage): void {
  const socket = req.socket;
  const overBudget = (): boolean => socket.bytesRead > (lingering.get(socket) ?? Infinity);
  if (overBudget()) {
    socket.destroy();
    return;
  }
  req.on("data", () => {
    if (overBudget()) socket.destroy();
  });
  req.resume();
}

/**
 * Close the connection of `req` lingering, as HTTP servers do after refusing a body they did not
 * read (an early 413): when the answer (which must carry `Connection: close`) is written, end our
 * side, then read and discard what the client still sends, for at most {@link LINGER_MS} or
 * {@link LINGER_BYTES}, and only then destroy the socket. Destroying it at once makes the kernel
 * answer the client's next body bytes with a reset, which can throw away the 413 before the client
 * has read it (on a real network it usually does). Nothing is buffered. Call before sending.
 *
 * The bytes are read through the request (node:http's parser consumes the socket's handle itself,
 * so a `data` listener on the socket never fires): the rest of the refused body arrives as the
 * request's data, and a request pipelined after it reaches the request listener, which must drop
 * it with {@link ignoreIfLingering}.
 */
function closeLingering(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  lingering.set(socket, Infinity);
  // Node ends a `Connection: close` answer with `destroySoon()`: replace it for this socket only.
  socket.destroySoon = () => {
    socket.end();
    lingering.set(socket, socket.bytesRead + LINGER_BYTES);
    // Restart the handle's reads in case node:http stopped them (it does when a request body is
    // not consumed, or answers back up); a no-op when it reads already.
    socket.pause();
    socket.resume();
  };
  // The deadline is set apart: it also bounds runtimes whose node:http never calls destroySoon.
  res.on("finish", () => {
    const deadline = setTimeout(() => socket.destroy(), LINGER_MS);
    deadline.unref();
    socket.once("close", () => clearTimeout(deadline));
  });
  discardLingering(req);
}

/**
 * Whether `req` came on a connection closing lingering ({@link closeLingering}): a request the
 * client pipelined behind a refused body. It is then drained, never routed nor answered: call first
 * thing in the request listener and return when true.
 */
function ignoreIfLingering(req: IncomingMessage): boolean {
  if (!lingering.has(req.socket)) return false;
  discardLingering(req);
  return true;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
