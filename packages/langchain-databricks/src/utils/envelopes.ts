import { DatabricksResponseError } from "../errors.js";
import { MAX_REQUEST_BYTES_MODEL_OR_AGENT } from "../transport/client.js";
import { wireText } from "./reasoning.js";
import { isRecord } from "./values.js";

/**
 * How a serving endpoint wants its body and how its answer is read, decided as the Python class
 * does from the endpoint metadata (`GET /api/2.0/serving-endpoints/{name}`): `endpoint_type` picks
 * the envelope, `task` picks the unwrapping.
 */
export interface EndpointProfile {
  /** The endpoint's task (`llm/v1/chat`…), or undefined for a custom model. */
  task: string | undefined;
  /**
   * `raw`: the OpenAI-style request as is (Foundation Model APIs, external models).
   * `dataframe_records`: the MLflow scoring envelope `{"dataframe_records": [request]}` (custom models).
   */
  envelope: "raw" | "dataframe_records";
  /**
   * The request-size limit, set only when the metadata shows a foundation-model, external-model
   * or agent endpoint (4 MB, docs/PROTOCOL.md §2.9); otherwise the transport's 16 MB applies.
   */
  maxRequestBytes?: number | undefined;
}

/** Tasks whose endpoints take OpenAI-style `temperature`, `n`, `max_tokens` and `stop`. */
const LLM_TASKS = new Set(["llm/v1/chat", "llm/v1/completions", "llama2/chat"]);

/** Whether sampling parameters (`temperature`, `n`, `max_tokens`) belong in the body. */
export function isLlmTask(task: string | undefined): boolean {
  return task !== undefined && LLM_TASKS.has(task);
}

/** Whether the endpoint can stream with `stream: true` (OpenAI-style SSE). */
export function canStream(profile: EndpointProfile): boolean {
  return (
    profile.envelope === "raw" &&
    (profile.task === "llm/v1/chat" || profile.task === "llm/v1/completions")
  );
}

/**
 * The profile implied by an explicit `task`, so the metadata request can be skipped. `undefined`
 * for tasks that do not say which envelope they use.
 */
export function profileFromTask(task: string): EndpointProfile | undefined {
  switch (task) {
    case "llm/v1/chat":
    case "llm/v1/completions":
      return { task, envelope: "raw" };
    case "llama2/chat":
      return { task, envelope: "dataframe_records" };
    case "custom":
      return { task: undefined, envelope: "dataframe_records" };
    default:
      return undefined;
  }
}

/** The profile read from a `ServingEndpointDetailed` JSON (raw JSON: `endpoint_type` is not in the SDK types). */
export function profileFromMetadata(
  metadata: unknown,
  explicitTask: string | undefined,
): EndpointProfile {
  const record = isRecord(metadata) ? metadata : {};
  const endpointType =
    typeof record["endpoint_type"] === "string" ? record["endpoint_type"].toLowerCase() : "";
  const externalOrFoundation =
    endpointType === "external_model" || endpointType === "foundation_model_api";
  const task =
    explicitTask ??
    (typeof record["task"] === "string" && record["task"] !== "" ? record["task"] : undefined);
  const profile: EndpointProfile = {
    task,
    envelope: externalOrFoundation ? "raw" : "dataframe_records",
  };
  if (externalOrFoundation || servesModelOrAgent(record, task)) {
    profile.maxRequestBytes = MAX_REQUEST_BYTES_MODEL_OR_AGENT;
  }
  return profile;
}

/**
 * Whether the metadata shows an endpoint under the 4 MB limit besides its `endpoint_type`: a
 * served entity (or legacy served model) with `foundation_model` or `external_model`, or an agent
 * task (`agent/v1/chat`, `agent/v2/chat`, `agent/v1/responses`…).
 */
function servesModelOrAgent(record: Record<string, unknown>, task: string | undefined): boolean {
  if (task?.startsWith("agent/")) return true;
  const config = record["config"];
  if (!isRecord(config)) return false;
  return ["served_entities", "served_models"].some((key) => {
    const entities = config[key];
    return (
      Array.isArray(entities) &&
      entities.some(
        (entity) =>
          isRecord(entity) &&
          (isRecord(entity["foundation_model"]) || isRecord(entity["external_model"])),
      )
    );
  });
}

/**
 * Wrap the requests for the wire: each request one row of the MLflow scoring envelope, or (the
 * raw envelope, one request only) the request itself. Chat endpoints get `messages` built from
 * `prompt` (langchain#10318).
 */
export function wrapRequests(
  profile: EndpointProfile,
  requests: readonly Record<string, unknown>[],
): Record<string, unknown> {
  if (profile.envelope === "dataframe_records") return { dataframe_records: requests };
  const [request] = requests;
  if (requests.length !== 1 || request === undefined) {
    // Callers pack only for the scoring envelope (`packsRows`): reaching this is a bug.
    throw new Error(`The raw envelope carries one request, not ${requests.length}.`);
  }
  if (profile.task === "llm/v1/chat") return promptToMessages(request);
  return request;
}

/**
 * Whether requests can share one body as rows: only the MLflow scoring envelope has rows. The
 * OpenAI-style `prompt` list of `llm/v1/completions` is not used: one body has one set of sampling
 * fields, but each prompt's row may differ (`transformInputFn`), and `n` interleaves the choices
 * (docs/PROTOCOL.md §9, "Row packing").
 */
export function packsRows(profile: EndpointProfile | undefined): boolean {
  return profile?.envelope === "dataframe_records";
}

/**
 * Chat endpoints reject `prompt` ("unknown field"), so a body that still carries a string `prompt`
 * and no `messages` is turned into a one-message conversation. A body a transform already shaped is
 * left alone.
 */
function promptToMessages(request: Record<string, unknown>): Record<string, unknown> {
  if ("messages" in request || typeof request["prompt"] !== "string") return request;
  const { prompt, ...rest } = request;
  return { messages: [{ role: "user", content: prompt }], ...rest };
}

/**
 * What `transformOutputFn` receives, and what becomes the text without one: for custom models the
 * first prediction (`predictions` may be a list or a single value), for OpenAI-style endpoints the
 * whole response.
 */
export function extractPrediction(profile: EndpointProfile, response: unknown): unknown {
  if (profile.envelope === "raw") return response;
  if (!isRecord(response) || !("predictions" in response)) {
    throw new DatabricksResponseError(
      `The endpoint answered without "predictions" (got ${describeShape(response)}). If it is not a custom MLflow model, set \`task\`; or read the answer with \`transformOutputFn\`.`,
    );
  }
  const predictions = response["predictions"];
  if (Array.isArray(predictions)) {
    if (predictions.length === 0) {
      throw new DatabricksResponseError('The endpoint answered with an empty "predictions" list.');
    }
    return predictions[0];
  }
  return predictions;
}

/**
 * One prediction per row of a request that carried `rows` rows. A single row keeps
 * {@link extractPrediction}'s reading (the first of a list, or a bare value); several rows need a
 * `predictions` list of exactly that length, since anything else cannot be matched to the rows
 * without guessing.
 */
export function extractPredictions(
  profile: EndpointProfile,
  response: unknown,
  rows: number,
): unknown[] {
  if (rows === 1) return [extractPrediction(profile, response)];
  const predictions = isRecord(response) ? response["predictions"] : undefined;
  if (!Array.isArray(predictions) || predictions.length !== rows) {
    const got = Array.isArray(predictions)
      ? `${predictions.length} prediction(s)`
      : `${isRecord(response) && "predictions" in response ? `"predictions" as ${describeShape(predictions)}` : describeShape(response)}`;
    throw new DatabricksResponseError(
      `The endpoint answered ${got} for a request of ${rows} rows (row packing, \`batchSize\`). A model must return one prediction per dataframe_records row; if this one does not, set \`batchSize: 1\`.`,
    );
  }
  return predictions;
}

/** The text of an answer when no `transformOutputFn` is given, by task. */
export function textFromPrediction(profile: EndpointProfile, prediction: unknown): string {
  switch (profile.task) {
    case "llm/v1/chat":
      if (profile.envelope === "raw") {
        const message = firstChoice(prediction)?.["message"];
        // Reasoning models answer a list of parts; the LLM's answer is their text parts only.
        const content = isRecord(message) ? message["content"] : undefined;
        if (Array.isArray(content)) return wireText(content);
        return requireString(message, "content", "choices[0].message.content", prediction);
      }
      break;
    case "llm/v1/completions":
      if (profile.envelope === "raw") {
        return requireString(firstChoice(prediction), "text", "choices[0].text", prediction);
      }
      break;
    case "llama2/chat": {
      const candidates = isRecord(prediction) ? prediction["candidates"] : undefined;
      const first = Array.isArray(candidates) ? candidates[0] : undefined;
      return requireString(first, "text", "predictions[0].candidates[0].text", prediction);
    }
    default:
      break;
  }
  return requireText(prediction);
}

/** The answer must already be text; otherwise say what arrived and how to fix it. */
export function requireText(value: unknown): string {
  if (typeof value === "string") return value;
  throw new DatabricksResponseError(
    `Expected the model to answer a string but received ${describeShape(value)}. Pass \`transformOutputFn\` to turn the answer into text.`,
  );
}

function firstChoice(response: unknown): Record<string, unknown> | undefined {
  const choices = isRecord(response) ? response["choices"] : undefined;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  return isRecord(first) ? first : undefined;
}

function requireString(holder: unknown, key: string, path: string, whole: unknown): string {
  const value = isRecord(holder) ? holder[key] : undefined;
  if (typeof value === "string") return value;
  if (value === null) return "";
  throw new DatabricksResponseError(
    `Expected ${path} to be a string in the endpoint's answer, which was ${describeShape(whole)}. Check \`task\`, or pass \`transformOutputFn\`.`,
  );
}

/** A short, secret-free description of a JSON value for error messages. */
export function describeShape(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isRecord(value)) {
    const keys = Object.keys(value).slice(0, 6);
    return `an object with keys [${keys.join(", ")}${Object.keys(value).length > 6 ? ", …" : ""}]`;
  }
  return `a ${typeof value} (${JSON.stringify(value)?.slice(0, 60) ?? String(value)})`;
}
