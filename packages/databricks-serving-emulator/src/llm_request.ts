import { isJsonObject } from "./json.js";
import { apiError, type HttpError } from "./http_util.js";
import type {
  BackendMessage,
  BackendRequest,
  BackendTool,
  BackendToolCall,
  JsonObject,
  JsonValue,
} from "./types.js";

/**
 * Parsing and validation of OpenAI-style chat / completions / embeddings bodies into a
 * {@link BackendRequest}. Error codes follow the Databricks conventions (400
 * `INVALID_PARAMETER_VALUE` for bad values, 400 `BAD_REQUEST` for unknown fields); the exact
 * message texts are the emulator's own unless noted.
 */

/**
 * Q6 on `llm/v1/chat` (modern-serving.md §9: an unknown top-level field → 400 `json: unknown
 * field`): the fields a foundation/external chat endpoint decodes. The chat-completions fields
 * Databricks documents, the OpenAI ones clients send (`model`, `stream_options` under its own Q5
 * switch, penalties, `seed`, `user`, `logit_bias`, `metadata`, `service_tier`,
 * `parallel_tool_calls`, `max_completion_tokens`) and the family fields (`thinking`,
 * `reasoning_effort`, `output_config`, `top_k`); the family rules still refuse what a family does
 * not take. Agent fields (`custom_inputs`, `context`, `databricks_options`) are not here: §5.1
 * infers a 400 on foundation models (docs/PROTOCOL.md §9.23).
 */
const CHAT_FIELDS: ReadonlySet<string> = new Set([
  "messages",
  "model",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "n",
  "stop",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "response_format",
  "logprobs",
  "top_logprobs",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "user",
  "thinking",
  "reasoning_effort",
  "output_config",
  "parallel_tool_calls",
  "logit_bias",
  "metadata",
  "service_tier",
]);

/**
 * Completions and embeddings refuse only the fields of another task (a blocklist: their field
 * sets are not settled by any source, so unknown extras still pass there).
 */
const FOREIGN_FIELDS: Record<"completion" | "embedding", readonly string[]> = {
  completion: ["messages", "input", "dataframe_records", "dataframe_split", "instances", "inputs"],
  embedding: ["messages", "prompt", "dataframe_records", "dataframe_split", "instances", "inputs"],
};

function isUnknownField(kind: BackendRequest["kind"], key: string): boolean {
  return kind === "chat" ? !CHAT_FIELDS.has(key) : FOREIGN_FIELDS[kind].includes(key);
}

/**
 * Reject a top-level field a foundation/external endpoint does not decode (chat: any field outside
 * {@link CHAT_FIELDS}; completions, embeddings: another task's field), with the Go-decoder
 * message real foundation-model endpoints send (`Bad request: json: unknown field "prompt"`,
 * langchain-ai/langchain#10318).
 */
export function rejectUnknownFields(body: JsonObject, kind: BackendRequest["kind"]): void {
  for (const key of Object.keys(body)) {
    if (isUnknownField(kind, key)) {
      throw apiError(400, `Bad request: json: unknown field "${key}"`, "BAD_REQUEST");
    }
  }
}

function invalid(message: string) {
  return apiError(400, message, "INVALID_PARAMETER_VALUE");
}

/** Flatten OpenAI message content (string, null, or content parts) to plain text. */
export function contentText(content: JsonValue | undefined): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (typeof part === "string") return part;
        if (isJsonObject(part) && typeof part["text"] === "string") return part["text"];
        return "";
      })
      .filter((t) => t !== "")
      .join("\n");
  }
  return "";
}

const ROLES = new Set(["system", "user", "assistant", "tool", "developer", "function"]);

/** Validate and flatten `messages`. */
export function parseMessages(value: JsonValue | undefined): BackendMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid("messages must be a non-empty array of chat messages.");
  }
  return value.map((raw, index) => {
    if (!isJsonObject(raw) || typeof raw["role"] !== "string" || !ROLES.has(raw["role"])) {
      throw invalid(
        `messages[${index}] must be an object with a role of system, user, assistant or tool.`,
      );
    }
    const message: BackendMessage = { role: raw["role"], content: contentText(raw["content"]) };
    const calls = raw["tool_calls"];
    if (Array.isArray(calls)) {
      message.toolCalls = calls.filter(isJsonObject).map((c): BackendToolCall => {
        const fn = isJsonObject(c["function"]) ? c["function"] : {};
        return {
          ...(typeof c["id"] === "string" ? { id: c["id"] } : {}),
          name: typeof fn["name"] === "string" ? fn["name"] : "",
          arguments: typeof fn["arguments"] === "string" ? fn["arguments"] : "{}",
        };
      });
    }
    if (typeof raw["tool_call_id"] === "string") message.toolCallId = raw["tool_call_id"];
    return message;
  });
}

/**
 * A numeric field: undefined when absent or null, the number when it passes `check`, otherwise
 * the error `fail` builds from the value is thrown.
 */
export function numberField(
  body: JsonObject,
  key: string,
  check: (n: number) => boolean,
  fail: (value: JsonValue) => HttpError,
): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !check(value)) throw fail(value);
  return value;
}

function optionalNumber(
  body: JsonObject,
  key: string,
  check: (n: number) => boolean,
  rule: string,
): number | undefined {
  return numberField(body, key, check, (v) => invalid(`${key} ${rule}, got ${JSON.stringify(v)}.`));
}

function parseStop(body: JsonObject): string[] {
  const stop = body["stop"];
  if (stop === undefined) return [];
  // The one documented real message for a bad `stop` (langchain-ai/langchain#14100 review).
  if (stop === null) throw invalid("stop was not of type List[String]: null");
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) return stop as string[];
  throw invalid(`stop was not of type List[String]: ${JSON.stringify(stop)}`);
}

function parseTools(body: JsonObject): Pick<BackendRequest, "tools" | "toolChoice"> {
  const raw = body["tools"];
  if (raw === undefined || raw === null) return { tools: [] };
  if (!Array.isArray(raw)) throw invalid("tools must be an array of function tools.");
  const tools = raw.map((t, i): BackendTool => {
    const fn = isJsonObject(t) && isJsonObject(t["function"]) ? t["function"] : undefined;
    if (fn === undefined || typeof fn["name"] !== "string" || fn["name"] === "") {
      throw invalid(`tools[${i}] must be {"type": "function", "function": {"name": ...}}.`);
    }
    return {
      name: fn["name"],
      ...(typeof fn["description"] === "string" ? { description: fn["description"] } : {}),
      ...(isJsonObject(fn["parameters"]) ? { parameters: fn["parameters"] } : {}),
    };
  });
  const choice = body["tool_choice"];
  if (tools.length === 0) return { tools };
  if (choice === undefined || choice === null) return { tools, toolChoice: "auto" };
  if (choice === "auto" || choice === "none" || choice === "required")
    return { tools, toolChoice: choice };
  if (
    isJsonObject(choice) &&
    isJsonObject(choice["function"]) &&
    typeof choice["function"]["name"] === "string"
  ) {
    const name = choice["function"]["name"];
    if (!tools.some((t) => t.name === name)) {
      throw invalid(`tool_choice names the function '${name}', which is not in tools.`);
    }
    return { tools, toolChoice: { name } };
  }
  throw invalid('tool_choice must be "auto", "none", "required" or a named function.');
}

function parseResponseFormat(body: JsonObject): BackendRequest["responseFormat"] | undefined {
  const format = body["response_format"];
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format)) throw invalid("response_format must be an object.");
  switch (format["type"]) {
    case "text":
      return undefined;
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const spec = format["json_schema"];
      if (!isJsonObject(spec) || !isJsonObject(spec["schema"])) {
        throw invalid("response_format.json_schema.schema must be a JSON schema object.");
      }
      return {
        type: "json_schema",
        schema: spec["schema"],
        ...(typeof spec["name"] === "string" ? { name: spec["name"] } : {}),
      };
    }
    default:
      throw invalid(`response_format.type ${JSON.stringify(format["type"])} is not supported.`);
  }
}

/** The generation parameters shared by chat and completions. */
function generationParams(body: JsonObject) {
  const maxTokens =
    optionalNumber(
      body,
      "max_tokens",
      (n) => Number.isInteger(n) && n >= 0,
      "must be a non-negative integer",
    ) ??
    optionalNumber(
      body,
      "max_completion_tokens",
      (n) => Number.isInteger(n) && n >= 0,
      "must be a non-negative integer",
    );
  const temperature = optionalNumber(
    body,
    "temperature",
    (n) => n >= 0 && n <= 2,
    "must be between 0.0 and 2.0",
  );
  const n =
    optionalNumber(
      body,
      "n",
      (v) => Number.isInteger(v) && v >= 1 && v <= 5,
      "must be an integer between 1 and 5",
    ) ?? 1;
  const seed = optionalNumber(body, "seed", (v) => Number.isInteger(v), "must be an integer");
  return {
    n,
    stop: parseStop(body),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** Parse a chat body (`messages`, tools, response_format, sampling parameters). */
export function parseChatRequest(endpoint: string, body: JsonObject): BackendRequest {
  const messages = parseMessages(body["messages"]);
  const lastUser = messages.findLast((m) => m.role === "user");
  const responseFormat = parseResponseFormat(body);
  return {
    kind: "chat",
    endpoint,
    prompt: lastUser?.content ?? messages[messages.length - 1]?.content ?? "",
    messages,
    input: [],
    ...generationParams(body),
    ...parseTools(body),
    ...(responseFormat !== undefined ? { responseFormat } : {}),
    body,
  };
}

/** The prompts of a completions body (`prompt`: a string or a list of strings). */
export function parsePrompts(body: JsonObject): string[] {
  const prompt = body["prompt"];
  if (typeof prompt === "string") return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === "string")) {
    return prompt as string[];
  }
  throw invalid("prompt must be a string or a non-empty list of strings.");
}

/** Parse a completions body for one prompt. */
export function parseCompletionRequest(
  endpoint: string,
  body: JsonObject,
  prompt: string,
): BackendRequest {
  return {
    kind: "completion",
    endpoint,
    prompt,
    messages: [],
    input: [],
    tools: [],
    ...generationParams(body),
    body,
  };
}

/** Parse an embeddings body (`input`: a string or a list of strings). */
export function parseEmbeddingRequest(endpoint: string, body: JsonObject): BackendRequest {
  const raw = body["input"];
  let input: string[];
  if (typeof raw === "string") input = [raw];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((p) => typeof p === "string"))
    input = raw as string[];
  else throw invalid("input must be a string or a non-empty list of strings.");
  const dimensions = optionalNumber(
    body,
    "dimensions",
    (n) => Number.isInteger(n) && n >= 1 && n <= 8192,
    "must be an integer between 1 and 8192",
  );
  return {
    kind: "embedding",
    endpoint,
    prompt: input.join("\n"),
    messages: [],
    input,
    n: 1,
    stop: [],
    tools: [],
    ...(dimensions !== undefined ? { dimensions } : {}),
    body,
  };
}
