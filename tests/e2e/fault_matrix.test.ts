/**
 * The fault matrix (issue 10): every public API against every fault the emulator can inject, one
 * test per cell, with the outcome each cell must have taken from `fault_matrix_cases.ts` (the
 * same table docs/RELIABILITY.md shows). For every cell: transient faults succeed within the retry
 * budget after exactly the expected number of attempts (the emulator's per-key request counts);
 * permanent ones fail with the expected error class, status, code and request id, after exactly
 * the expected attempts (nothing is retried that must not be); no error shows a secret; a stream
 * yields the answer exactly once, or a prefix of it before failing, never a restart.
 *
 * Then the cross-cutting property: an `AbortSignal` fired during a backoff wait, of the endpoint's
 * request or of the OAuth token request it waits for, ends the call within 50 ms.
 *
 * Each cell runs against its own emulator (cheap to start), so cells run concurrently without
 * sharing faults, counters or OAuth tokens.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from "vitest";
import {
  startEmulator,
  TOKEN_ENDPOINT_FAULT_KEY,
  type EmulatorHandle,
  type EndpointConfig,
} from "databricks-serving-emulator";
import {
  ChatDatabricks,
  Databricks,
  DatabricksAbortError,
  DatabricksAuthenticationError,
  DatabricksBadRequestError,
  DatabricksConnectionError,
  DatabricksCredentialsError,
  DatabricksEmbeddings,
  DatabricksNotFoundError,
  DatabricksPermissionDeniedError,
  DatabricksRateLimitError,
  DatabricksResponseError,
  DatabricksServerError,
  DatabricksTimeoutError,
  type DatabricksConnectionOptions,
} from "langchain-databricks";
import { serveDriverProxyApp, type DriverProxyApp } from "langchain-databricks/driver-proxy";
import {
  APIS,
  faultMatrixCells,
  MAX_RETRIES,
  FAULT_MATRIX_END,
  FAULT_MATRIX_START,
  renderFaultMatrix,
  type ApiId,
  type ApiInfo,
  type ErrorClassName,
  type FaultCase,
} from "./fault_matrix_cases.js";
import { expectNoSecret, secretsOf } from "../helpers/secrets.js";

/** Recognisable secrets: no error of any cell may contain them. */
const TOKEN = "dapi-FAULTMATRIX-SECRET-5c1e7a90";
const CLIENT_ID = "fault-matrix-client";
const CLIENT_SECRET = "oauth-FAULTMATRIX-SECRET-9b2d4f61";
/** The token, the client secret and the Basic credential the token request carries. */
const SECRETS = secretsOf(TOKEN, CLIENT_ID, CLIENT_SECRET);

/** Long enough that a stream cut after six frames has yielded some of it, but not all. */
const ANSWER =
  "The quick brown fox jumps over the lazy dog and keeps running far into the green hills before the sun sets over the quiet valley.";
const PROMPT = "Tell me about the fox.";

const CLUSTER_ID = "0101-fault-matrix";
const DRIVER_PORT = 7777;

const ERROR_CLASSES: Record<ErrorClassName, abstract new (...args: never[]) => Error> = {
  DatabricksServerError,
  DatabricksConnectionError,
  DatabricksTimeoutError,
  DatabricksResponseError,
  DatabricksBadRequestError,
  DatabricksNotFoundError,
  DatabricksAuthenticationError,
  DatabricksPermissionDeniedError,
  DatabricksRateLimitError,
  DatabricksCredentialsError,
  DatabricksAbortError,
};

/**
 * Where each API goes: its fault key (endpoint name or `clusterId:port`), the `METHOD /path` its
 * attempts are counted under (every attempt, also those refused before reaching the endpoint),
 * and the endpoint it needs. Every endpoint answers {@link ANSWER}.
 */
const scripted = { type: "scripted" as const, answers: [ANSWER] };
const DRIVER_PATH = `POST /driver-proxy-api/o/0/${CLUSTER_ID}/${DRIVER_PORT}`;
const CHAT_ENDPOINT: EndpointConfig = {
  name: "chat",
  task: "llm/v1/chat",
  endpointType: "FOUNDATION_MODEL_API",
  backend: scripted,
};
/** The Responses API is served by OpenAI-family endpoints only (GPT, which reasons first). */
const GPT_ENDPOINT: EndpointConfig = { ...CHAT_ENDPOINT, name: "gpt", family: "gpt" };
const ROUTES: Record<ApiId, { key: string; path: string; endpoint?: EndpointConfig }> = {
  "llm-serving": {
    key: "completions",
    path: "POST /serving-endpoints/completions/invocations",
    endpoint: { name: "completions", task: "llm/v1/completions", backend: scripted },
  },
  "llm-driver-proxy": { key: `${CLUSTER_ID}:${DRIVER_PORT}`, path: DRIVER_PATH },
  "chat-invoke": {
    key: "chat",
    path: "POST /serving-endpoints/chat/invocations",
    endpoint: CHAT_ENDPOINT,
  },
  "chat-stream": { key: "chat", path: "POST /serving-endpoints/chat/invocations" },
  "responses-invoke": {
    key: "gpt",
    path: "POST /serving-endpoints/responses",
    endpoint: GPT_ENDPOINT,
  },
  "responses-stream": { key: "gpt", path: "POST /serving-endpoints/responses" },
  embeddings: {
    key: "embeddings",
    path: "POST /serving-endpoints/embeddings/invocations",
    endpoint: { name: "embeddings", task: "llm/v1/embeddings" },
  },
};
const TOKEN_PATH = "POST /oidc/v1/token";

let driverApp: DriverProxyApp;

beforeAll(async () => {
  // The notebook app of the LangChain docs, reached through each cell's emulator's driver proxy.
  driverApp = await serveDriverProxyApp({
    model: () => ANSWER,
    port: 0,
    host: "127.0.0.1",
    // An ephemeral port is outside the recommended range by design: no warning wanted.
    warn: () => undefined,
  });
});
afterAll(() => driverApp.close());

/** A workspace of its own for one cell: every endpoint, the driver app, the PAT and OAuth client. */
async function startWorkspace(): Promise<EmulatorHandle> {
  return startEmulator({
    tokens: [TOKEN],
    oauthClients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    endpoints: Object.values(ROUTES).flatMap(({ endpoint }) => (endpoint ? [endpoint] : [])),
    driverApps: [{ clusterId: CLUSTER_ID, port: DRIVER_PORT, target: driverApp.url }],
  });
}

function connection(
  emulator: EmulatorHandle,
  auth: FaultCase["auth"],
  timeout = 10_000,
): DatabricksConnectionOptions {
  const credentials =
    auth === "pat"
      ? { token: TOKEN }
      : { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authType: "oauth-m2m" as const };
  return {
    host: emulator.url,
    ...credentials,
    maxRetries: MAX_RETRIES,
    timeout,
    // Backoffs of a few milliseconds: the suite measures attempts, not patience.
    retryBaseDelayMs: 1,
  };
}

/**
 * One call of `api`, returning the answer as text (embeddings: the vector as JSON). Stream chunks
 * are pushed to `chunks` as they arrive, so a failed stream still shows what it yielded.
 */
type ApiCall = (signal: AbortSignal | undefined, chunks: string[]) => Promise<string>;

/** Call options with the signal, when there is one (the options' types forbid `undefined`). */
const signalOption = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

function apiCall(api: ApiInfo, options: DatabricksConnectionOptions): ApiCall {
  const chatOf = (useResponsesApi: boolean) =>
    new ChatDatabricks({
      ...options,
      endpoint: ROUTES[api.id].key,
      ...(useResponsesApi ? { useResponsesApi } : {}),
    });
  const streamed =
    (model: ChatDatabricks): ApiCall =>
    async (signal, chunks) => {
      for await (const chunk of await model.stream(PROMPT, signalOption(signal)))
        chunks.push(chunk.text);
      return chunks.join("");
    };
  const invoked =
    (model: ChatDatabricks): ApiCall =>
    async (signal) =>
      (await model.invoke(PROMPT, signalOption(signal))).text;
  switch (api.id) {
    case "llm-serving": {
      const llm = new Databricks({
        ...options,
        endpoint: "completions",
        task: "llm/v1/completions",
      });
      return (signal) => llm.invoke(PROMPT, signalOption(signal));
    }
    case "llm-driver-proxy": {
      const llm = new Databricks({
        ...options,
        clusterId: CLUSTER_ID,
        clusterDriverPort: DRIVER_PORT,
      });
      return (signal) => llm.invoke(PROMPT, signalOption(signal));
    }
    case "chat-invoke":
      return invoked(chatOf(false));
    case "chat-stream":
      return streamed(chatOf(false));
    case "responses-invoke":
      return invoked(chatOf(true));
    case "responses-stream":
      return streamed(chatOf(true));
    case "embeddings": {
      // The LangChain Embeddings interface takes no signal.
      const embeddings = new DatabricksEmbeddings({ ...options, endpoint: "embeddings" });
      return async () => JSON.stringify(await embeddings.embedQuery(PROMPT));
    }
  }
}

/**
 * What each API answers without any fault, computed once per API on a clean workspace and checked
 * against what the emulator was scripted to answer: the chat, LLM and Responses APIs (invoked or
 * streamed) exactly {@link ANSWER}, embeddings a non-empty vector of finite numbers. The cells are
 * compared with it, so a reference read through the same client alone would hide a client that
 * answered nothing, or repeated or reordered chunks, on every call.
 */
const fullAnswers = new Map<ApiId, Promise<string>>();
function fullAnswer(api: ApiInfo): Promise<string> {
  let answer = fullAnswers.get(api.id);
  if (answer === undefined) {
    answer = (async () => {
      const emulator = await startWorkspace();
      try {
        const text = await apiCall(api, connection(emulator, "pat"))(undefined, []);
        if (api.id === "embeddings") {
          const vector: unknown = JSON.parse(text);
          const isVector =
            Array.isArray(vector) &&
            vector.length > 0 &&
            vector.every((value) => typeof value === "number" && Number.isFinite(value));
          if (!isVector) throw new Error(`${api.id}: a clean call answered ${text}`);
        } else if (text !== ANSWER) {
          throw new Error(`${api.id}: a clean call answered ${JSON.stringify(text)}`);
        }
        return text;
      } finally {
        await emulator.close();
      }
    })();
    fullAnswers.set(api.id, answer);
  }
  return answer;
}

/** Requests received on `METHOD /path` since the counters were last reset. */
function requestsTo(emulator: EmulatorHandle, path: string): number {
  return emulator.stats().paths[path] ?? 0;
}

/**
 * How many frames of the API's stream go out up to and including its second piece of text: a
 * stream fault placed there has let some text, but not all, reach the caller.
 */
const framesThroughSecondText = new Map<ApiId, Promise<number>>();
function streamTextPosition(api: ApiInfo): Promise<number> {
  let position = framesThroughSecondText.get(api.id);
  if (position === undefined) {
    position = (async () => {
      const emulator = await startWorkspace();
      try {
        const body = api.responses
          ? { model: "gpt", input: PROMPT, stream: true }
          : { messages: [{ role: "user", content: PROMPT }], stream: true };
        const url = `${emulator.url}${ROUTES[api.id].path.replace(/^POST /, "")}`;
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const frames = (await res.text())
          .split("\n\n")
          .map((frame) => frame.replace(/^data: /, ""))
          .filter((frame) => frame.startsWith("{"));
        const carriesText = (frame: string): boolean => {
          const event = JSON.parse(frame) as {
            type?: string;
            choices?: { delta?: { content?: unknown } }[];
          };
          if (api.responses) return event.type === "response.output_text.delta";
          const content = event.choices?.[0]?.delta?.content;
          return typeof content === "string" && content !== "";
        };
        const withText = frames.flatMap((frame, index) => (carriesText(frame) ? [index] : []));
        const second = withText[1];
        if (second === undefined) throw new Error(`${api.id}: fewer than two text frames`);
        return second + 1;
      } finally {
        await emulator.close();
      }
    })();
    framesThroughSecondText.set(api.id, position);
  }
  return position;
}

/** Apply a cell's credential event: what the server does to the identity between two calls. */
function applyCredentialEvent(emulator: EmulatorHandle, fault: FaultCase): void {
  const event = fault.credentialEvent;
  if (event === undefined) return;
  if ("expire" in event) emulator.expireOAuthTokens();
  else if (event.revoke === "pat") emulator.revokeToken(TOKEN, { status: event.status });
  else emulator.revokeOAuthTokens({ status: event.status });
}

async function runCell(fault: FaultCase, api: ApiInfo, expect: ExpectStatic): Promise<void> {
  const emulator = await startWorkspace();
  try {
    const { key, path } = ROUTES[api.id];
    const call = apiCall(api, connection(emulator, fault.auth, fault.clientTimeoutMs));
    if (fault.credentialEvent !== undefined) {
      // The identity works first (and an OAuth client holds a cached token)...
      await call(undefined, []);
      applyCredentialEvent(emulator, fault);
    }
    if (fault.fault !== undefined) emulator.setFault(key, fault.fault);
    if (fault.streamFault !== undefined)
      emulator.setFault(key, fault.streamFault(await streamTextPosition(api)));
    if (fault.tokenFault !== undefined)
      emulator.setFault(TOKEN_ENDPOINT_FAULT_KEY, fault.tokenFault);
    emulator.resetStats();

    const chunks: string[] = [];
    const started = performance.now();
    const result = await call(undefined, chunks).then(
      (text) => ({ ok: true as const, text }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const elapsed = performance.now() - started;
    const expected = fault.outcome(api);
    const full = await fullAnswer(api);

    // Polled: on a busy event loop the client's timeout can fire before the emulator has read the
    // request it already sent. The call is over, so the counts can only reach their final value.
    // The default 1 s of polling is short on a machine busy with the concurrent cells.
    await expect
      .poll(() => requestsTo(emulator, path), { timeout: 10_000 })
      .toBe(expected.attempts);
    if (expected.tokenRequests !== undefined) {
      await expect
        .poll(() => requestsTo(emulator, TOKEN_PATH), { timeout: 10_000 })
        .toBe(expected.tokenRequests);
    }
    if (expected.kind === "succeeds") {
      if (!result.ok) throw result.error;
      // The whole answer, exactly once and in order (a stream's text is its chunks joined; the
      // reference is the scripted answer): a retried stream did not repeat what it had yielded.
      expect(result.text).toBe(full);
      if (expected.minElapsedMs !== undefined)
        expect(elapsed).toBeGreaterThanOrEqual(expected.minElapsedMs);
      return;
    }
    expect(result.ok, "the call should have failed").toBe(false);
    const error = result.ok ? undefined : result.error;
    const errorClass = ERROR_CLASSES[expected.errorClass];
    expect(error).toBeInstanceOf(errorClass);
    // Exactly that class, not a subclass (a timeout is not reported for a cut stream).
    expect((error as Error).constructor).toBe(errorClass);
    const fields = error as { status?: number; errorCode?: string; requestId?: string };
    if (expected.status !== undefined) expect(fields.status).toBe(expected.status);
    if (expected.errorCode !== undefined) expect(fields.errorCode).toBe(expected.errorCode);
    if (expected.causeClass !== undefined)
      expect((error as Error).cause?.constructor).toBe(ERROR_CLASSES[expected.causeClass]);
    if (expected.requestId === true) expect(fields.requestId).toMatch(/^[0-9a-f-]{36}$/);
    else if (error instanceof Error && "requestId" in error)
      expect(fields.requestId).toBeUndefined();
    expectNoSecret(error, expect, SECRETS);
    if (api.stream) {
      // What a failed stream yielded is a strict prefix of the answer: no restart, no repeat.
      const text = chunks.join("");
      expect(full.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(full.length);
      if (expected.partialText === true) expect(text).not.toBe("");
      else expect(text).toBe("");
    }
  } finally {
    await emulator.close();
  }
}

describe.concurrent("fault matrix", () => {
  for (const { fault, api } of faultMatrixCells()) {
    it(`${fault.id} × ${api.id}`, ({ expect }) => runCell(fault, api, expect));
  }
});

/** Abort during a backoff wait: the emulator asks for a 10 s wait, the caller aborts 100 ms in. */
const ABORT_AFTER_MS = 100;
const ABORT_BOUND_MS = 50;

/**
 * One abort test: the first request of `faultKey` (counted under `waitedPath`) is answered 503 with
 * `Retry-After: 10`; once it has been answered and 100 ms have passed, the signal fires. The call
 * must end within 50 ms, with no request after the 503 and none to the endpoint beyond
 * `endpointRequests`.
 */
async function abortDuringBackoff(
  api: ApiInfo,
  auth: FaultCase["auth"],
  faultKey: string,
  waitedPath: string,
  endpointRequests: number,
): Promise<void> {
  const emulator = await startWorkspace();
  try {
    const { path } = ROUTES[api.id];
    emulator.setFault(faultKey, { failNext: { count: 1, status: 503, retryAfterSeconds: 10 } });
    const call = apiCall(api, connection(emulator, auth));
    const controller = new AbortController();
    const started = performance.now();
    let settledAt = 0;
    const outcome = call(controller.signal, []).then(
      () => new Error("expected the call to be aborted"),
      (error: unknown) => {
        settledAt = performance.now();
        return error;
      },
    );
    // Wait until the 503 has been answered (the client is in its backoff), and 100 ms at least.
    while (requestsTo(emulator, waitedPath) < 1 || performance.now() - started < ABORT_AFTER_MS) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const abortedAt = performance.now();
    controller.abort();
    const error = await outcome;
    // A stream's abort is raised by LangChain's stream wrapper (the signal's own reason, a
    // DOMException named AbortError); invoke rejects with the package's DatabricksAbortError.
    expect(error).toMatchObject({ name: "AbortError" });
    if (!api.stream) expect(error).toBeInstanceOf(DatabricksAbortError);
    expect(settledAt - abortedAt).toBeLessThan(ABORT_BOUND_MS);
    expect(requestsTo(emulator, waitedPath)).toBe(1);
    expect(requestsTo(emulator, path)).toBe(endpointRequests);
    expectNoSecret(error, expect, SECRETS);
  } finally {
    await emulator.close();
  }
}

/** `DatabricksEmbeddings` takes no signal (LangChain's `Embeddings` interface has none). */
const ABORTABLE_APIS = APIS.filter((candidate) => candidate.id !== "embeddings");

// Sequential: the 50 ms bound is the one timing assertion of the suite, kept off a busy event loop.
describe("an abort during a backoff wait ends the call within 50 ms", () => {
  for (const api of ABORTABLE_APIS) {
    it(api.id, () => {
      const { key, path } = ROUTES[api.id];
      return abortDuringBackoff(api, "pat", key, path, 1);
    });
  }
});

// The token request's backoff: the caller stops waiting for the token (the shared refresh goes
// on for other callers), and the endpoint is never called.
describe("an abort during the OAuth token request's backoff ends the call within 50 ms", () => {
  for (const api of ABORTABLE_APIS) {
    it(api.id, () => abortDuringBackoff(api, "oauth", TOKEN_ENDPOINT_FAULT_KEY, TOKEN_PATH, 0));
  }
});

describe("docs/RELIABILITY.md", () => {
  it("shows the fault matrix these tests run (regenerate: npx tsx scripts/fault_matrix_doc.ts)", () => {
    const doc = readFileSync(new URL("../../docs/RELIABILITY.md", import.meta.url), "utf8");
    expect(doc).toContain(`${FAULT_MATRIX_START}\n${renderFaultMatrix()}\n${FAULT_MATRIX_END}`);
  });
});
