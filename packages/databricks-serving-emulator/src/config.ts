import { isRecord } from "./json.js";
import { EmulatorConfigError } from "./errors.js";
import { readFileSync } from "node:fs";
import { driverAppKey, driverAppTarget } from "./driver_proxy.js";
import type {
  BackendSpec,
  DriverAppConfig,
  EmulatorOptions,
  EndpointConfig,
  FaultSpec,
  ModelFamily,
  StrictMode,
} from "./types.js";

/**
 * A dummy personal access token accepted by default. It is not a secret: it only opens the local
 * emulator, which binds to 127.0.0.1 unless told otherwise.
 */
export const DEFAULT_EMULATOR_TOKEN = "dapi-emulator-0000000000000000";

/** The OAuth M2M client of {@link defaultEmulatorOptions} (documented dummy credentials). */
export const DEFAULT_OAUTH_CLIENT = {
  clientId: "emulator-client",
  clientSecret: "emulator-secret-0000000000000000",
} as const;

/** Workspace id reported by default (the value Databricks' own CLI test server uses). */
export const DEFAULT_WORKSPACE_ID = "900800700600";

/** How long a client may take to send a whole request by default (`requestTimeoutMs`): 30 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The demo workspace: the endpoints the docs notebook uses, plus one per LLM task.
 *
 * - `dolly`: custom MLflow pyfunc model (no task) answering `{"predictions": [...]}` with the
 *   `ngram` backend, like the notebook's Dolly endpoint.
 * - `databricks-llama`: `llm/v1/chat`, `FOUNDATION_MODEL_API`, ngram (tools, JSON, streaming).
 * - `databricks-completions`: `llm/v1/completions`, `FOUNDATION_MODEL_API`, ngram.
 * - `databricks-embeddings`: `llm/v1/embeddings`, `FOUNDATION_MODEL_API`, hashing embedder.
 * - `databricks-claude-sonnet-4-5`: `llm/v1/chat`, family `claude` (reasoning with `thinking`,
 *   Claude quirks), ngram.
 * - `databricks-gpt-oss-120b`: `llm/v1/chat`, family `gpt-oss` (always reasons), ngram.
 * - `databricks-gpt-5`: `llm/v1/chat`, family `gpt`, ngram: chat completions (`reasoning_effort`
 *   minimal/low/medium/high, reasoning tokens in usage) and the Responses API (`reasoning.effort`,
 *   a reasoning item before the answer).
 * - `databricks-gpt-5-codex`: family `gpt`, Responses only (`responsesOnly`: chat answers Q15).
 * - `responses-agent`: `agent/v1/responses` (MLflow ResponsesAgent), ngram; invocations and
 *   `/serving-endpoints/responses`, streaming, client tools come back as `function_call` items.
 * - `chat-agent`: `agent/v2/chat` (MLflow ChatAgent), ngram.
 * - OAuth client {@link DEFAULT_OAUTH_CLIENT}, PAT {@link DEFAULT_EMULATOR_TOKEN}.
 */
export function defaultEmulatorOptions(): EmulatorOptions {
  return {
    host: "127.0.0.1",
    port: 0,
    tokens: [DEFAULT_EMULATOR_TOKEN],
    oauthClients: [{ ...DEFAULT_OAUTH_CLIENT }],
    tokenLifetimeSeconds: 3600,
    workspaceId: DEFAULT_WORKSPACE_ID,
    endpoints: [
      { name: "dolly", backend: { type: "ngram" } },
      {
        name: "databricks-llama",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
      },
      {
        name: "databricks-completions",
        task: "llm/v1/completions",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
      },
      {
        name: "databricks-embeddings",
        task: "llm/v1/embeddings",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "hashing-embedder" },
      },
      {
        name: "databricks-claude-sonnet-4-5",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
        family: "claude",
        // Bedrock's id for Claude Sonnet 4.5, in the `us.` inference-profile form of the capture.
        providerModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      },
      {
        name: "databricks-gpt-oss-120b",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
        family: "gpt-oss",
      },
      {
        name: "databricks-gpt-5",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
        family: "gpt",
      },
      {
        name: "databricks-gpt-5-codex",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
        family: "gpt",
        responsesOnly: true,
      },
      { name: "responses-agent", task: "agent/v1/responses", backend: { type: "ngram" } },
      { name: "chat-agent", task: "agent/v2/chat", backend: { type: "ngram" } },
    ],
    driverApps: [],
    faults: {},
  };
}

function fail(path: string, where: string, message: string): never {
  throw new EmulatorConfigError(`Invalid emulator config ${path}: ${where}: ${message}`);
}

const FAMILIES: readonly ModelFamily[] = ["claude", "gpt-oss", "gpt"];
const STRICT_MODES: readonly StrictMode[] = ["reject", "grammar", "ignore"];

/** The family fields of one endpoint (`family`, `providerModel`, and the quirk switches). */
function checkFamilyFields(
  path: string,
  where: string,
  e: Record<string, unknown>,
  endpoint: EndpointConfig,
): void {
  const { family, providerModel, strictMode, redactedThinking, unsignedReasoning } = e;
  if (family !== undefined) {
    if (!FAMILIES.includes(family as ModelFamily))
      fail(path, `${where}.family`, `must be one of ${FAMILIES.join(", ")}`);
    endpoint.family = family as ModelFamily;
  }
  if (providerModel !== undefined) {
    if (typeof providerModel !== "string" || providerModel === "")
      fail(path, `${where}.providerModel`, "must be a non-empty string");
    endpoint.providerModel = providerModel;
  }
  if (strictMode !== undefined) {
    if (!STRICT_MODES.includes(strictMode as StrictMode))
      fail(path, `${where}.strictMode`, `must be one of ${STRICT_MODES.join(", ")}`);
    endpoint.strictMode = strictMode as StrictMode;
  }
  if (redactedThinking !== undefined) {
    if (typeof redactedThinking !== "boolean")
      fail(path, `${where}.redactedThinking`, "must be a boolean");
    endpoint.redactedThinking = redactedThinking;
  }
  if (unsignedReasoning !== undefined) {
    if (unsignedReasoning !== "accept" && unsignedReasoning !== "reject")
      fail(path, `${where}.unsignedReasoning`, "must be accept or reject");
    endpoint.unsignedReasoning = unsignedReasoning;
  }
}

/** The boolean behaviour switches of an endpoint (Responses, agents, Q15). */
const BOOLEAN_SWITCHES = [
  "responsesOnly",
  "longStreamingIds",
  "responsesEventLines",
  "traceIdFrame",
  "executedTools",
  "cacheTokensInPrompt",
] as const;

/** The protocol switches of one endpoint (`streamOptions`, `agentCycles` and the booleans). */
function checkSwitches(
  path: string,
  where: string,
  e: Record<string, unknown>,
  endpoint: EndpointConfig,
): void {
  for (const key of BOOLEAN_SWITCHES) {
    const value = e[key];
    if (value === undefined) continue;
    if (typeof value !== "boolean") fail(path, `${where}.${key}`, "must be a boolean");
    endpoint[key] = value;
  }
  const { streamOptions, agentCycles } = e;
  if (streamOptions !== undefined) {
    if (streamOptions !== "reject" && streamOptions !== "ignore")
      fail(path, `${where}.streamOptions`, "must be reject or ignore");
    endpoint.streamOptions = streamOptions;
  }
  if (agentCycles !== undefined) {
    if (typeof agentCycles !== "number" || !Number.isInteger(agentCycles) || agentCycles < 1)
      fail(path, `${where}.agentCycles`, "must be a positive integer");
    endpoint.agentCycles = agentCycles;
  }
}

function checkBackend(path: string, where: string, value: unknown): BackendSpec {
  if (!isRecord(value)) fail(path, where, "must be an object with a `type`");
  switch (value["type"]) {
    case "ngram":
    case "hashing-embedder":
    case "echo":
      return value as BackendSpec;
    case "scripted":
      if (!Array.isArray(value["answers"]) && !isRecord(value["answers"])) {
        fail(path, where, "scripted backends need `answers` (a list or an object)");
      }
      return value as BackendSpec;
    case "openai-upstream":
      if (typeof value["baseUrl"] !== "string")
        fail(path, where, "openai-upstream needs `baseUrl`");
      if (
        value["timeoutMs"] !== undefined &&
        (typeof value["timeoutMs"] !== "number" ||
          !Number.isFinite(value["timeoutMs"]) ||
          value["timeoutMs"] <= 0)
      ) {
        fail(path, where, "openai-upstream `timeoutMs` must be a positive number");
      }
      return value as BackendSpec;
    case "function":
      return fail(path, where, "`function` backends cannot be configured from JSON");
    default:
      return fail(path, where, `unknown backend type ${JSON.stringify(value["type"])}`);
  }
}

/**
 * Read an emulator config file: JSON with the {@link EmulatorOptions} shape (except `log` and
 * `function` backends). Missing fields keep the {@link startEmulator} defaults. With
 * `"extends": "defaults"` the file is merged over {@link defaultEmulatorOptions} by
 * {@link mergeEmulatorOptions}: the default endpoints, tokens and OAuth clients stay, and the
 * file adds to them or overrides them.
 */
export function loadEmulatorConfig(path: string): EmulatorOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new EmulatorConfigError(
      `Cannot read emulator config ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!isRecord(parsed)) fail(path, "root", "must be a JSON object");
  const options: EmulatorOptions = {};
  const c = parsed;
  const base = c["extends"];
  if (base !== undefined && base !== "defaults") {
    fail(
      path,
      "extends",
      `must be "defaults" (the only base there is), got ${JSON.stringify(base)}`,
    );
  }
  if (c["host"] !== undefined) {
    if (typeof c["host"] !== "string") fail(path, "host", "must be a string");
    options.host = c["host"];
  }
  if (c["port"] !== undefined) {
    if (typeof c["port"] !== "number" || !Number.isInteger(c["port"]))
      fail(path, "port", "must be an integer");
    options.port = c["port"];
  }
  if (c["tokens"] !== undefined) {
    if (
      !Array.isArray(c["tokens"]) ||
      !c["tokens"].every((t) => typeof t === "string" && t !== "")
    ) {
      fail(path, "tokens", "must be a list of non-empty strings");
    }
    options.tokens = c["tokens"] as string[];
  }
  if (c["oauthClients"] !== undefined) {
    const clients = c["oauthClients"];
    if (
      !Array.isArray(clients) ||
      !clients.every(
        (x) =>
          isRecord(x) && typeof x["clientId"] === "string" && typeof x["clientSecret"] === "string",
      )
    ) {
      fail(path, "oauthClients", "must be a list of {clientId, clientSecret}");
    }
    options.oauthClients = clients as { clientId: string; clientSecret: string }[];
  }
  if (c["tokenLifetimeSeconds"] !== undefined) {
    if (typeof c["tokenLifetimeSeconds"] !== "number" || c["tokenLifetimeSeconds"] <= 0) {
      fail(path, "tokenLifetimeSeconds", "must be a positive number");
    }
    options.tokenLifetimeSeconds = c["tokenLifetimeSeconds"];
  }
  if (c["requestTimeoutMs"] !== undefined) {
    const timeout = c["requestTimeoutMs"];
    if (typeof timeout !== "number" || !Number.isSafeInteger(timeout) || timeout <= 0) {
      fail(path, "requestTimeoutMs", "must be a positive integer (milliseconds)");
    }
    options.requestTimeoutMs = timeout;
  }
  if (c["workspaceId"] !== undefined) options.workspaceId = String(c["workspaceId"]);
  if (c["endpoints"] !== undefined) {
    if (!Array.isArray(c["endpoints"])) fail(path, "endpoints", "must be a list");
    options.endpoints = c["endpoints"].map((e: unknown, i: number): EndpointConfig => {
      const where = `endpoints[${i}]`;
      if (!isRecord(e) || typeof e["name"] !== "string" || e["name"] === "")
        fail(path, where, "needs a `name`");
      const endpoint: EndpointConfig = { name: e["name"] };
      if (typeof e["task"] === "string") endpoint.task = e["task"];
      if (typeof e["endpointType"] === "string") endpoint.endpointType = e["endpointType"];
      if (e["state"] === "READY" || e["state"] === "NOT_READY") endpoint.state = e["state"];
      if (typeof e["maxRequestBytes"] === "number") endpoint.maxRequestBytes = e["maxRequestBytes"];
      if (e["backend"] !== undefined)
        endpoint.backend = checkBackend(path, `${where}.backend`, e["backend"]);
      checkFamilyFields(path, where, e, endpoint);
      checkSwitches(path, where, e, endpoint);
      return endpoint;
    });
  }
  if (c["driverApps"] !== undefined) {
    const apps = c["driverApps"];
    if (
      !Array.isArray(apps) ||
      !apps.every(
        (a) =>
          isRecord(a) &&
          typeof a["clusterId"] === "string" &&
          a["port"] !== undefined &&
          a["target"] !== undefined,
      )
    ) {
      fail(path, "driverApps", "must be a list of {clusterId, port, target}");
    }
    options.driverApps = apps as {
      clusterId: string;
      port: number | string;
      target: string | number;
    }[];
  }
  if (c["faults"] !== undefined) {
    if (!isRecord(c["faults"])) fail(path, "faults", "must be an object keyed by endpoint name");
    options.faults = c["faults"] as Record<string, FaultSpec>;
  }
  return base === "defaults" ? mergeEmulatorOptions(defaultEmulatorOptions(), options) : options;
}

/**
 * `own` merged over `base` (what `"extends": "defaults"` and the bin's `--driver-app` do):
 * - settings (`host`, `port`, `tokenLifetimeSeconds`, `workspaceId`, …) given in `own` replace the
 *   base's;
 * - `tokens` are added to the base's (duplicates dropped);
 * - `oauthClients`, `endpoints` and `driverApps` are added, and an entry with the same key
 *   (`clientId`; `name`; `clusterId` and `port`) replaces the base's in place, so the list order is
 *   kept;
 * - `faults` are merged by endpoint name, `own`'s spec replacing the base's for the same name.
 */
export function mergeEmulatorOptions(base: EmulatorOptions, own: EmulatorOptions): EmulatorOptions {
  const merged: EmulatorOptions = { ...base, ...own };
  if (base.tokens || own.tokens) {
    merged.tokens = [...new Set([...(base.tokens ?? []), ...(own.tokens ?? [])])];
  }
  const oauthClients = mergeByKey(base.oauthClients, own.oauthClients, (c) => c.clientId);
  if (oauthClients) merged.oauthClients = oauthClients;
  const endpoints = mergeByKey(base.endpoints, own.endpoints, (e) => e.name);
  if (endpoints) merged.endpoints = endpoints;
  const driverApps = mergeByKey(base.driverApps, own.driverApps, (a) =>
    driverAppKey(a.clusterId, String(a.port)),
  );
  if (driverApps) merged.driverApps = driverApps;
  if (base.faults || own.faults) merged.faults = { ...base.faults, ...own.faults };
  return merged;
}

/** `base` with each `own` entry replacing the one with its key in place, or appended. */
function mergeByKey<T>(
  base: readonly T[] | undefined,
  own: readonly T[] | undefined,
  key: (entry: T) => string,
): T[] | undefined {
  if (!base || !own) return own ? [...own] : base && [...base];
  const replacements = new Map(own.map((entry) => [key(entry), entry]));
  const kept = base.map((entry) => replacements.get(key(entry)) ?? entry);
  const baseKeys = new Set(base.map(key));
  return [...kept, ...own.filter((entry) => !baseKeys.has(key(entry)))];
}

/**
 * A driver app from the bin's `--driver-app CLUSTER:PORT=URL` (`URL` may also be a bare local
 * port), e.g. `0000-000000-xxxxxxxx:7777=http://127.0.0.1:7777`. Cluster ids have no `:`, so the
 * last `:` before the `=` separates the port.
 */
export function parseDriverAppSpec(spec: string): DriverAppConfig {
  const problem = (why: string): never => {
    throw new EmulatorConfigError(
      `Invalid --driver-app '${spec}': ${why}. Use CLUSTER:PORT=URL, e.g. 0000-000000-xxxxxxxx:7777=http://127.0.0.1:7777.`,
    );
  };
  const equals = spec.indexOf("=");
  if (equals < 0) problem("no '=' before the app's URL");
  const left = spec.slice(0, equals);
  const target = spec.slice(equals + 1).trim();
  const colon = left.lastIndexOf(":");
  if (colon < 0) problem("no ':' between the cluster id and the port");
  const clusterId = left.slice(0, colon).trim();
  const portText = left.slice(colon + 1).trim();
  if (clusterId === "") problem("the cluster id is empty");
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    problem(`the port '${portText}' is not an integer from 1 to 65535`);
  if (target === "") problem("the URL is empty");
  const app: DriverAppConfig = { clusterId, port, target };
  try {
    const url = driverAppTarget(app);
    if (url.protocol !== "http:" && url.protocol !== "https:") problem("the URL must be http(s)");
  } catch (error) {
    if (error instanceof EmulatorConfigError) throw error;
    problem(`'${target}' is not a URL (nor a local port)`);
  }
  return app;
}
