/**
 * The request side of the Responses API (modern-serving §3.2, §3.5): LangChain messages → `input`
 * items, and the chat-completions request fields `ChatDatabricks.invocationParams` builds → their
 * Responses form. Pure functions, no I/O.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { DatabricksConfigError } from "../errors.js";
import { textOf } from "./chat_outputs.js";
import { toWireMessage, type WireContentPart } from "./messages.js";
import { isRecord, type JsonRecord } from "./values.js";

/** The longest id Databricks accepts on an input item (FMAPI refuses longer ones, §3.5). */
export const MAX_INPUT_ID_LENGTH = 64;

/**
 * A conversation → `input` items: system and human messages become `{role, content}` messages
 * (text parts `input_text`, images `input_image`), tool results `function_call_output` items, and
 * an AI message the items it came from (see {@link aiMessageItems}).
 * Throws {@link DatabricksConfigError} for messages that cannot be sent.
 */
export function toResponsesInput(messages: readonly BaseMessage[]): JsonRecord[] {
  return messages.flatMap(messageItems);
}

function messageItems(message: BaseMessage): JsonRecord[] {
  const type = message.getType();
  if (type === "ai") return aiMessageItems(message);
  // One conversion for both APIs: roles, tool-call ids and content parts as on chat completions.
  const wire = toWireMessage(message);
  if (type === "tool") {
    return [
      { type: "function_call_output", call_id: wire.tool_call_id, output: outputText(message) },
    ];
  }
  return [{ role: wire.role, content: inputContent(wire.content, wire.role) }];
}

/** MLflow types `function_call_output.output` as a string: text stays text, anything else JSON. */
function outputText(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  const allText = content.every((part) => isRecord(part) && part["type"] === "text");
  return allText ? textOf(content) : JSON.stringify(content);
}

/** Chat content → Responses message content: a string as is; parts in the Responses names. */
function inputContent(content: string | WireContentPart[] | null, role: string): unknown {
  if (content === null) return "";
  if (typeof content === "string") return content;
  const textType = role === "assistant" ? "output_text" : "input_text";
  return content.map((part): JsonRecord => {
    if (part.type === "text") return { type: textType, text: part["text"] };
    if (part.type === "image_url" && isRecord(part["image_url"])) {
      const image: JsonRecord = { type: "input_image", image_url: part["image_url"]["url"] };
      if (part["image_url"]["detail"] !== undefined) image["detail"] = part["image_url"]["detail"];
      return image;
    }
    return part;
  });
}

/**
 * An AI message → input items. A message this package read from the Responses API carries the
 * items it came from in `response_metadata.output`: those are re-sent as they were (in order,
 * reasoning with its id and `encrypted_content` unchanged), cleaned per §3.5. Any other AI message
 * is rebuilt from its content and tool calls: reasoning blocks that have an `id` become
 * `reasoning` items (consecutive blocks of one id share an item; blocks without an id came from
 * another API and are not sent), text blocks `message` items, tool calls `function_call` items.
 */
export function aiMessageItems(message: BaseMessage): JsonRecord[] {
  const output = message.response_metadata?.["output"];
  if (Array.isArray(output) && output.length > 0) {
    return output.filter(isRecord).map(cleanInputItem);
  }
  const items: JsonRecord[] = [];
  const content = message.content;
  const blocks = typeof content === "string" ? [{ type: "text", text: content }] : content;
  for (const block of blocks as readonly unknown[]) {
    if (!isRecord(block)) continue;
    if (block["type"] === "reasoning") {
      addReasoning(items, block);
    } else if (
      block["type"] === "text" &&
      typeof block["text"] === "string" &&
      block["text"] !== ""
    ) {
      addText(items, block, message.id);
    }
  }
  const ai = message as BaseMessage & {
    tool_calls?: { id?: string | undefined; name: string; args: unknown }[];
    invalid_tool_calls?: { id?: string | undefined; name?: string | undefined; args?: string }[];
  };
  for (const call of ai.tool_calls ?? []) {
    items.push(functionCallItem(call.id, call.name, JSON.stringify(call.args ?? {})));
  }
  for (const call of ai.invalid_tool_calls ?? []) {
    items.push(functionCallItem(call.id, call.name ?? "", call.args ?? ""));
  }
  return items.map(cleanInputItem);
}

/**
 * Add a reasoning block: a block with a new `id` starts an item; a block with the item's id or
 * none (the second summary entry of an item carries no id) extends the previous reasoning item;
 * a block without an id and no reasoning item before it came from another API and is not sent.
 */
function addReasoning(items: JsonRecord[], block: JsonRecord): void {
  const last = items.at(-1);
  const text = typeof block["reasoning"] === "string" ? block["reasoning"] : "";
  const entry = { type: "summary_text", text };
  const id = block["id"];
  if (last?.["type"] === "reasoning" && (id === undefined || last["id"] === id)) {
    if (text !== "") (last["summary"] as JsonRecord[]).push(entry);
    if (typeof block["encrypted_content"] === "string") {
      last["encrypted_content"] = block["encrypted_content"];
    }
    return;
  }
  const item: JsonRecord = {
    type: "reasoning",
    id: block["id"],
    summary: text === "" ? [] : [entry],
  };
  if (typeof block["encrypted_content"] === "string") {
    item["encrypted_content"] = block["encrypted_content"];
  }
  items.push(item);
}

function addText(items: JsonRecord[], block: JsonRecord, messageId: string | undefined): void {
  // `annotations` is a required field of an output text part: an empty list when none.
  const annotations = Array.isArray(block["annotations"]) ? block["annotations"] : [];
  const part: JsonRecord = { type: "output_text", text: block["text"], annotations };
  const id = typeof block["id"] === "string" ? block["id"] : messageId;
  const last = items.at(-1);
  if (last?.["type"] === "message" && last["id"] === id) {
    (last["content"] as JsonRecord[]).push(part);
    return;
  }
  const item: JsonRecord = { type: "message", role: "assistant", content: [part] };
  if (id !== undefined && id !== "") item["id"] = id;
  items.push(item);
}

function functionCallItem(callId: string | undefined, name: string, args: string): JsonRecord {
  if (callId === undefined || callId === "") {
    throw new DatabricksConfigError(
      `The tool call "${name}" of an AIMessage has no id: the Responses API pairs calls and results by id. Give every tool call an id.`,
    );
  }
  const trimmed = args.trim();
  // Q11: empty arguments are sent as an empty object.
  const argumentsText = trimmed === "" || trimmed === "[]" || trimmed === "null" ? "{}" : args;
  return { type: "function_call", id: callId, call_id: callId, name, arguments: argumentsText };
}

/** The prefix Databricks requires on an item type's id (§3.5). */
const ID_PREFIXES: Readonly<Record<string, string>> = { message: "msg_", function_call: "fc_" };

/**
 * An item as Databricks accepts it on input (§3.5): `status` and every `null` removed (FMAPI
 * refuses output-only and null fields), message ids prefixed `msg_` and function-call ids `fc_`,
 * and ids cut to 64 characters as Databricks' own client does (the cut keeps the prefix), except
 * the id of a reasoning item with `encrypted_content` (see {@link keepsOriginalId}). A reasoning
 * id is never prefixed.
 */
export function cleanInputItem(item: JsonRecord): JsonRecord {
  const out = withoutNulls(item) as JsonRecord;
  delete out["status"];
  const type = typeof out["type"] === "string" ? out["type"] : "";
  if (typeof out["id"] === "string" && !keepsOriginalId(out)) {
    const prefix = ID_PREFIXES[type];
    const id =
      prefix !== undefined && !out["id"].startsWith(prefix) ? prefix + out["id"] : out["id"];
    out["id"] = id.slice(0, MAX_INPUT_ID_LENGTH);
  }
  return out;
}

/**
 * A reasoning item with `encrypted_content` keeps its id whole, even past 64 characters: the
 * backend verifies the encrypted content against that id, and any rewrite (cut included) is a
 * certain `400 … could not be verified` (§3.5), while the 64-character cut is Databricks' own
 * client's rule for every id and only response and message ids have been seen longer. Without
 * `encrypted_content` nothing is verified, and the id is cut like any other.
 */
function keepsOriginalId(item: JsonRecord): boolean {
  return item["type"] === "reasoning" && typeof item["encrypted_content"] === "string";
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: JsonRecord = {};
  for (const [key, v] of Object.entries(value)) if (v !== null) out[key] = withoutNulls(v);
  return out;
}

/** Chat-completions fields with no Responses counterpart, with what to do instead. */
const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  stop: "the Responses API has no stop sequences: remove `stop`",
  n: "the Responses API returns one answer: remove `n`",
  thinking: "send `reasoningEffort` (as `reasoning: {effort}`) instead of `thinking`",
  stream_options: "the Responses API has no `stream_options`: remove `streamOptions`",
};

/**
 * Throw {@link DatabricksConfigError}, naming the fix, when a chat body (or the constructor's
 * options under their wire names) holds a field the Responses API does not have.
 */
export function refuseUnsupported(body: JsonRecord): void {
  for (const [key, fix] of Object.entries(UNSUPPORTED_FIELDS)) {
    if (body[key] !== undefined) {
      throw new DatabricksConfigError(`useResponsesApi: ${fix}.`);
    }
  }
}

/**
 * The request fields of a chat-completions body → their Responses form (§3.2), other fields
 * unchanged: `max_tokens` → `max_output_tokens`; tools flattened to `{type: "function", name,
 * description, parameters, strict?}`; a named `tool_choice` → `{type: "function", name}`;
 * `response_format` → `text: {format}` (the flat OpenAI form `{type: "json_schema", name,
 * schema, strict}`); `reasoning_effort` → `reasoning: {effort}`. Throws for `stop`, `n`,
 * `thinking` and `stream_options` (see {@link refuseUnsupported}).
 */
export function toResponsesParams(params: JsonRecord): JsonRecord {
  refuseUnsupported(params);
  const {
    max_tokens: maxTokens,
    tools,
    tool_choice: toolChoice,
    response_format: responseFormat,
    reasoning_effort: effort,
    ...rest
  } = params;
  const out: JsonRecord = { ...rest };
  if (maxTokens !== undefined) out["max_output_tokens"] = maxTokens;
  if (Array.isArray(tools)) out["tools"] = tools.map(flatTool);
  if (toolChoice !== undefined) out["tool_choice"] = flatToolChoice(toolChoice);
  if (isRecord(responseFormat)) {
    const text = isRecord(out["text"]) ? out["text"] : {};
    out["text"] = { ...text, format: textFormat(responseFormat) };
  }
  if (effort !== undefined) {
    const reasoning = isRecord(out["reasoning"]) ? out["reasoning"] : {};
    out["reasoning"] = { ...reasoning, effort };
  }
  return out;
}

function flatTool(tool: unknown): unknown {
  if (!isRecord(tool) || tool["type"] !== "function" || !isRecord(tool["function"])) return tool;
  const { function: fn, ...rest } = tool;
  return { ...rest, ...fn, type: "function" };
}

function flatToolChoice(choice: unknown): unknown {
  if (!isRecord(choice) || !isRecord(choice["function"])) return choice;
  return { type: "function", name: choice["function"]["name"] };
}

function textFormat(format: JsonRecord): JsonRecord {
  if (format["type"] !== "json_schema" || !isRecord(format["json_schema"])) return format;
  return { type: "json_schema", ...format["json_schema"] };
}
