import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ExecutedToolCall } from "./agents.js";
import type { FinalChoice } from "./generation.js";
import type { JsonObject } from "./types.js";

/**
 * The Responses API's output items, usage and response object (modern-serving.md §3.3), shared by
 * the non-streaming answer and the streams, so both carry the same items.
 */

/** A non-streaming id: the prefix and 32 hex characters (the capture's ids are ≤ 55). */
export function responsesId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, "")}`;
}

/** Length of a streaming-path id under `longStreamingIds` (§3.5: ~192 characters). */
const LONG_ID_LENGTH = 192;

/** A long streaming-path id, `<prefix>_01c6…` as in the gateway capture (unity-gateway#99). */
export function longResponsesId(prefix: string): string {
  const head = `${prefix}_01c6`;
  return (
    head +
    randomBytes(LONG_ID_LENGTH)
      .toString("hex")
      .slice(0, LONG_ID_LENGTH - head.length)
  );
}

/**
 * The items with their `id` replaced by a {@link longResponsesId} of the same prefix (`msg_`,
 * `rs_`, `fc_`): under `longStreamingIds` the output item ids a client echoes back are the long
 * ones too (§3.5, ai-bridge: "FMAPI returns response and output item ids longer than 64 chars,
 * but rejects them on the next turn's input"). `call_id` is left alone: it is not an item id.
 */
export function withLongIds(items: JsonObject[]): JsonObject[] {
  return items.map((item) => {
    const id = item["id"];
    const prefix = typeof id === "string" ? /^([a-z]+)_/.exec(id)?.[1] : undefined;
    return prefix === undefined ? item : { ...item, id: longResponsesId(prefix) };
  });
}

/** `{"type":"output_text", text, annotations:[], logprobs:null}`. */
export function outputTextPart(text: string): JsonObject {
  return { type: "output_text", text, annotations: [], logprobs: null };
}

/** An assistant `message` item. */
export function messageItem(id: string, text: string, status: string): JsonObject {
  return {
    type: "message",
    id,
    role: "assistant",
    status,
    content: [outputTextPart(text)],
  };
}

/** A `function_call` item: `fc_` id, the backend's `call_…` id as `call_id`. */
export function functionCallItem(
  call: { id: string; name: string; arguments: string },
  status = "completed",
): JsonObject {
  return {
    type: "function_call",
    id: `fc_${call.id.replace(/^call_/, "")}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status,
  };
}

/** A `reasoning` item with one `summary_text`; `encrypted_content` only when included. */
export function reasoningItem(text: string, encrypted: string | null): JsonObject {
  return {
    type: "reasoning",
    id: responsesId("rs"),
    summary: [{ type: "summary_text", text }],
    encrypted_content: encrypted,
  };
}

/** Opaque `encrypted_content` bound to the model and the reasoning text. */
export function encryptedReasoning(model: string, text: string): string {
  return `gAAAAA${createHash("sha512").update(`${model}\n${text}`).digest("base64")}`;
}

/** The pair an agent returns for a tool it ran itself (§6.3: "paired in output"). */
export function executedToolItems(call: ExecutedToolCall): [JsonObject, JsonObject] {
  return [
    functionCallItem({ id: call.callId, name: call.name, arguments: call.arguments }),
    { type: "function_call_output", call_id: call.callId, output: call.output },
  ];
}

/**
 * The answer's own items: a message when there is text, then one `function_call` per tool call.
 * A choice cut by `max_output_tokens` gives an `incomplete` message.
 */
export function answerItems(choice: FinalChoice, messageId: string): JsonObject[] {
  const items: JsonObject[] = [];
  const incomplete = choice.finishReason === "length";
  if (choice.text !== null && (choice.text !== "" || choice.toolCalls.length === 0))
    items.push(messageItem(messageId, choice.text, incomplete ? "incomplete" : "completed"));
  for (const call of choice.toolCalls) items.push(functionCallItem(call));
  return items;
}

/** Responses usage: reasoning counts as output, as OpenAI bills it. */
export function responsesUsage(input: number, output: number, reasoning: number): JsonObject {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output + reasoning,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output + reasoning,
  };
}

/** What a response object is built from. */
export interface ResponseParts {
  id: string;
  model: string;
  createdAt: number;
  output: JsonObject[];
  usage: JsonObject | null;
  /** `max_output_tokens` hit: status `incomplete` and `incomplete_details`. */
  truncated: boolean;
  metadata: JsonObject;
  /** Agent extras (`custom_outputs`, `databricks_output`). */
  extras: JsonObject;
}

/** The §3.3 response object (`status` given for the stream's `in_progress` snapshots). */
export function responseObject(parts: ResponseParts, status?: string): JsonObject {
  const final = status ?? (parts.truncated ? "incomplete" : "completed");
  return {
    id: parts.id,
    object: "response",
    created_at: parts.createdAt,
    model: parts.model,
    status: final,
    output: parts.output,
    usage: parts.usage,
    error: null,
    incomplete_details: final === "incomplete" ? { reason: "max_output_tokens" } : null,
    metadata: parts.metadata,
    ...parts.extras,
  };
}
