/**
 * Streamed chat events (`chat.completion.chunk`, ChatAgent `{delta}` chunks, usage-only chunks) →
 * LangChain `ChatGenerationChunk`s. Pure and synchronous: the model feeds it events and yields what
 * it returns.
 */
import {
  AIMessageChunk,
  type MessageContent,
  type ToolCallChunk,
  type UsageMetadata,
} from "@langchain/core/messages";
import { ChatGenerationChunk } from "@langchain/core/outputs";
import { DatabricksResponseError } from "../errors.js";
import { aiMessageChunk, maxUsage, textOf, toUsageMetadata } from "./chat_outputs.js";
import { StreamBlockIndexer } from "./reasoning.js";
import { agentMetadata, hasAgentFields } from "./agent_outputs.js";
import {
  AGENT_MESSAGE_SEPARATOR,
  assistantMessages,
  ChatAgentMessages,
  pendingToolCalls,
} from "./chat_agent.js";
import { describeValue, isRecord, type JsonRecord } from "./values.js";
import { StreamingStopCutter } from "./stop.js";
import { ThinkTagSplitter, type ThinkPiece } from "./think_tags.js";

/** Options of {@link ChatStreamAssembler}. */
export interface ChatStreamOptions {
  /** Stop sequences to cut the text at, across chunk boundaries. */
  stop?: readonly string[] | undefined;
  /** Q17: a leading `<think>…</think>` span of string content is reasoning (DeepSeek-R1). */
  thinkTags?: boolean | undefined;
  /** Emit one final chunk carrying `usage_metadata` (when the server reported usage). */
  streamUsage: boolean;
  /** Response headers (lower-case names), for `served_model_name`. */
  headers?: Record<string, string> | undefined;
}

/**
 * Turns stream events into chunks. Text and tool-call deltas become chunks as they arrive (tool
 * calls as `tool_call_chunks` with `index`, so LangChain merges the pieces); usage, model name,
 * finish reason and `custom_outputs` are held and emitted exactly once by {@link finish}, because
 * `AIMessageChunk.concat` sums numbers and concatenates strings it sees twice.
 *
 * Only choice `index` 0 is streamed (`n > 1` is not supported in streaming mode).
 */
export class ChatStreamAssembler {
  private readonly cutter: StreamingStopCutter;
  private readonly streamUsage: boolean;
  private readonly headers: Record<string, string>;
  private usage: UsageMetadata | undefined;
  private rawUsage: JsonRecord | undefined;
  private model: string | undefined;
  private id: string | undefined;
  private finishReason: string | undefined;
  private readonly agent: JsonRecord = {};
  private events = 0;
  /** ChatAgent fragments, aggregated by message id. */
  private readonly agentMessages = new ChatAgentMessages();
  private think: ThinkTagSplitter | undefined;
  private agentTextSent = false;
  private agentSeparatorDue = false;
  /** Set once the stream sends a list of parts: from then on content is indexed blocks. */
  private blocks: StreamBlockIndexer | undefined;

  constructor(options: ChatStreamOptions) {
    this.cutter = new StreamingStopCutter(options.stop);
    if (options.thinkTags) this.think = new ThinkTagSplitter();
    this.streamUsage = options.streamUsage;
    this.headers = options.headers ?? {};
  }

  /** True once a stop sequence was seen: stop reading (the rest would be cut anyway). */
  get done(): boolean {
    return this.cutter.done;
  }

  /** The chunks one event produces (often one, sometimes none). */
  push(event: unknown): ChatGenerationChunk[] {
    this.events += 1;
    if (!isRecord(event)) {
      throw new DatabricksResponseError(
        `Stream event ${this.events} is not a JSON object (${describeValue(event)}).`,
      );
    }
    if (this.model === undefined && typeof event["model"] === "string") this.model = event["model"];
    // A ChatAgent chunk's `id` names the chunk, not the answer: its message ids decide (finish).
    if (this.id === undefined && typeof event["id"] === "string" && !isAgentChunk(event)) {
      this.id = event["id"];
    }
    this.usage = maxUsage(this.usage, toUsageMetadata(event["usage"]));
    if (isRecord(event["usage"])) this.rawUsage = event["usage"]; // the latest report is the total
    // Agent metadata (custom_outputs, trace) is rare: skip the lookup on ordinary chunks. The
    // latest wins (an AgentServer's trace id arrives last, in its own frame).
    if (hasAgentFields(event)) Object.assign(this.agent, agentMetadata(event));

    let delta: JsonRecord | undefined;
    let finish: string | undefined;
    const choices = event["choices"];
    const choice = Array.isArray(choices)
      ? choices.find((c) => isRecord(c) && (c["index"] ?? 0) === 0)
      : undefined;
    if (isRecord(choice)) {
      delta = isRecord(choice["delta"])
        ? choice["delta"]
        : isRecord(choice["message"])
          ? choice["message"]
          : undefined;
      if (typeof choice["finish_reason"] === "string") finish = choice["finish_reason"];
    } else if (isRecord(event["delta"])) {
      // ChatAgent streams `{delta: {role, content, id}}` without a choice (some add `choices: []`).
      if (typeof event["finish_reason"] === "string") this.finishReason = event["finish_reason"];
      return this.cutter.done ? [] : this.fromAgentDelta(event["delta"]);
    }
    if (finish !== undefined) this.finishReason = finish;
    if (!delta || this.cutter.done) return [];
    return this.fromDelta(delta);
  }

  /** End of stream: held-back text, then one chunk with usage and response metadata. */
  finish(): ChatGenerationChunk[] {
    const out: ChatGenerationChunk[] = [];
    const thought = this.think ? this.thinkContent(this.think.flush()) : "";
    if (thought.length > 0) {
      out.push(
        new ChatGenerationChunk({
          text: textOf(thought),
          message: new AIMessageChunk({
            content: thought as MessageContent,
            ...(this.id !== undefined ? { id: this.id } : {}),
          }),
        }),
      );
    }
    const rest = this.cutter.flush();
    if (rest !== "") out.push(this.textChunk(rest));
    if (this.cutter.done) this.finishReason = "stop";
    const agentMessages = this.agentMessages.size > 0 ? this.agentMessages.list() : undefined;
    // As on invoke, a ChatAgent answer is known by its last assistant message's id.
    if (agentMessages) this.id = lastAssistantId(agentMessages) ?? this.id;
    // A ChatAgent's calls are known to be the caller's only now: no tool message answered them.
    const pending = agentMessages && !this.cutter.done ? pendingToolCalls(agentMessages) : [];
    if (pending.length > 0) {
      const message = new AIMessageChunk({
        content: "",
        tool_call_chunks: toToolCallChunks(pending),
        ...(this.id !== undefined ? { id: this.id } : {}),
      });
      out.push(new ChatGenerationChunk({ text: "", message }));
    }
    out.push(
      finalStreamChunk({
        content: "",
        model: this.model,
        id: this.id,
        finishReason: this.finishReason,
        rawUsage: this.rawUsage,
        agent: this.agent,
        headers: this.headers,
        usage: this.streamUsage ? this.usage : undefined,
        ...(agentMessages ? { additional: { messages: agentMessages } } : {}),
      }),
    );
    return out;
  }

  private fromDelta(delta: JsonRecord): ChatGenerationChunk[] {
    const content = this.contentOf(delta["content"]);
    const toolCallChunks = this.cutter.done ? [] : toToolCallChunks(delta["tool_calls"]);
    const hasContent = typeof content === "string" ? content !== "" : content.length > 0;
    if (!hasContent && toolCallChunks.length === 0) return [];
    const message = new AIMessageChunk({
      content: content as MessageContent,
      ...(toolCallChunks.length > 0 ? { tool_call_chunks: toolCallChunks } : {}),
      ...(this.id !== undefined ? { id: this.id } : {}),
    });
    // No `generationInfo` here: LangChain copies it into `response_metadata`, where a finish reason
    // repeated on two chunks would be concatenated by `concat`. The final chunk carries it.
    return [new ChatGenerationChunk({ text: textOf(content), message })];
  }

  /**
   * One ChatAgent fragment: aggregated by message id; assistant text streams at once (a blank line
   * between two messages' text), tool messages and tool calls wait for {@link finish}, which knows
   * which calls the agent executed.
   */
  private fromAgentDelta(delta: JsonRecord): ChatGenerationChunk[] {
    const { isNew, role } = this.agentMessages.add(delta);
    if (role !== undefined && role !== "assistant") return [];
    if (isNew && this.agentTextSent) this.agentSeparatorDue = true;
    let raw = delta["content"];
    if (typeof raw === "string" && raw !== "" && this.agentSeparatorDue) {
      raw = AGENT_MESSAGE_SEPARATOR + raw;
      this.agentSeparatorDue = false;
    }
    if (typeof raw === "string" && raw !== "") this.agentTextSent = true;
    return this.fromDelta({ content: raw });
  }

  /** Held-back text, as the stream's other text: a string or an indexed text block. */
  private textChunk(text: string): ChatGenerationChunk {
    const content = this.blocks ? [this.blocks.text(text)] : text;
    return new ChatGenerationChunk({
      text,
      message: new AIMessageChunk({
        content: content as MessageContent,
        ...(this.id !== undefined ? { id: this.id } : {}),
      }),
    });
  }

  /**
   * Pieces of a `<think>` stream (Q17) → chunk content: answer text stays a string until the first
   * reasoning piece; from then on, as with reasoning parts, every piece is an indexed block.
   */
  private thinkContent(pieces: readonly ThinkPiece[]): string | JsonRecord[] {
    const out: JsonRecord[] = [];
    let plain = "";
    for (const piece of pieces) {
      if (piece.kind === "reasoning") {
        this.blocks ??= new StreamBlockIndexer();
        out.push(...this.blocks.reasoning({ type: "reasoning", summary: [{ text: piece.text }] }));
        continue;
      }
      const text = this.cutter.push(piece.text);
      if (text === "") continue;
      if (this.blocks) out.push(this.blocks.text(text));
      else plain += text;
    }
    return this.blocks ? out : plain;
  }

  /**
   * Delta content (a string, a list of parts, null or absent) → chunk content. Plain text streams
   * stay strings. Once a list arrives (reasoning models), every piece becomes an indexed block, so
   * `concat` rebuilds the blocks of the non-streamed answer instead of one text block per chunk.
   * Stop sequences apply to the answer text only.
   */
  private contentOf(raw: unknown): string | JsonRecord[] {
    if (typeof raw === "string" && this.think) return this.thinkContent(this.think.push(raw));
    if (typeof raw === "string") {
      const text = this.cutter.push(raw);
      if (!this.blocks || text === "") return text;
      return [this.blocks.text(text)];
    }
    if (!Array.isArray(raw)) return "";
    this.blocks ??= new StreamBlockIndexer();
    const out: JsonRecord[] = [];
    for (const part of raw) {
      if (typeof part === "string" || (isRecord(part) && part["type"] === "text")) {
        const piece = typeof part === "string" ? part : part["text"];
        const text = typeof piece === "string" ? this.cutter.push(piece) : "";
        if (text !== "") out.push(this.blocks.text(text));
      } else if (isRecord(part) && part["type"] === "reasoning") {
        out.push(...this.blocks.reasoning(part));
      } else if (isRecord(part)) {
        out.push(this.blocks.other(part));
      }
    }
    return out;
  }
}

/** A ChatAgent chunk: a top-level `delta` and no choice 0 (some agents add `choices: []`). */
function isAgentChunk(event: JsonRecord): boolean {
  if (!isRecord(event["delta"])) return false;
  const choices = event["choices"];
  return !Array.isArray(choices) || !choices.some((c) => isRecord(c) && (c["index"] ?? 0) === 0);
}

/** The id of the last assistant message of a ChatAgent answer. */
function lastAssistantId(messages: readonly unknown[]): string | undefined {
  const id = assistantMessages(messages).at(-1)?.["id"];
  return typeof id === "string" ? id : undefined;
}

/** Wire tool-call deltas → LangChain tool-call chunks (`index` keys the merge). */
export function toToolCallChunks(raw: unknown): ToolCallChunk[] {
  if (!Array.isArray(raw)) return [];
  const out: ToolCallChunk[] = [];
  raw.forEach((item, position) => {
    if (!isRecord(item)) return;
    const fn = isRecord(item["function"]) ? item["function"] : {};
    const chunk: ToolCallChunk = {
      type: "tool_call_chunk",
      index: typeof item["index"] === "number" ? item["index"] : position,
    };
    if (typeof item["id"] === "string" && item["id"] !== "") chunk.id = item["id"];
    if (typeof fn["name"] === "string" && fn["name"] !== "") chunk.name = fn["name"];
    const args = fn["arguments"];
    if (typeof args === "string") chunk.args = args;
    else if (isRecord(args)) chunk.args = JSON.stringify(args);
    out.push(chunk);
  });
  return out;
}

/** What the last chunk of a stream reports (see {@link finalStreamChunk}). */
export interface StreamSummary {
  /** The empty content of the stream's kind: `""` for chat, `[]` for block streams. */
  content: "" | [];
  model: string | undefined;
  id: string | undefined;
  finishReason: string | undefined;
  /** The usage as the server reported it, kept in `response_metadata.usage`. */
  rawUsage: JsonRecord | undefined;
  /** `agentMetadata` fields: `custom_outputs`, `databricks_output`, `trace_id`. */
  agent: JsonRecord;
  /** Response headers, for `served_model_name`. */
  headers: Record<string, string>;
  /** `usage_metadata`, unless `streamUsage` is off. */
  usage: UsageMetadata | undefined;
  /** Further `response_metadata` fields (the Responses output items). */
  extra?: JsonRecord;
  /** Further `additional_kwargs` fields (a ChatAgent's messages), beside `custom_outputs`. */
  additional?: JsonRecord;
}

/**
 * The one chunk that ends a stream with its usage and response metadata (model name, id, finish
 * reason, raw usage, agent metadata, `served_model_name`), emitted once because
 * `AIMessageChunk.concat` sums numbers and joins strings it sees twice.
 */
export function finalStreamChunk(summary: StreamSummary): ChatGenerationChunk {
  const metadata: JsonRecord = {};
  if (summary.model !== undefined) metadata["model_name"] = summary.model;
  if (summary.id !== undefined) metadata["id"] = summary.id;
  if (summary.finishReason !== undefined) metadata["finish_reason"] = summary.finishReason;
  if (summary.rawUsage !== undefined) metadata["usage"] = summary.rawUsage;
  Object.assign(metadata, summary.agent);
  const served = summary.headers["served-model-name"];
  if (served) metadata["served_model_name"] = served;
  Object.assign(metadata, summary.extra);
  const additional: JsonRecord = { ...summary.additional };
  const customOutputs = summary.agent["custom_outputs"];
  if (customOutputs !== undefined) additional["custom_outputs"] = customOutputs;
  const message = aiMessageChunk(
    {
      content: summary.content,
      response_metadata: metadata,
      ...(Object.keys(additional).length > 0 ? { additional_kwargs: additional } : {}),
      ...(summary.id !== undefined ? { id: summary.id } : {}),
    },
    summary.usage,
  );
  return new ChatGenerationChunk({
    text: "",
    message,
    ...(summary.finishReason !== undefined
      ? { generationInfo: { finish_reason: summary.finishReason } }
      : {}),
  });
}
