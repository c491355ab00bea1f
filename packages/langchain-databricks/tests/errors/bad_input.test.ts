/**
 * Bad input, client side (issue 10): every invalid configuration and call argument of
 * `Databricks`, `ChatDatabricks` and `DatabricksEmbeddings`, one table row each, plus the answers a
 * caller's settings cannot read. Each row names the error class, what the message must say (what to
 * change), and exactly which requests the loopback server may have received: none for a bad
 * option, the metadata request alone where the endpoint's kind decides (the 4 MB limit), the
 * request itself only for rows about its answer.
 *
 * The Python reference's own messages (V1–V6) are pinned in tests/llm/validation.test.ts; the rows
 * here check the part of those messages that says what to do instead. docs/RELIABILITY.md, "Bad
 * input", summarises this table.
 */
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatDatabricks, type ChatDatabricksInput } from "../../src/chat_models.js";
import { DatabricksEmbeddings, type DatabricksEmbeddingsInput } from "../../src/embeddings.js";
import {
  DatabricksAPIError,
  DatabricksConfigError,
  DatabricksResponseError,
} from "../../src/errors.js";
import { Databricks, type DatabricksInput } from "../../src/llms.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";

const TOKEN = "dapi-bad-input-0123456789";
const MIB = 1024 * 1024;

/**
 * The endpoints the loopback workspace knows, by name: metadata as the emulator's
 * `describeEndpoint` shapes it (`endpoint_type` for foundation models, a served entity's
 * `external_model`, an agent task), and what each answers.
 */
const METADATA: Record<string, Record<string, unknown>> = {
  custom: { name: "custom", config: { served_entities: [{ entity_name: "models.custom" }] } },
  "fm-completions": {
    name: "fm-completions",
    task: "llm/v1/completions",
    endpoint_type: "FOUNDATION_MODEL_API",
    config: { served_entities: [{ foundation_model: { name: "fm" } }] },
  },
  external: {
    name: "external",
    task: "llm/v1/chat",
    config: { served_entities: [{ external_model: { name: "gpt", provider: "openai" } }] },
  },
  agent: { name: "agent", task: "agent/v2/chat", config: { served_entities: [{}] } },
};

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopback((request, res) => {
    const name = /^\/api\/2\.0\/serving-endpoints\/([^/?]+)$/.exec(request.url)?.[1];
    if (name !== undefined) {
      const metadata = METADATA[name];
      if (metadata) sendJson(res, 200, metadata);
      else sendJson(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: name });
      return;
    }
    const body = request.json as Record<string, unknown> | undefined;
    if (body && Array.isArray(body["messages"])) {
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: "assistant", content: "hi" } }],
      });
    } else if (body && "input" in body) {
      sendJson(res, 200, { data: [{ index: 0, embedding: [1, 0] }] });
    } else {
      // A custom model whose answer is not text: `transformOutputFn` must read it.
      sendJson(res, 200, { predictions: [{ x: 1 }] });
    }
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const connection = () => ({ host: server.url, token: TOKEN, retryBaseDelayMs: 1, maxRetries: 0 });

// Invalid values are what these rows are about, so the option objects are loosely typed.
type Loose<T> = { [K in keyof T]?: unknown } & Record<string, unknown>;
const llm = (fields: Loose<DatabricksInput> = {}) =>
  new Databricks({ ...connection(), endpoint: "custom", ...fields } as DatabricksInput);
const chat = (fields: Loose<ChatDatabricksInput> = {}) =>
  new ChatDatabricks({ ...connection(), endpoint: "chat", ...fields } as ChatDatabricksInput);
const embeddings = (fields: Loose<DatabricksEmbeddingsInput> = {}) =>
  new DatabricksEmbeddings({
    ...connection(),
    endpoint: "embed",
    ...fields,
  } as DatabricksEmbeddingsInput);

/** Consume a stream, so a failure inside it rejects. */
async function drain(stream: Promise<AsyncIterable<unknown>>): Promise<void> {
  for await (const _ of await stream) void _;
}

type ErrorClass = typeof DatabricksConfigError | typeof DatabricksResponseError;

interface BadInputRow {
  name: string;
  /** Build the model and, for call rows, make the call. */
  run: () => unknown;
  error: ErrorClass;
  /** What the message must say: the value or option at fault, and what to change. */
  message: RegExp;
  /** `METHOD path` of every request the server may see; none unless the row says otherwise. */
  requests?: string[];
  /** The error's `cause`, for rows that wrap the caller's own error. */
  cause?: RegExp;
}

const METADATA_OF = (name: string) => `GET /api/2.0/serving-endpoints/${name}`;
const INVOCATIONS_OF = (name: string) => `POST /serving-endpoints/${name}/invocations`;

/** The constructor of each class, with the options a row adds. */
const BUILDERS = {
  Databricks: llm,
  ChatDatabricks: chat,
  DatabricksEmbeddings: embeddings,
} as const;
type ClassName = keyof typeof BUILDERS;

/** One constructor row per class in `classes` for an option they share. */
function constructorRows(
  classes: readonly ClassName[],
  name: string,
  fields: Record<string, unknown>,
  message: RegExp,
): BadInputRow[] {
  return classes.map((className) => ({
    name: `${className}: ${name}`,
    run: () => BUILDERS[className](fields),
    error: DatabricksConfigError,
    message,
  }));
}

/** A connection option every class shares. */
const everyClass = (name: string, fields: Record<string, unknown>, message: RegExp) =>
  constructorRows(["Databricks", "ChatDatabricks", "DatabricksEmbeddings"], name, fields, message);
/** A generation option both language models share. */
const bothLanguageModels = (name: string, fields: Record<string, unknown>, message: RegExp) =>
  constructorRows(["Databricks", "ChatDatabricks"], name, fields, message);

const CONNECTION_ROWS: BadInputRow[] = [
  ...everyClass(
    "host with a space",
    { host: "my host.com" },
    /Invalid host "my host\.com": it is not a URL or host name\. Use the workspace URL/,
  ),
  ...everyClass(
    "host with an ftp:// scheme",
    { host: "ftp://x.cloud.databricks.com" },
    /the scheme must be https:\/\/ \(or http:\/\/ for a local emulator\), not ftp:/,
  ),
  ...everyClass(
    "host with credentials in the URL",
    { host: "https://user:pw@x.cloud.databricks.com" },
    /must not contain user credentials .* Pass credentials with `token`/,
  ),
  ...everyClass(
    "host with a port that is not a number",
    { host: "https://x.cloud.databricks.com:abc" },
    /Invalid host .*: it is not a URL or host name/,
  ),
  ...everyClass(
    "empty host",
    { host: "" },
    /host was not set .* Set the `host` option or DATABRICKS_HOST/,
  ),
  ...everyClass(
    "plain http:// to a host that is not loopback",
    { host: "http://example.com" },
    /Refusing plain http .* Use https:\/\/, or set `allowInsecureHttp: true`/,
  ),
  ...everyClass(
    "timeout NaN",
    { timeout: Number.NaN },
    /Invalid timeout: NaN\. Use a positive number of milliseconds/,
  ),
  ...everyClass("timeout 0", { timeout: 0 }, /Invalid timeout: 0\. Use a positive number/),
  ...everyClass("timeout -1", { timeout: -1 }, /Invalid timeout: -1\. Use a positive number/),
  ...everyClass(
    "timeout as a string",
    { timeout: "5000" },
    /Invalid timeout: 5000\. Use a positive number of milliseconds/,
  ),
  ...everyClass(
    "timeout beyond a timer's range (would fire after 1 ms)",
    { timeout: 3e9 },
    /Invalid timeout: 3000000000\. Use a finite number of milliseconds, at most 2147483647 .*LangChain's `timeout` call option/,
  ),
  ...everyClass(
    "timeout Infinity (undici's own 300 s timeouts would still cut the call)",
    { timeout: Infinity },
    /Invalid timeout: Infinity\. Use a finite number of milliseconds, at most 2147483647 .*for a deadline on the whole call, use LangChain's `timeout` call option/,
  ),
  ...everyClass(
    "maxRetries -1",
    { maxRetries: -1 },
    /Invalid maxRetries in the options: -1\. Use an integer >= 0/,
  ),
  ...everyClass(
    "maxRetries NaN",
    { maxRetries: Number.NaN },
    /Invalid maxRetries in the options: NaN\. Use an integer >= 0/,
  ),
  ...everyClass("maxRetries 1.5", { maxRetries: 1.5 }, /Invalid maxRetries in the options: 1\.5/),
  ...everyClass(
    "maxRetries Infinity",
    { maxRetries: Infinity },
    /Invalid maxRetries in the options: Infinity/,
  ),
  ...everyClass(
    "retryBaseDelayMs NaN",
    { retryBaseDelayMs: Number.NaN },
    /Invalid retryBaseDelayMs: NaN\. Use a finite number of milliseconds >= 0/,
  ),
  ...everyClass("retryBaseDelayMs -1", { retryBaseDelayMs: -1 }, /Invalid retryBaseDelayMs: -1/),
  ...everyClass(
    "retryBaseDelayMs Infinity",
    { retryBaseDelayMs: Infinity },
    /Invalid retryBaseDelayMs: Infinity/,
  ),
  ...everyClass(
    "maxConcurrency 0",
    { maxConcurrency: 0 },
    /Invalid maxConcurrency: 0\. Use an integer >= 1 \(or leave it unset/,
  ),
  ...everyClass(
    "maxConcurrency NaN",
    { maxConcurrency: Number.NaN },
    /Invalid maxConcurrency: NaN/,
  ),
  ...everyClass(
    "endpoint that is not a string",
    { endpoint: 42 },
    /Invalid endpoint: expected a string \(the serving endpoint's name\), got number 42/,
  ),
];

const MODE_ROWS: BadInputRow[] = [
  {
    name: "Databricks: endpointName and clusterId",
    run: () => llm({ endpoint: undefined, endpointName: "e", clusterId: "0101-c" }),
    error: DatabricksConfigError,
    message:
      /Cannot set both endpoint_name and cluster_id\. Use `endpoint` for a serving endpoint or `clusterId`\/`clusterDriverPort`/,
  },
  {
    name: "Databricks: endpoint and clusterDriverPort",
    run: () => llm({ clusterDriverPort: 7777 }),
    error: DatabricksConfigError,
    message:
      /Cannot set both endpoint_name and cluster_driver_port\. Use `endpoint` .* or `clusterDriverPort`/,
  },
  {
    name: "Databricks: driver mode without a port",
    run: () => llm({ endpoint: undefined, clusterId: "0101-c" }),
    error: DatabricksConfigError,
    message: /Must set cluster_driver_port .* Set `clusterDriverPort`/,
  },
  {
    name: "Databricks: driver port without a cluster (none in the environment)",
    run: () => llm({ endpoint: undefined, clusterDriverPort: 7777 }),
    error: DatabricksConfigError,
    message: /DATABRICKS_CLUSTER_ID is not set .* Set `clusterId`/,
  },
  {
    name: "Databricks: neither an endpoint nor a driver app",
    run: () => llm({ endpoint: undefined }),
    error: DatabricksConfigError,
    message:
      /Neither endpoint_name nor cluster_id was set\. .*no `endpoint`, `clusterId` or `clusterDriverPort`/,
  },
  {
    name: "Databricks: driver mode without a host",
    run: () => new Databricks({ token: TOKEN, clusterId: "0101-c", clusterDriverPort: 7777 }),
    error: DatabricksConfigError,
    message: /host was not set .* Set the `host` option or DATABRICKS_HOST/,
  },
  ...[0, -1, 65536, "abc", 1.5].map((port): BadInputRow => ({
    name: `Databricks: clusterDriverPort ${JSON.stringify(port)}`,
    run: () => llm({ endpoint: undefined, clusterId: "0101-c", clusterDriverPort: port }),
    error: DatabricksConfigError,
    message: new RegExp(
      `Invalid cluster_driver_port: ${String(port).replace(".", "\\.")}\\. It must be an integer between 1 and 65535`,
    ),
  })),
  {
    name: "Databricks: clusterId that is not a string",
    run: () => llm({ endpoint: undefined, clusterId: 1234, clusterDriverPort: 7777 }),
    error: DatabricksConfigError,
    message: /Invalid clusterId: expected a string \(the cluster id\), got number 1234/,
  },
  {
    name: "Databricks: driverAppFormat for a serving endpoint",
    run: () => llm({ driverAppFormat: "dataframe_records" }),
    error: DatabricksConfigError,
    message: /driverAppFormat applies to driver proxy apps only \(clusterDriverPort\): remove it/,
  },
  {
    name: "ChatDatabricks: no endpoint",
    run: () => chat({ endpoint: undefined }),
    error: DatabricksConfigError,
    message: /ChatDatabricks needs `endpoint`/,
  },
  {
    name: "DatabricksEmbeddings: no endpoint",
    run: () => embeddings({ endpoint: undefined }),
    error: DatabricksConfigError,
    message: /DatabricksEmbeddings needs `endpoint`/,
  },
];

const GENERATION_ROWS: BadInputRow[] = [
  ...bothLanguageModels(
    "temperature NaN",
    { temperature: Number.NaN },
    /Invalid temperature in the (Databricks|ChatDatabricks) options: NaN\. Use a finite number >= 0/,
  ),
  ...bothLanguageModels(
    "temperature Infinity",
    { temperature: Infinity },
    /Invalid temperature in .*: Infinity\. Use a finite number >= 0/,
  ),
  ...bothLanguageModels(
    "temperature -Infinity",
    { temperature: -Infinity },
    /Invalid temperature in .*: -Infinity\. Use a finite number >= 0/,
  ),
  ...bothLanguageModels(
    "temperature -1",
    { temperature: -1 },
    /Invalid temperature in .*: -1\. Use a finite number >= 0/,
  ),
  ...bothLanguageModels(
    "temperature as a string",
    { temperature: "0.5" },
    /Invalid temperature in .*: 0\.5\. Use a finite number/,
  ),
  ...bothLanguageModels(
    "maxTokens -5",
    { maxTokens: -5 },
    /Invalid maxTokens in .*: -5\. Use an integer >= 1/,
  ),
  ...bothLanguageModels(
    "maxTokens 1.5",
    { maxTokens: 1.5 },
    /Invalid maxTokens in .*: 1\.5\. Use an integer >= 1/,
  ),
  ...bothLanguageModels(
    "maxTokens Infinity",
    { maxTokens: Infinity },
    /Invalid maxTokens in .*: Infinity/,
  ),
  ...bothLanguageModels("n 0", { n: 0 }, /Invalid n in .*: 0\. Use an integer >= 1/),
  ...bothLanguageModels("n NaN", { n: Number.NaN }, /Invalid n in .*: NaN/),
  ...bothLanguageModels("n -2", { n: -2 }, /Invalid n in .*: -2\. Use an integer >= 1/),
  ...bothLanguageModels(
    "n Infinity",
    { n: Infinity },
    /Invalid n in .*: Infinity\. Use an integer >= 1/,
  ),
  ...bothLanguageModels(
    "stop as a string",
    { stop: "\n" },
    /Invalid stop in .*: use a list of strings/,
  ),
  {
    name: "Databricks: modelKwargs with prompt",
    run: () => llm({ modelKwargs: { prompt: "x" } }),
    error: DatabricksConfigError,
    message:
      /model_kwargs must not contain key 'prompt' \(found in modelKwargs\)\. Use `transformInputFn`/,
  },
  {
    name: "Databricks: extraParams with stop",
    run: () => llm({ extraParams: { stop: ["x"] } }),
    error: DatabricksConfigError,
    message:
      /model_kwargs must not contain key 'stop' \(found in extraParams\)\. Use the `stop` option/,
  },
  ...(["messages", "input", "stream"] as const).map((key): BadInputRow => ({
    name: `ChatDatabricks: extraParams with ${key}`,
    run: () => chat({ extraParams: { [key]: [] } }),
    error: DatabricksConfigError,
    message: new RegExp(
      `extraParams must not contain \`${key}\`: pass the conversation as the messages`,
    ),
  })),
  {
    name: "Databricks: transformInputFn that is not a function",
    run: () => llm({ transformInputFn: "shape it" }),
    error: DatabricksConfigError,
    message: /Invalid transformInputFn: expected a function, got string/,
  },
  {
    name: "Databricks: transformOutputFn that is not a function",
    run: () => llm({ transformOutputFn: { text: 1 } }),
    error: DatabricksConfigError,
    message: /Invalid transformOutputFn: expected a function, got object/,
  },
];

const CHAT_ROWS: BadInputRow[] = [
  {
    name: "ChatDatabricks: unknown modelFamily",
    run: () => chat({ modelFamily: "mistral-ish" }),
    error: DatabricksConfigError,
    message: /Unknown modelFamily "mistral-ish": use one of .*unknown/,
  },
  {
    name: "ChatDatabricks: useResponsesApi with stop",
    run: () => chat({ useResponsesApi: true, stop: ["\n"] }),
    error: DatabricksConfigError,
    message: /useResponsesApi: the Responses API has no stop sequences: remove `stop`/,
  },
  {
    name: "ChatDatabricks: useResponsesApi with n 2",
    run: () => chat({ useResponsesApi: true, n: 2 }),
    error: DatabricksConfigError,
    message: /useResponsesApi: the Responses API returns one answer: remove `n`/,
  },
  {
    name: "ChatDatabricks.invoke: stop on the Responses API",
    run: () => chat({ useResponsesApi: true }).invoke("x", { stop: ["\n"] }),
    error: DatabricksConfigError,
    message: /useResponsesApi: the Responses API has no stop sequences: remove `stop`/,
  },
];

const EMBEDDINGS_ROWS: BadInputRow[] = [
  {
    name: "DatabricksEmbeddings: batchSize 0",
    run: () => embeddings({ batchSize: 0 }),
    error: DatabricksConfigError,
    message: /Invalid batchSize: 0\. Use an integer >= 1/,
  },
  {
    name: "DatabricksEmbeddings: unknown inputFormat",
    run: () => embeddings({ inputFormat: "text" }),
    error: DatabricksConfigError,
    message:
      /Invalid inputFormat: text\. Use one of "input", "inputs", "instances", "dataframe_records"/,
  },
  {
    name: "DatabricksEmbeddings: empty inputColumn",
    run: () => embeddings({ inputFormat: "dataframe_records", inputColumn: " " }),
    error: DatabricksConfigError,
    message: /Invalid inputColumn: " "\. Use the name of the model's text column/,
  },
  {
    name: "DatabricksEmbeddings: queryParams with input (would be dropped)",
    run: () => embeddings({ queryParams: { input: "other" } }),
    error: DatabricksConfigError,
    message:
      /queryParams must not contain `input`: the texts are the arguments of embedQuery\(\)\/embedDocuments\(\)/,
  },
  {
    name: "DatabricksEmbeddings: documentsParams with input",
    run: () => embeddings({ documentsParams: { input: ["other"] } }),
    error: DatabricksConfigError,
    message: /documentsParams must not contain `input`/,
  },
  {
    name: "DatabricksEmbeddings: queryParams with model on the AI Gateway (would replace the endpoint)",
    run: () => embeddings({ useAiGateway: true, queryParams: { model: "other" } }),
    error: DatabricksConfigError,
    message:
      /queryParams must not contain `model`: the gateway request names the endpoint \(`endpoint`\)/,
  },
  {
    name: "DatabricksEmbeddings: a custom-model inputFormat on the AI Gateway",
    run: () => embeddings({ useAiGateway: true, inputFormat: "inputs" }),
    error: DatabricksConfigError,
    message:
      /useAiGateway takes OpenAI-style embeddings requests only: remove inputFormat "inputs"/,
  },
];

/** Call arguments of the embeddings: refused before any request. */
const EMBEDDINGS_CALL_ROWS: BadInputRow[] = [
  {
    name: "DatabricksEmbeddings.embedDocuments: one string instead of a list",
    run: () => embeddings().embedDocuments("one text" as unknown as string[]),
    error: DatabricksConfigError,
    message:
      /embedDocuments takes a list of texts, got string: pass \[text\], or use embedQuery\(text\)/,
  },
  {
    name: "DatabricksEmbeddings.embedDocuments: a text that is not a string",
    run: () => embeddings().embedDocuments(["a", 42 as unknown as string]),
    error: DatabricksConfigError,
    message: /embedDocuments: text 1 is number 42, not a string: embed text only/,
  },
  {
    name: "DatabricksEmbeddings.embedQuery: null",
    run: () => embeddings().embedQuery(null as unknown as string),
    error: DatabricksConfigError,
    message: /embedQuery is null, not a string/,
  },
];

/** Per-call overrides: refused before any request, including the endpoint metadata request. */
const CALL_ROWS: BadInputRow[] = [
  {
    name: "Databricks.invoke: temperature NaN",
    run: () => llm().invoke("x", { temperature: Number.NaN }),
    error: DatabricksConfigError,
    message: /Invalid temperature in the call options: NaN\. Use a finite number >= 0/,
  },
  {
    name: "Databricks.invoke: maxTokens 0",
    run: () => llm().invoke("x", { maxTokens: 0 }),
    error: DatabricksConfigError,
    message: /Invalid maxTokens in the call options: 0\. Use an integer >= 1/,
  },
  {
    name: "Databricks.invoke: stop as a string",
    run: () => llm().invoke("x", { stop: "y" as unknown as string[] }),
    error: DatabricksConfigError,
    message: /Invalid stop in the call options: use a list of strings/,
  },
  {
    name: "Databricks.invoke: maxRetries -1",
    run: () => llm().invoke("x", { maxRetries: -1 }),
    error: DatabricksConfigError,
    message:
      /Invalid maxRetries in the call options: -1\. Use an integer >= 0 \(0 turns retries off\)/,
  },
  {
    name: "Databricks.stream: maxRetries 1.5",
    run: () => drain(llm({ endpoint: "fm-completions" }).stream("x", { maxRetries: 1.5 })),
    error: DatabricksConfigError,
    message: /Invalid maxRetries in the call options: 1\.5/,
  },
  {
    name: "Databricks.invoke: extraParams with prompt",
    run: () => llm().invoke("x", { extraParams: { prompt: "y" } }),
    error: DatabricksConfigError,
    message: /model_kwargs must not contain key 'prompt' \(found in extraParams\)/,
  },
  {
    name: "Databricks.invoke: modelKwargs with stop",
    run: () => llm().invoke("x", { modelKwargs: { stop: ["y"] } }),
    error: DatabricksConfigError,
    message:
      /model_kwargs must not contain key 'stop' \(found in modelKwargs\)\. Use the `stop` option/,
  },
  {
    name: "ChatDatabricks.invoke: temperature Infinity",
    run: () => chat().invoke("x", { temperature: Infinity }),
    error: DatabricksConfigError,
    message: /Invalid temperature in the call options: Infinity/,
  },
  {
    name: "ChatDatabricks.invoke: maxTokens 0",
    run: () => chat().invoke("x", { maxTokens: 0 }),
    error: DatabricksConfigError,
    message: /Invalid maxTokens in the call options: 0/,
  },
  {
    name: "ChatDatabricks.stream: maxTokens -1",
    run: () => drain(chat().stream("x", { maxTokens: -1 })),
    error: DatabricksConfigError,
    message: /Invalid maxTokens in the call options: -1/,
  },
  {
    name: "ChatDatabricks.invoke: maxRetries NaN",
    run: () => chat().invoke("x", { maxRetries: Number.NaN }),
    error: DatabricksConfigError,
    message: /Invalid maxRetries in the call options: NaN/,
  },
  {
    name: "ChatDatabricks.stream: maxRetries -1",
    run: () => drain(chat().stream("x", { maxRetries: -1 })),
    error: DatabricksConfigError,
    message: /Invalid maxRetries in the call options: -1/,
  },
  ...(["messages", "input", "stream"] as const).map((key): BadInputRow => ({
    name: `ChatDatabricks.invoke: modelKwargs with ${key}`,
    run: () => chat().invoke("x", { modelKwargs: { [key]: [] } }),
    error: DatabricksConfigError,
    message: new RegExp(`modelKwargs in the call options must not contain \`${key}\``),
  })),
];

/** User transforms: their failures are named, the original error kept as `cause`. */
const TRANSFORM_ROWS: BadInputRow[] = [
  {
    name: "Databricks: transformInputFn throws (before sending)",
    run: () =>
      llm({
        task: "custom",
        transformInputFn: () => {
          throw new Error("no prompt column");
        },
      }).invoke("x"),
    error: DatabricksConfigError,
    message:
      /transformInputFn threw: no prompt column\. Fix the function \(the original error is the cause\)/,
    cause: /no prompt column/,
  },
  {
    name: "Databricks: transformInputFn returns a string",
    run: () => llm({ task: "custom", transformInputFn: () => "x" as never }).invoke("x"),
    error: DatabricksConfigError,
    message:
      /transformInputFn must return an object \(the request body\) but returned string\. Return the request/,
  },
  {
    name: "Databricks: a custom model answers an object and there is no transformOutputFn",
    run: () => llm().invoke("x"),
    error: DatabricksResponseError,
    message:
      /Expected the model to answer a string but received an object with keys \[x\]\. Pass `transformOutputFn`/,
    requests: [METADATA_OF("custom"), INVOCATIONS_OF("custom")],
  },
  {
    name: "Databricks: transformOutputFn throws",
    run: () =>
      llm({
        task: "custom",
        transformOutputFn: () => {
          throw new TypeError("answer.text is undefined");
        },
      }).invoke("x"),
    error: DatabricksResponseError,
    message: /transformOutputFn threw: answer\.text is undefined\. Fix the function/,
    cause: /answer\.text is undefined/,
    requests: [INVOCATIONS_OF("custom")],
  },
  {
    name: "Databricks: transformOutputFn returns a number",
    run: () => llm({ task: "custom", transformOutputFn: () => 5 as never }).invoke("x"),
    error: DatabricksResponseError,
    message: /transformOutputFn must return a string but returned number 5\. Return the text/,
    requests: [INVOCATIONS_OF("custom")],
  },
];

/**
 * Payload limits (docs/PROTOCOL.md §2.9): 16 MB for any endpoint, 4 MB for endpoints the metadata
 * shows serving a foundation model, an external model or an agent. The metadata request is the
 * one the LLM makes anyway; the body itself is never sent.
 */
const above16 = "x".repeat(17 * MIB);
const above4 = "x".repeat(5 * MIB);
const LIMIT_16 = /is 17\.0 MB, above Model Serving's 16\.0 MB limit .*: send less text per request/;
const LIMIT_4 =
  /is 5\.0 MB, above the 4\.0 MB limit of endpoints serving foundation models, external models or agents, .*: send less text per request/;
const PAYLOAD_ROWS: BadInputRow[] = [
  {
    name: "Databricks: a prompt above 16 MB (custom model, task given)",
    run: () => llm({ task: "custom" }).invoke(above16),
    error: DatabricksConfigError,
    message: LIMIT_16,
  },
  {
    name: "ChatDatabricks: messages above 16 MB",
    run: () => chat().invoke(above16),
    error: DatabricksConfigError,
    message: LIMIT_16,
  },
  {
    name: "DatabricksEmbeddings: a text above 16 MB",
    run: () => embeddings().embedQuery(above16),
    error: DatabricksConfigError,
    message: LIMIT_16,
  },
  {
    name: "Databricks: a prompt above 4 MB to a foundation-model endpoint (endpoint_type)",
    run: () => llm({ endpoint: "fm-completions" }).invoke(above4),
    error: DatabricksConfigError,
    message: LIMIT_4,
    requests: [METADATA_OF("fm-completions")],
  },
  {
    name: "Databricks.stream: a prompt above 4 MB to a foundation-model endpoint",
    run: () => drain(llm({ endpoint: "fm-completions" }).stream(above4)),
    error: DatabricksConfigError,
    message: LIMIT_4,
    requests: [METADATA_OF("fm-completions")],
  },
  {
    name: "Databricks: a prompt above 4 MB to an external-model endpoint (served entity)",
    run: () => llm({ endpoint: "external" }).invoke(above4),
    error: DatabricksConfigError,
    message: LIMIT_4,
    requests: [METADATA_OF("external")],
  },
  {
    name: "Databricks: a prompt above 4 MB to an agent endpoint (agent/* task)",
    run: () => llm({ endpoint: "agent" }).invoke(above4),
    error: DatabricksConfigError,
    message: LIMIT_4,
    requests: [METADATA_OF("agent")],
  },
];

const ROWS: BadInputRow[] = [
  ...CONNECTION_ROWS,
  ...MODE_ROWS,
  ...GENERATION_ROWS,
  ...CHAT_ROWS,
  ...EMBEDDINGS_ROWS,
  ...EMBEDDINGS_CALL_ROWS,
  ...CALL_ROWS,
  ...TRANSFORM_ROWS,
  ...PAYLOAD_ROWS,
];

describe("bad input: every row fails with a DatabricksError that says what to change", () => {
  it("has one row per case, each named once", () => {
    expect(new Set(ROWS.map((row) => row.name)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    let caught: unknown;
    try {
      await row.run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(row.error);
    const error = caught as Error;
    expect(error.message).toMatch(row.message);
    if (row.cause) expect(String((error.cause as Error | undefined)?.message)).toMatch(row.cause);
    const seen = server.requests.map((request) => `${request.method} ${request.url}`);
    expect(seen).toEqual(row.requests ?? []);
  });
});

describe("LangChain's own call `timeout` check comes first", () => {
  // `timeout` is a LangChain call option: @langchain/core's `ensureConfig` checks it before the
  // model runs (in `batch` before any model code at all), so its error is core's, not a
  // DatabricksError. What this package guarantees is that nothing is sent.
  it.each([
    ["NaN", Number.NaN, /"delay"|Timeout/],
    ["0", 0, /Timeout must be a positive number/],
    ["-1", -1, /Timeout must be a positive number/],
  ])("timeout %s: refused before any request", async (_name, timeout, message) => {
    await expect(llm().invoke("x", { timeout })).rejects.toThrow(message);
    await expect(chat().invoke("x", { timeout })).rejects.toThrow(message);
    expect(server.requests).toEqual([]);
  });
});

describe("LangChain's own input conversion comes first", () => {
  // invoke() turns its input into a prompt in @langchain/core before the model runs: a value it
  // cannot convert is core's TypeError. Nothing reaches the wire.
  it("a null prompt or a number for a chat model: refused before any request", async () => {
    await expect(llm().invoke(null as never)).rejects.toBeInstanceOf(TypeError);
    await expect(chat().invoke(42 as never)).rejects.toBeInstanceOf(TypeError);
    expect(server.requests).toEqual([]);
  });
});

describe("the limits refuse only what the endpoint would refuse", () => {
  it("sends a 5 MB prompt to a custom model, whose limit is 16 MB", async () => {
    await expect(llm().invoke(above4)).rejects.toThrow(/answer a string but received an object/);
    expect(server.requests.map((request) => request.method)).toEqual(["GET", "POST"]);
    expect(server.requests[1]?.body.length).toBeGreaterThan(5 * MIB);
  });

  it("sends a 5 MB chat request: ChatDatabricks does not read the endpoint's kind", async () => {
    // Reading the metadata only to refuse early would cost every call a request (PROTOCOL §2.9);
    // the server refuses a body above its 4 MB limit itself.
    await expect(chat().invoke(above4)).resolves.toBeDefined();
    expect(server.requests).toHaveLength(1);
  });
});

describe("the 4 MB limit against the emulator's endpoint metadata", () => {
  // The emulator describes endpoints as the workspace does and enforces the same limits (413):
  // the client must recognise its foundation, external and agent endpoints from that metadata.
  let emulator: EmulatorHandle;
  const EMULATOR_TOKEN = "dapi-bad-input-emulator-0123";
  beforeAll(async () => {
    emulator = await startEmulator({
      ...defaultEmulatorOptions(),
      tokens: [EMULATOR_TOKEN],
      endpoints: [
        { name: "fm", task: "llm/v1/completions", endpointType: "FOUNDATION_MODEL_API" },
        { name: "fm-chat", task: "llm/v1/chat", endpointType: "FOUNDATION_MODEL_API" },
        { name: "ext", task: "llm/v1/chat", endpointType: "EXTERNAL_MODEL" },
        { name: "agent", task: "agent/v2/chat" },
        { name: "custom", backend: { type: "echo" } },
      ],
    });
  });
  afterAll(() => emulator.close());
  const served = (endpoint: string) =>
    new Databricks({ host: emulator.url, token: EMULATOR_TOKEN, endpoint, maxRetries: 0 });

  it.each(["fm", "ext", "agent"])(
    "%s: a 5 MB prompt is refused before its request",
    async (endpoint) => {
      await expect(served(endpoint).invoke(above4)).rejects.toThrow(LIMIT_4);
      expect(emulator.stats().endpoints[endpoint]).toBeUndefined();
    },
  );

  // ChatDatabricks does not read the endpoint's kind, so the server's own limit refuses it. A 413
  // is final (the same body would be refused again): the default retries must not resend it, and
  // the answer must be the typed 413, not a connection reset from the server closing early. Both
  // senders: the undici pool, and a WHATWG fetch (the `fetch` option).
  it.each([
    ["undici", {}],
    ["fetch", { fetch: globalThis.fetch }],
  ])(
    "ChatDatabricks (%s): a 5 MB chat request to a foundation model is the server's 413, sent once",
    async (_sender, senderOption) => {
      emulator.resetStats();
      const model = new ChatDatabricks({
        host: emulator.url,
        token: EMULATOR_TOKEN,
        endpoint: "fm-chat",
        ...senderOption,
      });
      const caught: unknown = await model.invoke(above4).catch((error: unknown) => error);
      expect(caught).toBeInstanceOf(DatabricksAPIError);
      expect(caught).toMatchObject({ status: 413, errorCode: "REQUEST_ENTITY_TOO_LARGE" });
      expect(emulator.stats().paths).toEqual({
        "POST /serving-endpoints/fm-chat/invocations": 1,
      });
    },
  );

  it("custom: a 5 MB prompt is sent (its limit is 16 MB)", async () => {
    await served("custom").invoke(above4);
    expect(emulator.stats().endpoints["custom"]?.requests).toBe(1);
  });
});
