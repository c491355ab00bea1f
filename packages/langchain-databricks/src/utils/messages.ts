/**
 * LangChain messages → the OpenAI-style `messages` array that Databricks chat endpoints take
 * (Foundation Model APIs, external models, agents). Pure functions, no I/O.
 */
import type { BaseMessage, MessageContent } from "@langchain/core/messages";
import { DatabricksConfigError } from "../errors.js";
import { toWireReasoningPart } from "./reasoning.js";

/** One OpenAI-style content part. */
export type WireContentPart = { type: string; [key: string]: unknown };

/** One OpenAI-style tool call as sent in an assistant message. */
export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** One chat message on the wire. */
export interface WireMessage {
  role: string;
  content: string | WireContentPart[] | null;
  name?: string;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
}

/** The Python successor's text, kept so users searching for it find the same cause. */
export const FUNCTION_MESSAGE_ERROR =
  "Function messages are not supported by Databricks. Please create a feature request at https://github.com/mlflow/mlflow/issues. Use a ToolMessage (with tool_call_id) for tool results instead.";

/** Convert a conversation. Throws {@link DatabricksConfigError} for unsupported message types. */
export function toWireMessages(messages: readonly BaseMessage[]): WireMessage[] {
  return messages.map(toWireMessage);
}

/** Convert one message (see {@link toWireMessages}). */
export function toWireMessage(message: BaseMessage): WireMessage {
  const type = message.getType();
  switch (type) {
    case "system":
      return withName({ role: "system", content: toWireContent(message.content) }, message);
    case "human":
      return withName({ role: "user", content: toWireContent(message.content) }, message);
    case "ai":
      return aiToWire(message);
    case "tool": {
      const toolCallId = (message as BaseMessage & { tool_call_id?: unknown }).tool_call_id;
      if (typeof toolCallId !== "string" || toolCallId === "") {
        throw new DatabricksConfigError(
          "A ToolMessage needs a tool_call_id to be sent to Databricks.",
        );
      }
      return { role: "tool", content: toWireContent(message.content), tool_call_id: toolCallId };
    }
    case "generic": {
      const role = (message as BaseMessage & { role?: unknown }).role;
      if (typeof role !== "string" || role === "") {
        throw new DatabricksConfigError("A ChatMessage needs a role to be sent to Databricks.");
      }
      return withName({ role, content: toWireContent(message.content) }, message);
    }
    case "function":
      throw new DatabricksConfigError(FUNCTION_MESSAGE_ERROR);
    default:
      throw new DatabricksConfigError(
        `Messages of type "${type}" cannot be sent to Databricks (use system, human, AI, tool or chat messages).`,
      );
  }
}

function aiToWire(message: BaseMessage): WireMessage {
  const ai = message as BaseMessage & {
    tool_calls?: { id?: string | undefined; name: string; args: unknown }[];
    invalid_tool_calls?: {
      id?: string | undefined;
      name?: string | undefined;
      args?: string | undefined;
    }[];
  };
  const toolCalls: WireToolCall[] = [];
  for (const call of ai.tool_calls ?? []) {
    toolCalls.push({
      id: call.id ?? "",
      type: "function",
      function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
    });
  }
  // A history may carry calls whose arguments were not valid JSON; send them back verbatim so the
  // model sees what it produced (as @langchain/openai does).
  for (const call of ai.invalid_tool_calls ?? []) {
    toolCalls.push({
      id: call.id ?? "",
      type: "function",
      function: { name: call.name ?? "", arguments: call.args ?? "" },
    });
  }
  const content = toWireContent(message.content);
  const wire: WireMessage = { role: "assistant", content };
  if (toolCalls.length > 0) {
    wire.tool_calls = toolCalls;
    // OpenAI-style servers expect `null`, not an empty string, next to tool calls.
    if (content === "" || (Array.isArray(content) && content.length === 0)) wire.content = null;
  }
  return withName(wire, message);
}

function withName(wire: WireMessage, message: BaseMessage): WireMessage {
  if (typeof message.name === "string" && message.name !== "") wire.name = message.name;
  return wire;
}

/**
 * Message content → wire content. Strings pass through; LangChain content blocks become OpenAI
 * parts: `text` stays, `image_url` is normalised to `{url}`, standard image blocks (`{type:"image",
 * url | data + mimeType}` and the older `source_type` form) become `image_url` parts with a URL or a
 * data URL. Reasoning blocks of an earlier answer become the wire reasoning parts they came from,
 * signature and redacted data included (modern-serving §1.4). Other parts pass through unchanged.
 */
export function toWireContent(content: MessageContent): string | WireContentPart[] {
  if (typeof content === "string") return content;
  const parts: WireContentPart[] = [];
  for (const block of content as readonly unknown[]) {
    if (typeof block === "string") {
      parts.push({ type: "text", text: block });
      continue;
    }
    if (!block || typeof block !== "object") continue;
    const part = block as Record<string, unknown>;
    switch (part["type"]) {
      case "text":
        parts.push({ type: "text", text: String(part["text"] ?? "") });
        break;
      case "image_url":
        parts.push({ type: "image_url", image_url: imageUrlOf(part["image_url"]) });
        break;
      case "image":
        parts.push({ type: "image_url", image_url: { url: standardImageUrl(part) } });
        break;
      case "reasoning":
        parts.push(toWireReasoningPart(part) as WireContentPart);
        break;
      default:
        parts.push(part as WireContentPart);
    }
  }
  return parts;
}

function imageUrlOf(value: unknown): { url: string; detail?: string } {
  if (typeof value === "string") return { url: value };
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof obj["url"] === "string") {
      return typeof obj["detail"] === "string"
        ? { url: obj["url"], detail: obj["detail"] }
        : { url: obj["url"] };
    }
  }
  throw new DatabricksConfigError('An "image_url" content part needs a URL string.');
}

function standardImageUrl(part: Record<string, unknown>): string {
  const url = part["url"];
  if (typeof url === "string" && url !== "") return url;
  const data = part["data"];
  const mime = part["mimeType"] ?? part["mime_type"] ?? "image/png";
  if (typeof data === "string" && data !== "") {
    return data.startsWith("data:") ? data : `data:${String(mime)};base64,${data}`;
  }
  throw new DatabricksConfigError(
    'An "image" content block needs a `url` or base64 `data` (file ids are not supported by Databricks).',
  );
}
