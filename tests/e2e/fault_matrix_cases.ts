/**
 * The fault matrix as data: which public API meets which fault, and what must come of it. The
 * suite (`fault_matrix.test.ts`) runs every cell of it against the emulator, and the table in
 * docs/RELIABILITY.md is rendered from it (`renderFaultMatrix`, written by
 * `scripts/fault_matrix_doc.ts` and checked by the suite), so the doc cannot drift from the tests.
 *
 * Pure data and formatting: no import of either package at run time, so the doc script runs
 * without the test aliases.
 */
import type { FaultSpec } from "databricks-serving-emulator";

/** Every request of a cell may be retried this many times (the default of the classes). */
export const MAX_RETRIES = 3;
/** Attempts a persistent transient fault gets: the first one and every retry. */
const ALL_ATTEMPTS = MAX_RETRIES + 1;
/**
 * The per-attempt `timeout` of the slow-server cells, and the emulator's delay there. Other cells
 * keep a generous timeout, so a busy machine cannot turn a slow answer into a retry.
 */
export const SLOW_SERVER_TIMEOUT_MS = 1_000;
export const SLOW_SERVER_LATENCY_MS = 3_000;
/**
 * The per-attempt `timeout` of the stalled-stream cells, and how long the emulator's stream goes
 * silent there. The timeout also bounds the wait for the stream's headers, so it is kept well
 * above what a busy machine takes to start a stream; the silence ends when the client gives up
 * (it closes the connection), so its length costs the suite nothing.
 */
export const STREAM_STALL_TIMEOUT_MS = 3_000;
export const STREAM_STALL_MS = 10_000;

/** The public entry points under test. */
export type ApiId =
  | "llm-serving"
  | "llm-driver-proxy"
  | "chat-invoke"
  | "chat-stream"
  | "responses-invoke"
  | "responses-stream"
  | "embeddings";

export interface ApiInfo {
  id: ApiId;
  /** Column heading in the doc. */
  title: string;
  /** The answer arrives as an SSE stream (retried only until its headers, never after). */
  stream: boolean;
  /** Speaks the Responses API (its own stream-error frame shape). */
  responses: boolean;
}

export const APIS: readonly ApiInfo[] = [
  { id: "llm-serving", title: "`Databricks` (endpoint)", stream: false, responses: false },
  { id: "llm-driver-proxy", title: "`Databricks` (driver proxy)", stream: false, responses: false },
  { id: "chat-invoke", title: "`ChatDatabricks` invoke", stream: false, responses: false },
  { id: "chat-stream", title: "`ChatDatabricks` stream", stream: true, responses: false },
  { id: "responses-invoke", title: "Responses API invoke", stream: false, responses: true },
  { id: "responses-stream", title: "Responses API stream", stream: true, responses: true },
  { id: "embeddings", title: "`DatabricksEmbeddings`", stream: false, responses: false },
];

/** The error classes a cell may end with (names of `langchain-databricks` exports). */
export type ErrorClassName =
  | "DatabricksServerError"
  | "DatabricksConnectionError"
  | "DatabricksTimeoutError"
  | "DatabricksResponseError"
  | "DatabricksBadRequestError"
  | "DatabricksNotFoundError"
  | "DatabricksAuthenticationError"
  | "DatabricksPermissionDeniedError"
  | "DatabricksRateLimitError"
  | "DatabricksCredentialsError"
  | "DatabricksAbortError";

export type Outcome =
  | {
      kind: "succeeds";
      /** Requests the endpoint (or driver app) received for the measured call. */
      attempts: number;
      /** Requests the OAuth token endpoint received for the measured call (OAuth cells). */
      tokenRequests?: number;
      /** A lower bound on the call's duration: the server's `Retry-After` was honoured. */
      minElapsedMs?: number;
    }
  | {
      kind: "fails";
      errorClass: ErrorClassName;
      attempts: number;
      tokenRequests?: number;
      status?: number;
      errorCode?: string;
      /** The server put a request id in its answer (`[ReqId: …]`) and the error must carry it. */
      requestId?: boolean;
      /** A stream yielded part of the answer before it failed (a prefix, never more). */
      partialText?: boolean;
      /** The class of the error's `cause` (a credentials error wraps the token request's). */
      causeClass?: ErrorClassName;
    };

/** Something the server does to an identity between a first, clean call and the measured one. */
export type CredentialEvent =
  | { revoke: "pat"; status: 401 | 403 }
  | { revoke: "oauth-tokens"; status: 401 | 403 }
  | { expire: "oauth-tokens" };

export interface FaultCase {
  id: string;
  /** Row heading in the doc. */
  title: string;
  /** The credential of the cell; OAuth cells use the M2M client and count token requests. */
  auth: "pat" | "oauth";
  /** Set on the API's fault key (endpoint name or `clusterId:port`) before the measured call. */
  fault?: FaultSpec;
  /**
   * Stream faults, placed by frame: given how many frames of the API's stream come before its
   * second piece of text (the Responses stream reasons first), the fault to set.
   */
  streamFault?: (framesThroughSecondText: number) => FaultSpec;
  /** The client's per-attempt `timeout` (default: generous). */
  clientTimeoutMs?: number;
  /** Set on the OAuth token endpoint before the measured call. */
  tokenFault?: FaultSpec;
  /** Happens after a first, clean call, before the measured call. */
  credentialEvent?: CredentialEvent;
  /** Which APIs the fault can happen to (default all). */
  appliesTo?: (api: ApiInfo) => boolean;
  outcome: (api: ApiInfo) => Outcome;
}

const succeeds = (attempts: number, extra: Partial<Outcome> = {}): Outcome =>
  ({ kind: "succeeds", attempts, ...extra }) as Outcome;

const fails = (
  errorClass: ErrorClassName,
  attempts: number,
  extra: Omit<Extract<Outcome, { kind: "fails" }>, "kind" | "errorClass" | "attempts"> = {},
): Outcome => ({ kind: "fails", errorClass, attempts, ...extra });

const streams = (api: ApiInfo) => api.stream;
const answersJson = (api: ApiInfo) => !api.stream;

/** A proxy's HTML error page (an nginx-style 502), retried like any 502. */
const PROXY_502_PAGE =
  "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
/** The legacy workspace page for a bad token (Jetty), docs/PROTOCOL.md §6.1. */
const LEGACY_403_PAGE =
  "<html><head><title>Error 403 Invalid access token.</title></head><body><h2>HTTP ERROR 403</h2><p>Problem accessing /serving-endpoints. Reason:<pre>    Invalid access token.</pre></p></body></html>";
/** An endpoint deleted while in use (the serving API's own wording). */
const ENDPOINT_GONE_BODY = JSON.stringify({
  error_code: "RESOURCE_DOES_NOT_EXIST",
  message: "Endpoint with name 'x' does not exist.",
});
/** Valid JSON that is no answer of any API: not retried, repeating it would not change it. */
const WRONG_SHAPE_BODY = JSON.stringify({ unexpected: true });
/** What the token endpoint answers a client it does not know (RFC 6749 §5.2). */
const INVALID_CLIENT_BODY = JSON.stringify({
  error: "invalid_client",
  error_description: "Client authentication failed",
});

export const FAULTS: readonly FaultCase[] = [
  { id: "none", title: "no fault (baseline)", auth: "pat", outcome: () => succeeds(1) },
  {
    id: "429-retry-after",
    title: "429 with `Retry-After: 1`",
    auth: "pat",
    fault: { failNext: { count: 1, status: 429, retryAfterSeconds: 1 } },
    outcome: () => succeeds(2, { minElapsedMs: 1000 }),
  },
  {
    id: "429",
    title: "429 ×2 without `Retry-After`",
    auth: "pat",
    fault: { failNext: { count: 2, status: 429 } },
    outcome: () => succeeds(3),
  },
  {
    id: "429-persistent",
    title: "429 on every attempt (no `Retry-After`)",
    auth: "pat",
    fault: { failNext: { count: 100, status: 429 } },
    outcome: () =>
      fails("DatabricksRateLimitError", ALL_ATTEMPTS, {
        status: 429,
        errorCode: "REQUEST_LIMIT_EXCEEDED",
      }),
  },
  {
    id: "503-burst",
    title: "503 ×2",
    auth: "pat",
    fault: { failNext: { count: 2, status: 503 } },
    outcome: () => succeeds(3),
  },
  {
    id: "503-persistent",
    title: "503 on every attempt",
    auth: "pat",
    fault: { failNext: { count: 100, status: 503 } },
    outcome: () =>
      fails("DatabricksServerError", ALL_ATTEMPTS, {
        status: 503,
        errorCode: "TEMPORARILY_UNAVAILABLE",
      }),
  },
  {
    id: "500",
    title: "500",
    auth: "pat",
    fault: { failNext: { count: 1, status: 500 } },
    outcome: () => succeeds(2),
  },
  {
    id: "502",
    title: "502",
    auth: "pat",
    fault: { failNext: { count: 1, status: 502 } },
    outcome: () => succeeds(2),
  },
  {
    id: "504",
    title: "504",
    auth: "pat",
    fault: { failNext: { count: 1, status: 504 } },
    outcome: () => succeeds(2),
  },
  {
    id: "502-html",
    title: "502 HTML page from a proxy",
    auth: "pat",
    fault: { failNext: { count: 1, status: 502, body: PROXY_502_PAGE } },
    outcome: () => succeeds(2),
  },
  {
    id: "reset-before-answer",
    title: "connection reset before any byte",
    auth: "pat",
    fault: { dropConnection: { count: 1 } },
    outcome: () => succeeds(2),
  },
  {
    id: "reset-mid-body",
    title: "connection reset mid-body (after a 200)",
    auth: "pat",
    fault: { cutBodyAfterBytes: { bytes: 12, count: 1 } },
    appliesTo: answersJson,
    outcome: () => succeeds(2),
  },
  {
    id: "slow-server",
    title: `server slower than \`timeout\` (${SLOW_SERVER_LATENCY_MS} ms > ${SLOW_SERVER_TIMEOUT_MS} ms)`,
    auth: "pat",
    fault: { latencyMs: SLOW_SERVER_LATENCY_MS },
    clientTimeoutMs: SLOW_SERVER_TIMEOUT_MS,
    outcome: () => fails("DatabricksTimeoutError", ALL_ATTEMPTS),
  },
  {
    id: "malformed-json",
    title: "200 with truncated JSON",
    auth: "pat",
    fault: { malformedJson: { count: 1 } },
    // A whole answer that is cut is retried; a stream whose first frame is broken has started.
    outcome: (api) => (api.stream ? fails("DatabricksResponseError", 1) : succeeds(2)),
  },
  {
    id: "400",
    title: "400 `BAD_REQUEST`",
    auth: "pat",
    fault: { failNext: { count: 1, status: 400 } },
    outcome: () => fails("DatabricksBadRequestError", 1, { status: 400, errorCode: "BAD_REQUEST" }),
  },
  {
    id: "404",
    title: "404 `RESOURCE_DOES_NOT_EXIST`",
    auth: "pat",
    fault: { failNext: { count: 1, status: 404, body: ENDPOINT_GONE_BODY } },
    outcome: () =>
      fails("DatabricksNotFoundError", 1, { status: 404, errorCode: "RESOURCE_DOES_NOT_EXIST" }),
  },
  {
    id: "wrong-shape",
    title: "200 with JSON of the wrong shape",
    auth: "pat",
    fault: { failNext: { count: 1, status: 200, body: WRONG_SHAPE_BODY } },
    outcome: () => fails("DatabricksResponseError", 1),
  },
  {
    id: "403-html",
    title: "403 legacy HTML page (`Invalid access token.`)",
    auth: "pat",
    fault: { failNext: { count: 1, status: 403, body: LEGACY_403_PAGE } },
    outcome: () =>
      fails("DatabricksPermissionDeniedError", 1, { status: 403, errorCode: "PERMISSION_DENIED" }),
  },
  {
    id: "stream-cut",
    title: "SSE stream cut before `[DONE]`",
    auth: "pat",
    streamFault: (afterChunks) => ({ cutStreamAfterChunks: afterChunks }),
    appliesTo: streams,
    outcome: () => fails("DatabricksConnectionError", 1, { partialText: true }),
  },
  {
    id: "stream-stall",
    title: `SSE stream silent mid-body for longer than \`timeout\` (${STREAM_STALL_MS / 1000} s > ${STREAM_STALL_TIMEOUT_MS / 1000} s)`,
    auth: "pat",
    streamFault: (afterChunks) => ({
      stallStreamAfterChunks: { afterChunks, ms: STREAM_STALL_MS },
    }),
    clientTimeoutMs: STREAM_STALL_TIMEOUT_MS,
    appliesTo: streams,
    // The timeout bounds each gap between chunks; a stream that started is never restarted.
    outcome: () => fails("DatabricksTimeoutError", 1, { partialText: true }),
  },
  {
    id: "stream-error-databricks",
    title: 'error frame in the stream, `{"error_code","message"}`',
    auth: "pat",
    streamFault: (afterChunks) => ({ errorMidStream: { afterChunks, shape: "databricks" } }),
    appliesTo: streams,
    outcome: () =>
      fails("DatabricksServerError", 1, {
        status: 500,
        errorCode: "INTERNAL_ERROR",
        partialText: true,
      }),
  },
  {
    id: "stream-error-openai",
    title: 'error frame in the stream, `{"error":{…}}`',
    auth: "pat",
    streamFault: (afterChunks) => ({ errorMidStream: { afterChunks, shape: "openai" } }),
    appliesTo: streams,
    outcome: () =>
      fails("DatabricksServerError", 1, {
        status: 500,
        errorCode: "internal_error",
        partialText: true,
      }),
  },
  {
    id: "stream-error-responses",
    title: 'error event in the stream, `{"type":"error"}`',
    auth: "pat",
    streamFault: (afterChunks) => ({ errorMidStream: { afterChunks, shape: "responses" } }),
    appliesTo: (api) => api.stream && api.responses,
    outcome: () =>
      fails("DatabricksServerError", 1, {
        status: 500,
        errorCode: "server_error",
        partialText: true,
      }),
  },
  {
    id: "pat-revoked-403",
    title: "PAT revoked between calls (403 `Invalid access token.`)",
    auth: "pat",
    credentialEvent: { revoke: "pat", status: 403 },
    outcome: () =>
      fails("DatabricksPermissionDeniedError", 1, { status: 403, errorCode: "PERMISSION_DENIED" }),
  },
  {
    id: "pat-revoked-401",
    title: "PAT revoked between calls (401 with `[ReqId]`)",
    auth: "pat",
    credentialEvent: { revoke: "pat", status: 401 },
    outcome: () =>
      fails("DatabricksAuthenticationError", 1, {
        status: 401,
        errorCode: "UNAUTHENTICATED",
        requestId: true,
      }),
  },
  {
    id: "oauth-expired",
    title: "OAuth token expired between calls (403)",
    auth: "oauth",
    credentialEvent: { expire: "oauth-tokens" },
    outcome: () => succeeds(2, { tokenRequests: 1 }),
  },
  {
    id: "oauth-revoked-401",
    title: "OAuth token revoked between calls (401)",
    auth: "oauth",
    credentialEvent: { revoke: "oauth-tokens", status: 401 },
    outcome: () => succeeds(2, { tokenRequests: 1 }),
  },
  {
    id: "token-endpoint-503",
    title: "OAuth token endpoint 503 ×2",
    auth: "oauth",
    tokenFault: { failNext: { count: 2, status: 503 } },
    outcome: () => succeeds(1, { tokenRequests: 3 }),
  },
  {
    id: "token-endpoint-503-persistent",
    title: "OAuth token endpoint 503 on every attempt",
    auth: "oauth",
    tokenFault: { failNext: { count: 100, status: 503 } },
    // The token request has its own retries; the call that needed the token does not add more.
    outcome: () =>
      fails("DatabricksCredentialsError", 0, {
        tokenRequests: ALL_ATTEMPTS,
        status: 503,
        errorCode: "TEMPORARILY_UNAVAILABLE",
        causeClass: "DatabricksServerError",
      }),
  },
  {
    id: "token-endpoint-reset",
    title: "OAuth token endpoint resets every connection",
    auth: "oauth",
    tokenFault: { dropConnection: true },
    outcome: () =>
      fails("DatabricksCredentialsError", 0, {
        tokenRequests: ALL_ATTEMPTS,
        causeClass: "DatabricksConnectionError",
      }),
  },
  {
    id: "token-endpoint-slow",
    title: `OAuth token endpoint slower than \`timeout\` (${SLOW_SERVER_LATENCY_MS} ms > ${SLOW_SERVER_TIMEOUT_MS} ms)`,
    auth: "oauth",
    tokenFault: { latencyMs: SLOW_SERVER_LATENCY_MS },
    clientTimeoutMs: SLOW_SERVER_TIMEOUT_MS,
    outcome: () =>
      fails("DatabricksCredentialsError", 0, {
        tokenRequests: ALL_ATTEMPTS,
        causeClass: "DatabricksTimeoutError",
      }),
  },
  {
    id: "token-endpoint-401",
    title: "OAuth token endpoint 401 `invalid_client`",
    auth: "oauth",
    tokenFault: { failNext: { count: 1, status: 401, body: INVALID_CLIENT_BODY } },
    outcome: () =>
      fails("DatabricksCredentialsError", 0, {
        tokenRequests: 1,
        status: 401,
        errorCode: "invalid_client",
        causeClass: "DatabricksAuthenticationError",
      }),
  },
];

/** The cells: every fault with every API it applies to. */
export function faultMatrixCells(): { fault: FaultCase; api: ApiInfo }[] {
  return FAULTS.flatMap((fault) =>
    APIS.filter((api) => fault.appliesTo?.(api) ?? true).map((api) => ({ fault, api })),
  );
}

function describeOutcome(outcome: Outcome): string {
  const tokens =
    outcome.tokenRequests === undefined ? "" : ` + ${outcome.tokenRequests} token req.`;
  if (outcome.kind === "succeeds") {
    const wait = outcome.minElapsedMs === undefined ? "" : `, ≥ ${outcome.minElapsedMs} ms`;
    return `✅ ${outcome.attempts}×${tokens}${wait}`;
  }
  const partial = outcome.partialText === true ? ", after partial text" : "";
  const shortName = (name: ErrorClassName) => name.replace(/^Databricks/, "");
  const cause = outcome.causeClass === undefined ? "" : ` (${shortName(outcome.causeClass)})`;
  return `❌ ${shortName(outcome.errorClass)}${cause}, ${outcome.attempts}×${tokens}${partial}`;
}

/** The markers around the generated table in docs/RELIABILITY.md. */
export const FAULT_MATRIX_START =
  "<!-- fault-matrix:start (generated by scripts/fault_matrix_doc.ts) -->";
export const FAULT_MATRIX_END = "<!-- fault-matrix:end -->";

/** The markdown table of docs/RELIABILITY.md § Fault matrix. */
export function renderFaultMatrix(): string {
  const header = `| Fault | ${APIS.map((api) => api.title).join(" | ")} |`;
  const rule = `|---|${APIS.map(() => "---").join("|")}|`;
  const rows = FAULTS.map((fault) => {
    const cells = APIS.map((api) =>
      (fault.appliesTo?.(api) ?? true) ? describeOutcome(fault.outcome(api)) : "—",
    );
    return `| ${fault.title} | ${cells.join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
}
