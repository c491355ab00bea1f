import { gptEffort, type ReasoningEffort } from "./family_rules.js";
import { apiError, type HttpError } from "./http_util.js";
import { isJsonObject } from "./json.js";
import { contentText, numberField } from "./llm_request.js";
import { unknownField } from "./llm_tasks.js";
import type {
  BackendMessage,
  BackendRequest,
  BackendTool,
  BackendToolCall,
  JsonObject,
  JsonValue,
} from "./types.js";

/**
 * Parsing and validation of an OpenAI Responses body (modern-serving.md §3.2) into a
 * {@link BackendRequest}. Texts the reference does not capture use the OpenAI API's own wording,
 * since the FMAPI models behind this route are OpenAI's (docs/PROTOCOL.md §9.23).
 */

/** Which surface the body arrived on: each adds its own rules. */
export interface ResponsesRules {
  /** OpenAI FMAPI/external model: unknown fields, output-only input fields and id rules (§3.5). */
  fmapi: boolean;
  /** The Supervisor API (`/ai-gateway/mlflow/v1/responses`, §6.3). */
  supervisor: boolean;
  /** Validate `reasoning.effort` against the GPT-5 set (family `gpt`). */
  gptReasoning: boolean;
}

/** A parsed Responses request. */
export interface ResponsesRequest {
  backend: BackendRequest;
  /** GPT `reasoning.effort` (family `gpt` only). */
  effort?: ReasoningEffort;
  /** Request `metadata`, echoed in the response. */
  metadata: JsonObject;
  /** `include` values, e.g. `reasoning.encrypted_content`. */
  include: string[];
}

/** §3.2 FMAPI fields plus the OpenAI request fields MLflow's BaseRequestPayload also models. */
const MODEL_FIELDS = new Set([
  "model",
  "input",
  "instructions",
  "stream",
  "stream_options",
  "max_output_tokens",
  "temperature",
  "top_p",
  "parallel_tool_calls",
  "metadata",
  "reasoning",
  "text",
  "tools",
  "tool_choice",
  "databricks_options",
  "include",
  "store",
  "user",
  "truncation",
]);

/** Fields of each input item type (§3.2 "Input item shapes"); `status` is output-only. */
const ITEM_FIELDS: Record<string, readonly string[]> = {
  message: ["type", "role", "content", "id"],
  function_call: ["type", "id", "call_id", "name", "arguments"],
  function_call_output: ["type", "id", "call_id", "output"],
  reasoning: ["type", "id", "summary", "encrypted_content"],
};

const ROLES = new Set(["user", "assistant", "system", "developer"]);
const MAX_INPUT_ID = 64;
const SUPERVISOR_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function badRequest(message: string): HttpError {
  return apiError(400, message, "BAD_REQUEST");
}

function missing(path: string): HttpError {
  return badRequest(`Missing required parameter: '${path}'.`);
}

/** FMAPI: output-only and unknown (or null, as Python `None` defaults) fields on an input item. */
function checkItemFields(item: JsonObject, type: string, index: number): void {
  const known = ITEM_FIELDS[type] ?? [];
  for (const [key, value] of Object.entries(item)) {
    if (!known.includes(key) || value === null) {
      throw badRequest(`input[${index}]: json: unknown field "${key}"`);
    }
  }
}

/** §3.5: ids at most 64 characters; `msg_` on assistant messages, `fc_` on function calls. */
function checkItemId(item: JsonObject, type: string, index: number): void {
  const id = item["id"];
  if (id === undefined) return;
  if (typeof id !== "string") throw badRequest(`Invalid type for 'input[${index}].id'.`);
  if (id.length > MAX_INPUT_ID) {
    throw badRequest(
      `Invalid 'input[${index}].id': string too long. Expected a string with maximum length ` +
        `${MAX_INPUT_ID}, but got a string with length ${id.length} instead.`,
    );
  }
  const prefix = type === "function_call" ? "fc" : type === "message" ? "msg" : undefined;
  if (prefix !== undefined && !id.startsWith(`${prefix}_`)) {
    throw badRequest(
      `Invalid 'input[${index}].id': '${id}'. Expected an ID that begins with '${prefix}'.`,
    );
  }
}

function requiredString(item: JsonObject, key: string, index: number): string {
  const value = item[key];
  if (typeof value !== "string") throw missing(`input[${index}].${key}`);
  return value;
}

/** One input item as a backend message; reasoning (and other types on agents) is not one. */
function itemMessage(raw: JsonObject, type: string, index: number): BackendMessage | undefined {
  switch (type) {
    case "message": {
      const role = raw["role"];
      if (typeof role !== "string" || !ROLES.has(role)) {
        throw badRequest(
          `Invalid value for 'input[${index}].role': expected one of 'user', 'assistant', 'system' or 'developer'.`,
        );
      }
      if (raw["content"] === undefined || raw["content"] === null)
        throw missing(`input[${index}].content`);
      return { role, content: contentText(raw["content"]) };
    }
    case "function_call": {
      const call: BackendToolCall = {
        id: requiredString(raw, "call_id", index),
        name: requiredString(raw, "name", index),
        arguments: requiredString(raw, "arguments", index),
      };
      return { role: "assistant", content: "", toolCalls: [call] };
    }
    case "function_call_output": {
      const toolCallId = requiredString(raw, "call_id", index);
      const output = raw["output"];
      if (output === undefined) throw missing(`input[${index}].output`);
      return {
        role: "tool",
        content: typeof output === "string" ? output : contentText(output),
        toolCallId,
      };
    }
    default:
      return undefined;
  }
}

/** The Supervisor's pairing rules (§6.3, captured texts): each output after its call, and back. */
function checkCallPairs(messages: BackendMessage[]): void {
  const calls = new Set<string>();
  const outputs = new Set<string>();
  for (const message of messages) {
    for (const call of message.toolCalls ?? []) calls.add(call.id ?? "");
    const id = message.toolCallId;
    if (id === undefined) continue;
    if (!calls.has(id))
      throw badRequest(`No tool call found for function call output with call_id ${id}.`);
    outputs.add(id);
  }
  for (const id of calls)
    if (!outputs.has(id)) throw badRequest(`No tool output found for function call ${id}.`);
}

/** `input` as backend messages: consecutive function calls form one assistant turn. */
function parseInput(input: JsonValue | undefined, rules: ResponsesRules): BackendMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  if (!Array.isArray(input) || input.length === 0) {
    throw apiError(
      400,
      "input must be a string or a non-empty list of input items.",
      "INVALID_PARAMETER_VALUE",
    );
  }
  const messages: BackendMessage[] = [];
  for (const [index, raw] of input.entries()) {
    if (!isJsonObject(raw))
      throw badRequest(`Invalid type for 'input[${index}]': expected an object.`);
    const type = typeof raw["type"] === "string" ? raw["type"] : "message";
    if (rules.fmapi) {
      if (!(type in ITEM_FIELDS))
        throw badRequest(
          `Invalid value: '${type}'. Supported values are: 'message', 'function_call', 'function_call_output' and 'reasoning'.`,
        );
      checkItemFields(raw, type, index);
      checkItemId(raw, type, index);
    }
    const message = itemMessage(raw, type, index);
    const last = messages.at(-1);
    if (
      message?.toolCalls !== undefined &&
      last?.toolCalls !== undefined &&
      last.role === "assistant"
    )
      last.toolCalls.push(...message.toolCalls);
    else if (message !== undefined) messages.push(message);
  }
  if (rules.supervisor) checkCallPairs(messages);
  if (messages.length === 0) messages.push({ role: "user", content: "" });
  return messages;
}

/** Flat Responses tools (§3.2); hosted tool types are accepted and never called. */
function parseTools(body: JsonObject, rules: ResponsesRules): BackendTool[] {
  const raw = body["tools"];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest("Invalid type for 'tools': expected an array.");
  const tools: BackendTool[] = [];
  for (const [i, tool] of raw.entries()) {
    if (!isJsonObject(tool))
      throw badRequest(`Invalid type for 'tools[${i}]': expected an object.`);
    if (tool["type"] !== "function") continue;
    const name = tool["name"];
    if (typeof name !== "string" || name === "") throw missing(`tools[${i}].name`);
    if (rules.supervisor && !SUPERVISOR_TOOL_NAME.test(name)) {
      throw badRequest(`function tool '${name}' must match ^[a-zA-Z0-9_-]{1,64}$`);
    }
    tools.push({
      name,
      ...(typeof tool["description"] === "string" ? { description: tool["description"] } : {}),
      ...(isJsonObject(tool["parameters"]) ? { parameters: tool["parameters"] } : {}),
    });
  }
  return tools;
}

function parseToolChoice(body: JsonObject, tools: BackendTool[]): BackendRequest["toolChoice"] {
  const choice = body["tool_choice"];
  if (tools.length === 0) return undefined;
  if (choice === undefined || choice === null) return "auto";
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (isJsonObject(choice) && choice["type"] === "function" && typeof choice["name"] === "string") {
    const name = choice["name"];
    if (!tools.some((t) => t.name === name))
      throw badRequest(`Tool choice '${name}' not found in 'tools' parameter.`);
    return { name };
  }
  throw badRequest(
    "Invalid value for 'tool_choice': expected 'auto', 'none', 'required' or a function.",
  );
}

/**
 * `text.format`: the flat OpenAI form `{type:"json_schema", name, schema, strict}` and the nested
 * `{type:"json_schema", json_schema:{name, schema, strict}}` of the ai-sdk provider are both
 * accepted, since which one Databricks takes is open (§10.7).
 */
function parseTextFormat(body: JsonObject): BackendRequest["responseFormat"] {
  const text = body["text"];
  if (text === undefined || text === null) return undefined;
  if (!isJsonObject(text)) throw badRequest("Invalid type for 'text': expected an object.");
  const format = text["format"];
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format))
    throw badRequest("Invalid type for 'text.format': expected an object.");
  switch (format["type"]) {
    case "text":
      return undefined;
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const spec = isJsonObject(format["json_schema"]) ? format["json_schema"] : format;
      const schema = spec["schema"];
      if (!isJsonObject(schema)) throw missing("text.format.schema");
      return {
        type: "json_schema",
        schema,
        ...(typeof spec["name"] === "string" ? { name: spec["name"] } : {}),
      };
    }
    default:
      throw badRequest(
        `Invalid value: ${JSON.stringify(format["type"])}. Supported values are: 'text', 'json_object' and 'json_schema'.`,
      );
  }
}

function parseMetadata(body: JsonObject): JsonObject {
  const metadata = body["metadata"];
  if (metadata === undefined || metadata === null) return {};
  if (!isJsonObject(metadata) || !Object.values(metadata).every((v) => typeof v === "string"))
    throw badRequest("Invalid type for 'metadata': expected an object of strings.");
  return metadata;
}

/**
 * Parse and validate a Responses body. `instructions` becomes a leading system message (agents
 * included: §10.8 leaves their handling open, docs/PROTOCOL.md §9.23).
 */
export function parseResponsesRequest(
  endpoint: string,
  body: JsonObject,
  rules: ResponsesRules,
): ResponsesRequest {
  if (rules.fmapi) {
    for (const key of Object.keys(body)) if (!MODEL_FIELDS.has(key)) throw unknownField(key);
  }
  const messages = parseInput(body["input"], rules);
  const instructions = body["instructions"];
  if (typeof instructions === "string" && instructions !== "")
    messages.unshift({ role: "system", content: instructions });
  const tools = parseTools(body, rules);
  const number = (key: string, check: (n: number) => boolean, rule: string) =>
    numberField(body, key, check, (v) =>
      badRequest(`Invalid '${key}': ${rule}, got ${JSON.stringify(v)}.`),
    );
  const maxTokens = number(
    "max_output_tokens",
    (n) => Number.isInteger(n) && n >= 1,
    "expected a positive integer",
  );
  const temperature = number(
    "temperature",
    (n) => n >= 0 && n <= 2,
    "expected a number between 0 and 2",
  );
  const topP = number("top_p", (n) => n >= 0 && n <= 1, "expected a number between 0 and 1");
  if (rules.supervisor && tools.length > 0 && (temperature !== undefined || topP !== undefined))
    throw badRequest("Parameter not supported when tools are provided");
  const toolChoice = parseToolChoice(body, tools);
  const responseFormat = parseTextFormat(body);
  const reasoning = body["reasoning"];
  if (reasoning !== undefined && reasoning !== null && !isJsonObject(reasoning))
    throw badRequest("Invalid type for 'reasoning': expected an object.");
  const include = Array.isArray(body["include"])
    ? body["include"].filter((v): v is string => typeof v === "string")
    : [];
  const lastUser = messages.findLast((m) => m.role === "user");
  return {
    backend: {
      kind: "chat",
      endpoint,
      prompt: lastUser?.content ?? messages.at(-1)?.content ?? "",
      messages,
      input: [],
      n: 1,
      stop: [],
      tools,
      ...(toolChoice !== undefined ? { toolChoice } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(responseFormat !== undefined ? { responseFormat } : {}),
      body,
    },
    ...(rules.gptReasoning
      ? {
          effort: gptEffort(
            isJsonObject(reasoning) ? reasoning["effort"] : undefined,
            "reasoning.effort",
          ),
        }
      : {}),
    metadata: parseMetadata(body),
    include,
  };
}
