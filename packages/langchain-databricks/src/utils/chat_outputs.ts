/**
 * Databricks chat answers → LangChain messages: OpenAI-style chat completions, ChatAgent answers
 * (`{"messages": [...]}` without `choices`) and token usage. Pure functions, no I/O.
 */
import {
  AIMessageChunk,
  type AIMessageChunkFields,
  type InvalidToolCall,
  type MessageContent,
  type ToolCall,
  type UsageMetadata,
} from "@langchain/core/messages";
import type { ChatGeneration } from "@langchain/core/outputs";
import { DatabricksResponseError } from "../errors.js";
import { reasoningBlocksOf } from "./reasoning.js";
import { cutAtStop } from "./stop.js";
import { splitThinkTags } from "./think_tags.js";
import { toUsageMetadata } from "./usage.js";
export { maxUsage, toUsageMetadata } from "./usage.js";
import { agentMetadata } from "./agent_outputs.js";
import { AGENT_MESSAGE_SEPARATOR, assistantMessages, pendingToolCalls } from "./chat_agent.js";
import { describeValue, isRecord, type JsonRecord } from "./values.js";

/**
 * `new AIMessageChunk(fields)` with optional usage. `usage_metadata` is set through a cast because
 * @langchain/core 1.4's structure-inferred field type collapses to `never` under
 * `exactOptionalPropertyTypes`.
 */
export function aiMessageChunk(
  fields: Omit<AIMessageChunkFields, "usage_metadata">,
  usage?: UsageMetadata | undefined,
): AIMessageChunk {
  return new AIMessageChunk(
    usage ? ({ ...fields, usage_metadata: usage } as unknown as AIMessageChunkFields) : fields,
  );
}

/** Parse one wire tool call (`{id, function: {name, arguments}}`) strictly: bad JSON is invalid. */
export function parseWireToolCall(raw: unknown): { valid?: ToolCall; invalid?: InvalidToolCall } {
  const call = isRecord(raw) ? raw : {};
  const fn = isRecord(call["function"]) ? call["function"] : {};
  const id = typeof call["id"] === "string" ? call["id"] : undefined;
  const name = typeof fn["name"] === "string" ? fn["name"] : "";
  const args = fn["arguments"];
  // Some endpoints send the arguments as an object rather than a JSON string.
  if (isRecord(args)) return { valid: toolCall(name, args, id) };
  const text = typeof args === "string" ? args : "";
  try {
    const parsed: unknown = JSON.parse(text.trim() === "" ? "{}" : text);
    if (isRecord(parsed)) return { valid: toolCall(name, parsed, id) };
    return {
      invalid: invalidToolCall(name, text, id, "Tool call arguments are not a JSON object."),
    };
  } catch (error) {
    return {
      invalid: invalidToolCall(
        name,
        text,
        id,
        error instanceof Error ? error.message : String(error),
      ),
    };
  }
}

function toolCall(name: string, args: JsonRecord, id: string | undefined): ToolCall {
  return id === undefined
    ? { name, args, type: "tool_call" }
    : { name, args, id, type: "tool_call" };
}

function invalidToolCall(
  name: string,
  args: string,
  id: string | undefined,
  error: string,
): InvalidToolCall {
  return { name, args, ...(id === undefined ? {} : { id }), error, type: "invalid_tool_call" };
}

/**
 * Wire message content → LangChain content. Strings stay strings; a list of parts (reasoning models
 * answer `[{type: "reasoning", ...}, {type: "text", ...}]`) is kept as content blocks, never
 * JSON-dumped (databricks-ai-bridge#350): reasoning parts become standard reasoning blocks (see
 * `reasoning.ts`), other parts pass through. `null` becomes `""`.
 */
export function toLangChainContent(content: unknown): string | JsonRecord[] {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.flatMap((part): JsonRecord[] => {
      if (!isRecord(part)) return [{ type: "text", text: String(part) }];
      return part["type"] === "reasoning" ? reasoningBlocksOf(part) : [part];
    });
  }
  if (isRecord(content)) return [content];
  return String(content);
}

/** Q17: string content with a leading `<think>` span → a reasoning block and the answer text. */
function withThinkReasoning(content: string | JsonRecord[]): string | JsonRecord[] {
  if (typeof content !== "string") return content;
  const { reasoning, text } = splitThinkTags(content);
  if (reasoning === undefined) return content;
  return [{ type: "reasoning", reasoning }, ...(text === "" ? [] : [{ type: "text", text }])];
}

/** The text of LangChain content (text parts only). */
export function textOf(content: string | readonly unknown[]): string {
  if (typeof content === "string") return content;
  let text = "";
  for (const part of content) {
    if (isRecord(part) && part["type"] === "text" && typeof part["text"] === "string")
      text += part["text"];
  }
  return text;
}

/** Cut content at the first stop sequence: a string, or the text parts of a list in order. */
export function cutContentAtStop(
  content: string | JsonRecord[],
  stop: readonly string[] | undefined,
): { content: string | JsonRecord[]; cut: boolean } {
  if (!stop || stop.length === 0) return { content, cut: false };
  if (typeof content === "string") {
    const cut = cutAtStop(content, stop);
    return { content: cut, cut: cut.length !== content.length };
  }
  const out: JsonRecord[] = [];
  for (const part of content) {
    if (part["type"] === "text" && typeof part["text"] === "string") {
      const cut = cutAtStop(part["text"], stop);
      if (cut.length !== part["text"].length) {
        if (cut !== "") out.push({ ...part, text: cut });
        return { content: out, cut: true };
      }
    }
    out.push(part);
  }
  return { content: out, cut: false };
}

/** What {@link parseChatResponse} needs besides the body. */
export interface ParseContext {
  /** Response headers (lower-case names); `served-model-name` is surfaced. */
  headers: Record<string, string>;
  /** Stop sequences to cut the text at (client-side backstop). */
  stop?: readonly string[] | undefined;
  /** Q17: a leading `<think>…</think>` span of string content is reasoning (DeepSeek-R1). */
  thinkTags?: boolean | undefined;
}

/**
 * A chat answer → one generation per choice, each an `AIMessageChunk` (so LangChain's base
 * structured-output parsers accept it), with tool calls, usage and response metadata.
 * Throws {@link DatabricksResponseError} when the body is neither a chat completion nor a ChatAgent
 * answer.
 */
export function parseChatResponse(
  data: unknown,
  context: ParseContext,
): { generations: ChatGeneration[]; usage: UsageMetadata | undefined } {
  if (!isRecord(data)) {
    throw new DatabricksResponseError(
      `Expected a JSON object from the chat endpoint, got ${describeValue(data)}.`,
    );
  }
  const usage = toUsageMetadata(data["usage"]);
  const base = responseMetadata(data, context.headers);
  const choices = data["choices"];
  if (Array.isArray(choices) && choices.length > 0) {
    const generations = choices.map((choice, i) => {
      const c = isRecord(choice) ? choice : {};
      const message = isRecord(c["message"])
        ? c["message"]
        : isRecord(c["delta"])
          ? c["delta"]
          : undefined;
      if (!message) {
        throw new DatabricksResponseError(`Chat answer choice ${i} has no "message".`);
      }
      const finishReason = typeof c["finish_reason"] === "string" ? c["finish_reason"] : undefined;
      return buildGeneration(
        message,
        { ...base, ...(finishReason !== undefined ? { finish_reason: finishReason } : {}) },
        // Usage belongs to the whole answer: attach it to the first generation only.
        i === 0 ? usage : undefined,
        context.stop,
        context.thinkTags,
      );
    });
    return { generations, usage };
  }
  const agentMessages = data["messages"];
  if (Array.isArray(agentMessages)) {
    return {
      generations: [chatAgentGeneration(data, agentMessages, base, usage, context.stop)],
      usage,
    };
  }
  // MLflow's deprecated agent schema answers `StringResponse`: `{"content": "..."}`.
  if (typeof data["content"] === "string") {
    return {
      generations: [buildGeneration({ content: data["content"] }, base, usage, context.stop)],
      usage,
    };
  }
  const hint =
    "predictions" in data
      ? " The endpoint answered like a custom MLflow model (`predictions`); use the Databricks LLM class or an endpoint with the llm/v1/chat task."
      : "";
  throw new DatabricksResponseError(
    `Expected a chat completion (\`choices\`), a ChatAgent answer (\`messages\`) or an agent's \`content\`, got keys [${Object.keys(data).join(", ")}].${hint}`,
  );
}

function buildGeneration(
  message: JsonRecord,
  metadata: JsonRecord,
  usage: UsageMetadata | undefined,
  stop: readonly string[] | undefined,
  thinkTags = false,
): ChatGeneration {
  const wireContent = toLangChainContent(message["content"]);
  const { content, cut } = cutContentAtStop(
    thinkTags ? withThinkReasoning(wireContent) : wireContent,
    stop,
  );
  const toolCalls: ToolCall[] = [];
  const invalid: InvalidToolCall[] = [];
  if (Array.isArray(message["tool_calls"])) {
    for (const raw of message["tool_calls"]) {
      const parsed = parseWireToolCall(raw);
      if (parsed.valid) toolCalls.push(parsed.valid);
      if (parsed.invalid) invalid.push(parsed.invalid);
    }
  }
  const finish = cut ? { ...metadata, finish_reason: "stop" } : metadata;
  const ai = aiMessageChunk(
    {
      content: content as MessageContent,
      tool_calls: toolCalls,
      response_metadata: finish,
      ...(typeof metadata["id"] === "string" ? { id: metadata["id"] } : {}),
    },
    usage,
  );
  // AIMessageChunk's constructor drops `invalid_tool_calls` when no chunks are given; set them after.
  if (invalid.length > 0) {
    ai.invalid_tool_calls = invalid;
    ai.lc_kwargs["invalid_tool_calls"] = invalid;
  }
  const generationInfo =
    typeof finish["finish_reason"] === "string"
      ? { finish_reason: finish["finish_reason"] }
      : undefined;
  return { text: textOf(content), message: ai, ...(generationInfo ? { generationInfo } : {}) };
}

/**
 * A ChatAgent answer lists every message the agent produced (`chat_agent.ts`): the reply's text is
 * every assistant message's, joined by a blank line; its tool calls are those no tool message of
 * the answer answers (the agent ran the others). The full list stays in
 * `additional_kwargs.messages`, with `custom_outputs`.
 */
function chatAgentGeneration(
  data: JsonRecord,
  messages: unknown[],
  metadata: JsonRecord,
  usage: UsageMetadata | undefined,
  stop: readonly string[] | undefined,
): ChatGeneration {
  const replies = assistantMessages(messages);
  const last = replies[replies.length - 1];
  if (last === undefined) {
    throw new DatabricksResponseError("The ChatAgent answer contains no assistant message.");
  }
  const texts: string[] = [];
  let blocks: JsonRecord[] | undefined;
  for (const m of replies) {
    const content = toLangChainContent(m["content"]);
    if (typeof content === "string") {
      if (content !== "") texts.push(content);
    } else {
      blocks = [...(blocks ?? []), ...content];
    }
  }
  const content: string | JsonRecord[] = blocks
    ? [...texts.map((text) => ({ type: "text", text })), ...blocks]
    : texts.join(AGENT_MESSAGE_SEPARATOR);
  const finishReason = data["finish_reason"];
  const generation = buildGeneration(
    { content, tool_calls: pendingToolCalls(messages) },
    {
      ...metadata,
      ...(typeof last["id"] === "string" ? { id: last["id"] } : {}),
      ...(typeof finishReason === "string" ? { finish_reason: finishReason } : {}),
    },
    usage,
    stop,
  );
  const extra: JsonRecord = { messages };
  if (data["custom_outputs"] !== undefined) extra["custom_outputs"] = data["custom_outputs"];
  generation.message.additional_kwargs = { ...generation.message.additional_kwargs, ...extra };
  return generation;
}

/**
 * `model_name`, `id`, the raw `usage`, an agent's `custom_outputs`, `databricks_output` and
 * `trace_id`, and `served_model_name` from the body and headers, when present.
 */
export function responseMetadata(data: JsonRecord, headers: Record<string, string>): JsonRecord {
  const out: JsonRecord = {};
  if (typeof data["model"] === "string") out["model_name"] = data["model"];
  if (typeof data["id"] === "string") out["id"] = data["id"];
  if (isRecord(data["usage"])) out["usage"] = data["usage"];
  Object.assign(out, agentMetadata(data));
  const served = headers["served-model-name"];
  if (served) out["served_model_name"] = served;
  return out;
}
