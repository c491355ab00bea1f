/**
 * Public option, handle and backend types of the local Databricks workspace emulator.
 *
 * Kept in one module so the server, the CLI (via {@link loadEmulatorConfig}) and user code share
 * exactly one definition of the configuration shape.
 */

/** A JSON value as parsed by `JSON.parse`. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Readiness of a serving endpoint, as in `state.ready` of `ServingEndpointDetailed`. */
export type EndpointReadyState = "READY" | "NOT_READY";

/**
 * How an endpoint produces answers. Every backend serves every task it can: text generation for
 * chat / completions / custom models and vectors for embeddings (text backends fall back to the
 * hashing embedder for embeddings, see `backends/create.ts`).
 */
export type BackendSpec =
  | {
      /** Deterministic word-level trigram generator over a small bundled CC0 corpus. */
      type: "ngram";
      /** Mixed into every request's seed, so two endpoints can answer differently. */
      seed?: number;
      /** Extra training text (sentences), appended to the bundled corpus. */
      corpus?: string;
    }
  | {
      /** Deterministic feature-hashing embedder (L2-normalised vectors). */
      type: "hashing-embedder";
      /** Vector size; default 256. */
      dimensions?: number;
    }
  | {
      /** Answers with the prompt or the last user message. */
      type: "echo";
    }
  | {
      /** Canned answers: a list used round-robin, or a map from exact prompt to answer. */
      type: "scripted";
      answers: string[] | Record<string, string>;
    }
  | {
      /** Forwards to an OpenAI-compatible server (Ollama, vLLM, llama.cpp, another emulator). */
      type: "openai-upstream";
      /** Base URL that `/chat/completions`, `/completions` and `/embeddings` are appended to. */
      baseUrl: string;
      apiKey?: string;
      /** Model name sent upstream; defaults to the endpoint name. */
      model?: string;
      /**
       * Bound of one upstream request in milliseconds (headers and body); default 120000. Past it
       * the request is aborted and answered `504 DEADLINE_EXCEEDED`.
       */
      timeoutMs?: number;
    }
  | {
      /** A user-supplied function (not expressible in a JSON config file). */
      type: "function";
      fn: (request: BackendRequest) => BackendResult | Promise<BackendResult>;
    };

/**
 * The model family an `llm/v1/chat` endpoint imitates (modern-serving.md §1). Unset keeps the
 * plain OpenAI-like chat of earlier versions: string content, no family quirks.
 *
 * - `claude`: Claude on Databricks (Bedrock-hosted). `thinking` turns on reasoning parts with a
 *   `signature`; `msg_bdrk_` / `toolu_bdrk_` ids; the provider model id as `model`; the Claude
 *   quirks (empty text next to `tool_calls`, `strict`, `parallel_tool_calls`, `reasoning_effort`).
 * - `gpt-oss`: always reasons; reasoning parts without `signature`; `reasoning_effort` low/medium/high.
 * - `gpt`: OpenAI GPT models: plain chat, `strict` honoured (accepted).
 */
export type ModelFamily = "claude" | "gpt-oss" | "gpt";

/**
 * What a family endpoint does with `tools[].function.strict` (modern-serving.md Q3; the current
 * behaviour is an open unknown, §10.2): `reject` by presence (the legacy and AI Gateway answer),
 * `grammar` (accepted, compiled into a sampling grammar that fails above 300 MB), `ignore`.
 */
export type StrictMode = "reject" | "grammar" | "ignore";

/** One serving endpoint of the emulated workspace. */
export interface EndpointConfig {
  /** Endpoint name, used in `/serving-endpoints/{name}/invocations` and as OpenAI `model`. */
  name: string;
  /**
   * `llm/v1/chat`, `llm/v1/completions`, `llm/v1/embeddings`, `llama2/chat`, `agent/v1/chat`,
   * `agent/v2/chat`, `agent/v1/responses`, or undefined for a custom MLflow pyfunc model.
   */
  task?: string;
  /** `FOUNDATION_MODEL_API` / `EXTERNAL_MODEL` select the strict OpenAI-like request parser. */
  endpointType?: string;
  /** Defaults to `hashing-embedder` for `llm/v1/embeddings`, `ngram` otherwise. */
  backend?: BackendSpec;
  /** Default `READY`; `NOT_READY` endpoints answer invocations with 503. */
  state?: EndpointReadyState;
  /**
   * Request body limit in bytes. Default 16 MiB, or 4 MiB for foundation-model, external-model and
   * agent endpoints (the documented serving limits).
   */
  maxRequestBytes?: number;
  /** Model family of an `llm/v1/chat` endpoint (reasoning shapes and quirks); default none. */
  family?: ModelFamily;
  /**
   * `model` in the answers of a `claude` endpoint: real ones report the upstream provider id
   * (`us.anthropic.claude-…-v1:0`), not the endpoint name. Default: the endpoint name.
   */
  providerModel?: string;
  /** Q3 switch; default `grammar` for `claude` (the latest report), `ignore` otherwise. */
  strictMode?: StrictMode;
  /** `claude` with `thinking`: add a redacted-thinking part (`summary_encrypted_text`). */
  redactedThinking?: boolean;
  /**
   * `claude`: a reasoning part sent back without its `signature` is accepted (`accept`, default:
   * the real behaviour is unknown, §10.4) or refused with 400 (`reject`).
   */
  unsignedReasoning?: "accept" | "reject";
  /**
   * Q18, `claude` endpoints: whether `prompt_tokens` includes the cached tokens reported in
   * `cache_read_input_tokens` / `cache_creation_input_tokens` (§10.1, disputed). Default true, as
   * the one live capture shows; false makes them exclusive, as databricks-langchain assumes.
   */
  cacheTokensInPrompt?: boolean;
  /**
   * Q15: a Responses-only model (`databricks-gpt-5-*-codex*`). Chat completions (invocations and
   * `/serving-endpoints/chat/completions`) answer 400 "Model <name> only supports the Responses
   * API. …". Default false.
   */
  responsesOnly?: boolean;
  /**
   * Q5 switch for `stream_options` on chat and completions: `reject` answers
   * `400 json: unknown field "stream_options"`, `ignore` accepts it and adds nothing. Unset keeps
   * the earlier behaviour: `include_usage: true` adds an OpenAI-style trailing usage chunk.
   */
  streamOptions?: "reject" | "ignore";
  /**
   * §3.5: Responses streams of model (`gpt`) endpoints issue ids longer than 64 characters
   * (~192, prefix kept: `resp_01c6…`, `rs_01c6…`, `msg_01c6…`, `fc_01c6…`) for the response and
   * its output items, which a client must cut before echoing them, and on the part-level events
   * (`content_part.*`, `output_text.*`), whose `item_id` then differs from the `output_item.*` id
   * (§3.4 rule 4). Default false.
   */
  longStreamingIds?: boolean;
  /** §3.4: Responses streams also send an `event: <type>` line before each `data:` line. */
  responsesEventLines?: boolean;
  /**
   * ResponsesAgent: the agent runs `agentCycles - 1` server-side tool calls before its answer, and
   * the stream wraps each step in a `response.created … response.completed` cycle with a bare
   * `function_call_output` frame between cycles (an OpenAI-Agents-SDK agent). The calls and
   * outputs come back as pairs, for the caller not to run. Unset: one MLflow-style step.
   */
  agentCycles?: number;
  /**
   * ResponsesAgent streams always end with a typeless `{"trace_id": "tr-…"}` frame (MLflow
   * AgentServer). Without it the frame comes only when the request has
   * `x-mlflow-return-trace-id: true` (§5.2).
   */
  traceIdFrame?: boolean;
  /**
   * ChatAgent: the agent runs one server-side tool itself, and answers an assistant message with
   * `tool_calls`, the `role: "tool"` result, then the final assistant message. Default false.
   */
  executedTools?: boolean;
}

/** The frame an `errorMidStream` fault sends (modern-serving.md §3.4 rule 6 for the last two). */
export type StreamErrorShape = "databricks" | "openai" | "responses" | "agent-server";

/** A cluster driver-proxy app reachable at `/driver-proxy-api/o/{org}/{clusterId}/{port}`. */
export interface DriverAppConfig {
  clusterId: string;
  port: number | string;
  /** Where requests are forwarded: a base URL such as `http://127.0.0.1:7777`, or a local port. */
  target: string | number;
}

/** An OAuth machine-to-machine client accepted by `POST /oidc/v1/token`. */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
}

/**
 * Failure injection for one endpoint (or driver app, keyed `clusterId:port`, or the OAuth token
 * endpoint, keyed `"oidc/v1/token"`, which takes only the faults applied before an answer:
 * `latencyMs`, `failNext`, `rateLimitPerSecond`, `failRate`, `dropConnection`; the others are
 * refused there). Count-based faults are consumed as requests arrive, so
 * `failNext: {count: 2, ...}` fails exactly two requests.
 */
export interface FaultSpec {
  /** Added before answering (after the body has been read). */
  latencyMs?: number;
  /** Answer the next `count` requests with `status` (429 → REQUEST_LIMIT_EXCEEDED, 503 → ...). */
  failNext?: {
    count: number;
    status: number;
    /** Sent as an integer `Retry-After` header; omitted → no header. */
    retryAfterSeconds?: number;
    /** Raw body to send instead of the standard `{"error_code","message"}` JSON. */
    body?: string;
  };
  /** Requests beyond this many per second (sliding 1 s window) get 429 REQUEST_LIMIT_EXCEEDED. */
  rateLimitPerSecond?: number;
  /**
   * Answer a random share of requests with `status`: each request fails with probability `ratio`
   * (0–1), drawn from a PRNG seeded with `seed` (default 1), so a run is reproducible. Models a
   * steady rate-limit storm (`{status: 429, ratio: 0.1}`) rather than `failNext`'s fixed burst.
   * A list of statuses (`[429, 503]`) gives each failure one of them, drawn from the same PRNG:
   * one endpoint that both throttles and is briefly unavailable, as under real load.
   */
  failRate?: {
    status: number | readonly number[];
    ratio: number;
    /** Sent as an integer `Retry-After` header; omitted → no header. */
    retryAfterSeconds?: number;
    seed?: number;
  };
  /** Destroy the socket without answering (`true` = every request). */
  dropConnection?: boolean | { count: number };
  /** Answer 200 with a truncated JSON body (`true` = every request). */
  malformedJson?: boolean | { count: number };
  /**
   * Non-stream answers (JSON answers and driver-app answers): send the status, the headers (with
   * the full `Content-Length`) and the first N bytes of the body, then destroy the socket: a
   * connection reset in the middle of the body, after the client has seen a 200. At least one byte
   * is always withheld, so N at or beyond the body's length still cuts it; only an empty body
   * arrives whole before the reset. A number cuts every answer; `{bytes, count}` only the next
   * `count`.
   */
  cutBodyAfterBytes?: number | { bytes: number; count: number };
  /** Streams: destroy the socket after N `data:` frames, without `[DONE]`. */
  cutStreamAfterChunks?: number;
  /**
   * Streams: after N frames send an error frame in the given shape and end without `[DONE]`:
   * `databricks` `{"error_code","message"}`, `openai` `{"error":{…}}`, `responses` a Responses
   * `{"type":"error","code","message","sequence_number"}` event; `agent-server` is the MLflow
   * AgentServer's typeless `{"error":"<text>"}`, which is followed by `data: [DONE]`.
   */
  errorMidStream?: { afterChunks: number; shape: StreamErrorShape };
  /**
   * Streams: after N `data:` frames, send nothing for `ms` milliseconds with the connection open,
   * then the rest of the stream: a model or proxy that goes silent mid-answer. The pause ends
   * early, with nothing more sent, if the client closes the connection.
   */
  stallStreamAfterChunks?: { afterChunks: number; ms: number };
}

/**
 * Options of {@link startEmulator}. Every field is optional, and each field left out gets the
 * default documented on it (PAT only, no OAuth client, no endpoints, no driver apps). These
 * per-field defaults apply to an explicit options object; `startEmulator()` called with no
 * argument starts `defaultEmulatorOptions()` instead (the demo workspace: PAT, OAuth client and
 * the demo endpoints).
 */
export interface EmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (default) picks an ephemeral port. */
  port?: number;
  /** Accepted personal access tokens; default `[DEFAULT_EMULATOR_TOKEN]`. */
  tokens?: string[];
  /** OAuth M2M clients; default none. */
  oauthClients?: OAuthClientConfig[];
  /** Lifetime of issued OAuth tokens in seconds; default 3600. */
  tokenLifetimeSeconds?: number;
  /**
   * How long a client may take to send a whole request, headers and body, in milliseconds; default
   * `DEFAULT_REQUEST_TIMEOUT_MS` (30 s). A slower client gets Node's bare `408` and the
   * connection is closed (checked every second, so the cut comes up to 1 s late). Model time
   * after the request is received does not count.
   */
  requestTimeoutMs?: number;
  /** Workspace id reported by host metadata and SCIM; default `900800700600`. */
  workspaceId?: string;
  /** Serving endpoints; default none. */
  endpoints?: EndpointConfig[];
  /** Driver-proxy apps; default none. */
  driverApps?: DriverAppConfig[];
  /** Faults keyed by endpoint name (or `clusterId:port` for driver apps). */
  faults?: Record<string, FaultSpec>;
  /** Receives one line per request (method, path without query, status, duration). No secrets. */
  log?: (line: string) => void;
}

/** Per-key request counters, useful for retry and concurrency tests. */
export interface EmulatorEndpointStats {
  /** Requests received, including those answered by a fault. */
  requests: number;
  /** Requests being processed right now. */
  inFlight: number;
  /** Highest `inFlight` seen since start (or the last reset). */
  maxInFlight: number;
}

/** A snapshot of the request counters. */
export interface EmulatorStats {
  /** All HTTP requests, on every route. */
  total: number;
  /**
   * Keyed by endpoint name (invocations and OpenAI routes), `clusterId:port` (driver proxy), or
   * `"oidc/v1/token"` (`TOKEN_ENDPOINT_FAULT_KEY`, the OAuth token endpoint `POST /oidc/v1/token`).
   */
  endpoints: Record<string, EmulatorEndpointStats>;
  /**
   * Requests per `METHOD /path` (query left out), counted on arrival whatever the answer: unlike
   * `endpoints`, this includes requests refused before they reach an endpoint (a revoked token's
   * 401/403, a 404), so retry tests can count attempts that never got past authentication.
   * At most 1,000 distinct `METHOD /path` keys are kept, plus `"other"` (paths are chosen by clients, and a long-running emulator
   * must not grow without bound); requests to paths first seen after that are counted under
   * `"other"`. `resetStats()` empties the table.
   */
  paths: Record<string, number>;
}

/** A running emulator. */
export interface EmulatorHandle {
  /** Base URL, e.g. `http://127.0.0.1:54321`. Use it as the Databricks host. */
  readonly url: string;
  readonly port: number;
  /** The first accepted PAT. */
  readonly token: string;
  readonly workspaceId: string;
  /** Total HTTP requests received so far. */
  readonly requests: number;
  /** Counter snapshot. */
  stats(): EmulatorStats;
  /** Zero every counter. */
  resetStats(): void;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
  /** Replace the fault of one endpoint (or `clusterId:port`). */
  setFault(key: string, fault: FaultSpec): void;
  /** Remove the faults of one key, or of every key. */
  clearFaults(key?: string): void;
  /** Add or replace an endpoint. */
  addEndpoint(endpoint: EndpointConfig): void;
  /** Remove an endpoint; returns whether it existed. */
  removeEndpoint(name: string): boolean;
  /** Flip an endpoint between READY and NOT_READY. */
  setEndpointState(name: string, state: EndpointReadyState): void;
  /** Add or replace a driver-proxy app. */
  addDriverApp(app: DriverAppConfig): void;
  /**
   * Revoke one credential, a PAT or an issued OAuth token: from now on a request carrying it is
   * refused with `status`, in the workspace's shape for it (403 `{"error_code":403,"message":
   * "Invalid access token."}`, the default, or 401 `{"error_code":401,"message":"Credential was
   * not sent … [ReqId: …]"}`). An OAuth client can still get a new token.
   */
  revokeToken(token: string, options?: { status?: 401 | 403 }): void;
  /** {@link EmulatorHandle.revokeToken} for every OAuth token issued so far (tests do not see them). */
  revokeOAuthTokens(options?: { status?: 401 | 403 }): void;
  /**
   * Make every OAuth token issued so far expire now, as if an hour had passed: the next request
   * with one gets `403 Invalid access token.` while the client may still believe it valid.
   */
  expireOAuthTokens(): void;
}

/** A chat message as the backends see it (content flattened to text). */
export interface BackendMessage {
  role: string;
  content: string;
  /** Tool calls of an earlier assistant turn, as sent by the client. */
  toolCalls?: BackendToolCall[];
  /** For `role: "tool"` messages. */
  toolCallId?: string;
}

/** A tool the model may call (OpenAI `tools[].function`). */
export interface BackendTool {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters?: JsonObject;
}

/** A tool call produced by a backend. `arguments` may be an object; it is serialised to JSON. */
export interface BackendToolCall {
  id?: string;
  name: string;
  arguments: string | JsonObject;
}

/** What a backend is asked to do. */
export interface BackendRequest {
  kind: "chat" | "completion" | "embedding";
  /** Endpoint name. */
  endpoint: string;
  /** Completion prompt, or the last user message for chat, or the inputs joined for embeddings. */
  prompt: string;
  /** Chat messages (empty for other kinds). */
  messages: BackendMessage[];
  /** Embedding inputs (empty for other kinds). */
  input: string[];
  /** Limit in emulator tokens (a word or a punctuation mark). */
  maxTokens?: number;
  temperature?: number;
  /** Number of choices wanted (≥ 1). */
  n: number;
  /** Stop sequences (the answer is cut before the first one). */
  stop: string[];
  /** Request-level seed (`seed` field), if any. */
  seed?: number;
  tools: BackendTool[];
  /** `auto`, `none`, `required` or a named function. Undefined when no tools are given. */
  toolChoice?: "auto" | "none" | "required" | { name: string };
  /** Structured output request. */
  responseFormat?:
    { type: "json_object" } | { type: "json_schema"; name?: string; schema: JsonObject };
  /** Embedding size asked for by the OpenAI `dimensions` field. */
  dimensions?: number;
  /** The request body as received. */
  body: JsonObject;
}

/** One generated choice. */
export interface BackendChoice {
  text?: string;
  toolCalls?: BackendToolCall[];
  /** Defaults to `tool_calls` when tool calls are present, `stop` otherwise. */
  finishReason?: string;
}

/** Structured backend output. */
export interface BackendOutput {
  choices?: BackendChoice[];
  /** Shorthand for a single text choice. */
  text?: string;
  /** For embedding requests: one vector per input. */
  embeddings?: number[][];
  /** Overrides of the computed token counts. */
  usage?: { promptTokens?: number; completionTokens?: number };
}

/** What a `function` backend may return: a text, one text per choice, or a structured output. */
export type BackendResult = string | string[] | BackendOutput;
