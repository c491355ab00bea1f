/**
 * Streamed Responses API events (modern-serving §3.4) → LangChain `ChatGenerationChunk`s. Pure and
 * synchronous, like `ChatStreamAssembler`: the model feeds it events and yields what it returns.
 *
 * The rules of §3.4, each kept here:
 * - events are told apart by their JSON `type` (the SSE `event:` line is never read); frames with
 *   no or an unknown type are skipped, except for the agent metadata they carry (`{"trace_id"}`);
 * - deltas are grouped by `output_index` where present (their `item_id` may differ from the
 *   item's), else by `item_id`; the final ids come from `response.output_item.done`;
 * - text and reasoning summaries are emitted from deltas, and from `output_item.done` only what
 *   the deltas did not already stream (all of it for a multi-agent supervisor, which sends no
 *   deltas; the missing tail when `done` extends the streamed text), never twice;
 * - a stream may hold several `response.created … response.completed` cycles: it is read to
 *   `[DONE]` or the end of the body, and usage (`usage_metadata` and the raw
 *   `response_metadata.usage` alike) is added up over the cycles' `response.completed`;
 *   a cycle that sent no item events has its answer only in `response.completed`, whose items are
 *   then emitted (those already seen, by id or `call_id`, are not emitted again);
 * - `function_call` items become tool calls only if no `function_call_output` answers them in the
 *   same stream (those were run by the server or agent), so they are emitted at the end;
 * - `error` events and `response.failed` throw the matching `DatabricksAPIError`.
 */
import { AIMessageChunk, type MessageContent, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk } from "@langchain/core/outputs";
import { DatabricksResponseError } from "../errors.js";
import type { SseRules } from "../transport/sse.js";
import { agentMetadata, hasAgentFields } from "./agent_outputs.js";
import { finalStreamChunk } from "./chat_stream.js";
import {
  executedCallIds,
  finishReasonOf,
  partText,
  reasoningItemBlocks,
  responsesFailure,
  textBlock,
} from "./responses_output.js";
import { sumRawUsage, sumUsage, toUsageMetadata } from "./usage.js";
import { describeValue, isRecord, type JsonRecord } from "./values.js";

/** Options of {@link ResponsesStreamAssembler}. */
export interface ResponsesStreamOptions {
  /** Emit `usage_metadata` on the final chunk (when the server reported usage). */
  streamUsage: boolean;
  /** Response headers (lower-case names), for `served_model_name`. */
  headers?: Record<string, string> | undefined;
  /** Method and path, for error messages. */
  request: string;
}

/**
 * Whether a Responses stream that ends without `[DONE]` is complete: OpenAI-style streams stop
 * after their terminal `response.completed` (or `response.incomplete`) event.
 */
export function responsesStreamComplete(lastEvent: unknown): boolean {
  const type = isRecord(lastEvent) ? lastEvent["type"] : undefined;
  return type === "response.completed" || type === "response.incomplete";
}

/** How Responses streams are framed (§3.4): typed payloads, and no `[DONE]` on some routes. */
export const RESPONSES_SSE_RULES: SseRules = {
  completeAtEof: responsesStreamComplete,
  ignoreEventNames: true,
};

/**
 * The events that emit an item's content or make it an item (a cycle with any of them streamed its
 * answer; one with none has it only in `response.completed`).
 */
const ITEM_EVENTS: ReadonlySet<string> = new Set([
  "response.output_item.added",
  "response.output_item.done",
  "response.output_text.delta",
  "response.reasoning_summary_text.delta",
  "response.function_call_arguments.delta",
]);

/** What the stream said so far about one output item. */
interface ItemState {
  type: string | undefined;
  id: string | undefined;
  /** Text streamed by deltas (messages). */
  text: string;
  /** Reasoning summary text streamed per `summary_index`. */
  summaries: string[];
  /** Function call fields from `output_item.added` and argument deltas. */
  call: JsonRecord;
  /** Content index of the message's text block / reasoning blocks per summary. */
  textIndex: number | undefined;
  reasoningIndexes: number[];
  /** The item of `response.output_item.done` (or a bare `function_call_output` frame). */
  done: JsonRecord | undefined;
}

/**
 * Turns Responses stream events into chunks: text and reasoning as indexed standard content
 * blocks (the same blocks `invoke` returns), then at {@link finish} the pending tool calls and one
 * chunk with usage, finish reason, agent metadata and the output items in `response_metadata`.
 */
export class ResponsesStreamAssembler {
  /** A Responses stream is never cut short by the client (it has no stop sequences). */
  readonly done = false;
  private readonly streamUsage: boolean;
  private readonly headers: Record<string, string>;
  private readonly request: string;
  private readonly items = new Map<string, ItemState>();
  /** Every item state, in order of first appearance (a replaced index keeps its old state here). */
  private readonly order: ItemState[] = [];
  /** `item:<id>` aliases of the states keyed by output index. */
  private readonly aliases = new Map<string, ItemState>();
  private cycle = 0;
  private nextIndex = 0;
  private events = 0;
  private id: string | undefined;
  private model: string | undefined;
  private usage: UsageMetadata | undefined;
  private rawUsage: JsonRecord | undefined;
  private lastResponse: JsonRecord = {};
  private readonly agent: JsonRecord = {};
  /** Whether the current cycle (since the last `response.created`) sent any item event. */
  private cycleHasItems = false;

  constructor(options: ResponsesStreamOptions) {
    this.streamUsage = options.streamUsage;
    this.headers = options.headers ?? {};
    this.request = options.request;
  }

  /** The chunks one event produces (often one, sometimes none). */
  push(event: unknown): ChatGenerationChunk[] {
    this.events += 1;
    if (!isRecord(event)) {
      throw new DatabricksResponseError(
        `Stream event ${this.events} is not a JSON object (${describeValue(event)}).`,
      );
    }
    if (hasAgentFields(event)) Object.assign(this.agent, agentMetadata(event));
    const type = event["type"];
    if (typeof type === "string" && ITEM_EVENTS.has(type)) this.cycleHasItems = true;
    switch (type) {
      case "response.created":
        this.cycle += 1;
        this.cycleHasItems = false;
        this.readResponse(event["response"], false);
        return [];
      case "response.in_progress":
        this.readResponse(event["response"], false);
        return [];
      case "response.completed":
      case "response.incomplete":
        this.readResponse(event["response"], true);
        return this.completedItems(event["response"]);
      case "response.failed": {
        const response = isRecord(event["response"]) ? event["response"] : {};
        throw responsesFailure(
          response["error"] ?? { message: "The response failed." },
          this.headers,
          this.where(),
        );
      }
      case "error":
        throw responsesFailure(event, this.headers, this.where());
      case "response.output_item.added": {
        const state = this.stateFor(event, event["item"]);
        if (isRecord(event["item"]) && event["item"]["type"] === "function_call") {
          Object.assign(state.call, event["item"]);
        }
        return [];
      }
      case "response.output_text.delta":
        return this.textDelta(event);
      case "response.reasoning_summary_text.delta":
        return this.reasoningDelta(event);
      case "response.function_call_arguments.delta": {
        const state = this.stateFor(event, undefined);
        state.type ??= "function_call";
        const delta = typeof event["delta"] === "string" ? event["delta"] : "";
        state.call["arguments"] = String(state.call["arguments"] ?? "") + delta;
        return [];
      }
      case "response.output_item.done":
        return isRecord(event["item"]) ? this.itemDone(event, event["item"]) : [];
      case "function_call_output":
        // OpenAI-Agents-SDK agents send tool results bare, not inside `output_item.done`. A tool
        // result is not model output: the cycle that follows it still counts as item-less.
        this.toolResult(event);
        return [];
      default:
        // Other and typeless frames (`{"trace_id": …}`) carry nothing to emit. A typeless
        // `{"error": …}` never gets here: the transport throws it (`transport/sse.ts`).
        return [];
    }
  }

  /** End of stream: the pending tool calls, then one chunk with usage and response metadata. */
  finish(): ChatGenerationChunk[] {
    const output = this.order.map((state) => this.itemOf(state)).filter(isRecord);
    const executed = executedCallIds(output);
    const out: ChatGenerationChunk[] = [];
    let toolIndex = 0;
    for (const item of output) {
      if (item["type"] !== "function_call" || executed.has(String(item["call_id"]))) continue;
      const args = item["arguments"];
      out.push(
        this.chunk([], {
          tool_call_chunks: [
            {
              type: "tool_call_chunk",
              index: toolIndex++,
              id: String(item["call_id"] ?? item["id"] ?? ""),
              name: String(item["name"] ?? ""),
              args: typeof args === "string" ? args : JSON.stringify(args ?? {}),
            },
          ],
        }),
      );
    }
    out.push(
      finalStreamChunk({
        content: [],
        model: this.model,
        id: this.id,
        finishReason: finishReasonOf(this.lastResponse, toolIndex > 0),
        rawUsage: this.rawUsage,
        agent: this.agent,
        headers: this.headers,
        usage: this.streamUsage ? this.usage : undefined,
        extra: { output },
      }),
    );
    return out;
  }

  private where(): string {
    return `${this.request} (in stream)`;
  }

  private readResponse(raw: unknown, completed: boolean): void {
    if (!isRecord(raw)) return;
    if (this.id === undefined && typeof raw["id"] === "string") this.id = raw["id"];
    if (this.model === undefined && typeof raw["model"] === "string") this.model = raw["model"];
    if (hasAgentFields(raw)) Object.assign(this.agent, agentMetadata(raw));
    if (!completed) return;
    this.lastResponse = raw;
    if (raw["error"] !== undefined && raw["error"] !== null) {
      throw responsesFailure(raw["error"], this.headers, this.where());
    }
    this.usage = sumUsage(this.usage, toUsageMetadata(raw["usage"]));
    // Each cycle is one model call: the raw usage is added up like `usage_metadata`, so that both
    // describe the whole answer (the last cycle alone would undercount and disagree with it).
    if (isRecord(raw["usage"])) this.rawUsage = sumRawUsage(this.rawUsage, raw["usage"]);
  }

  /**
   * The items of a `response.completed` whose cycle sent no item events (an agent that answers
   * only there, or a later cycle of a loop whose first cycle streamed): §3.4 rule 2, the answer is
   * never lost when only the final event carries it. Items already seen (see {@link seen})
   * are skipped, so nothing is emitted twice.
   */
  private completedItems(raw: unknown): ChatGenerationChunk[] {
    if (this.cycleHasItems || !isRecord(raw) || !Array.isArray(raw["output"])) return [];
    return raw["output"].filter(isRecord).flatMap((item) => {
      if (this.seen(item)) return [];
      if (item["type"] !== "function_call_output") return this.itemDone({}, item);
      this.toolResult(item);
      return [];
    });
  }

  /**
   * Whether an item was already seen: by id, or for calls and tool results (agents repeat them in
   * later outputs, not always with an id) by type and `call_id`.
   */
  private seen(item: JsonRecord): boolean {
    if (typeof item["id"] === "string" && this.aliases.has(`item:${item["id"]}`)) return true;
    if (typeof item["call_id"] !== "string") return false;
    return this.order.some(
      (state) =>
        state.done?.["type"] === item["type"] && state.done?.["call_id"] === item["call_id"],
    );
  }

  /** A `function_call_output` item (it has no id of its own: one is made from its `call_id`). */
  private toolResult(item: JsonRecord): void {
    const id = `${this.cycle}:fco:${String(item["call_id"])}`;
    this.stateFor({}, { ...item, id }).done = item;
  }

  /**
   * The state of the item an event is about: by `output_index` within the current response when
   * the event has one, else by item id (`item_id`, or the item's own `id`); both keys lead to the
   * same state once an event has named both.
   */
  private stateFor(event: JsonRecord, item: unknown): ItemState {
    const itemId =
      typeof event["item_id"] === "string"
        ? event["item_id"]
        : isRecord(item) && typeof item["id"] === "string"
          ? item["id"]
          : undefined;
    const byIndex =
      typeof event["output_index"] === "number"
        ? `${this.cycle}:${event["output_index"]}`
        : undefined;
    const byId = itemId !== undefined ? `item:${itemId}` : undefined;
    const aliased = byId !== undefined ? this.aliases.get(byId) : undefined;
    let state = (byIndex !== undefined ? this.items.get(byIndex) : undefined) ?? aliased;
    // Without `response.created` between them, a second model call reuses output indexes: a done
    // item at this index is another item when the event names an id it does not know.
    if (state?.done && aliased === undefined && itemId !== undefined && state.id !== itemId) {
      state = undefined;
    }
    if (!state) {
      state = {
        type: isRecord(item) && typeof item["type"] === "string" ? item["type"] : undefined,
        id: itemId,
        text: "",
        summaries: [],
        call: {},
        textIndex: undefined,
        reasoningIndexes: [],
        done: undefined,
      };
      this.order.push(state);
      this.items.set(byIndex ?? byId ?? `anonymous:${this.order.length}`, state);
    }
    if (byId !== undefined) this.aliases.set(byId, state);
    return state;
  }

  private textDelta(event: JsonRecord): ChatGenerationChunk[] {
    const state = this.stateFor(event, undefined);
    state.type ??= "message";
    const delta = typeof event["delta"] === "string" ? event["delta"] : "";
    if (delta === "") return [];
    state.text += delta;
    state.textIndex ??= this.nextIndex++;
    return [this.chunk([{ type: "text", text: delta, index: state.textIndex }])];
  }

  private reasoningDelta(event: JsonRecord): ChatGenerationChunk[] {
    const state = this.stateFor(event, undefined);
    state.type ??= "reasoning";
    const delta = typeof event["delta"] === "string" ? event["delta"] : "";
    const at = typeof event["summary_index"] === "number" ? event["summary_index"] : 0;
    if (delta === "") return [];
    state.summaries[at] = (state.summaries[at] ?? "") + delta;
    state.reasoningIndexes[at] ??= this.nextIndex++;
    const index = state.reasoningIndexes[at];
    return [this.chunk([{ type: "reasoning", reasoning: delta, index }])];
  }

  /** An item is complete: emit what its deltas did not, with its final id. */
  private itemDone(event: JsonRecord, item: JsonRecord): ChatGenerationChunk[] {
    const state = this.stateFor(event, item);
    state.done = item;
    state.type = typeof item["type"] === "string" ? item["type"] : state.type;
    if (state.type === "message") return this.messageDone(state, item);
    if (state.type === "reasoning") return this.reasoningDone(state, item);
    return [];
  }

  private messageDone(state: ItemState, item: JsonRecord): ChatGenerationChunk[] {
    const parts = (Array.isArray(item["content"]) ? item["content"] : []).filter(isRecord);
    const full = parts.map((part) => partText(part) ?? "").join("");
    const annotations = parts.flatMap((part) =>
      Array.isArray(part["annotations"]) ? (part["annotations"] as unknown[]) : [],
    );
    const rest = unstreamedTail(state.text, full);
    if (rest === "" && state.textIndex === undefined && annotations.length === 0) return [];
    state.textIndex ??= this.nextIndex++;
    const block = { ...textBlock(rest, item["id"], annotations), index: state.textIndex };
    return [this.chunk([block], {}, rest)];
  }

  /**
   * Per summary entry, the rule of message text: what the deltas of that `summary_index` did not
   * stream (the whole entry when none did, as a new block), so that the concatenated stream
   * holds the blocks `invoke` returns. The item's id and encrypted content ride on the first
   * block, as in {@link reasoningItemBlocks}.
   */
  private reasoningDone(state: ItemState, item: JsonRecord): ChatGenerationChunk[] {
    const blocks: JsonRecord[] = [];
    reasoningItemBlocks(item).forEach((block, at) => {
      const streamed = state.reasoningIndexes[at] !== undefined;
      const rest = unstreamedTail(state.summaries[at] ?? "", String(block["reasoning"] ?? ""));
      const { type: _type, reasoning: _text, ...fields } = block;
      // A streamed entry with nothing left adds a block only to carry the item-level fields.
      if (streamed && rest === "" && Object.keys(fields).length === 0) return;
      state.reasoningIndexes[at] ??= this.nextIndex++;
      blocks.push({ ...block, reasoning: rest, index: state.reasoningIndexes[at] });
    });
    return blocks.length > 0 ? [this.chunk(blocks)] : [];
  }

  /** The output item a state stands for: the done item, or one rebuilt from its deltas. */
  private itemOf(state: ItemState): JsonRecord | undefined {
    if (state.done) return state.done;
    const id = state.id !== undefined ? { id: state.id } : {};
    if (state.type === "message" && state.text !== "") {
      return {
        type: "message",
        role: "assistant",
        ...id,
        content: [{ type: "output_text", text: state.text }],
      };
    }
    if (state.type === "reasoning" && state.summaries.length > 0) {
      const summary = state.summaries.map((text) => ({ type: "summary_text", text: text ?? "" }));
      return { type: "reasoning", ...id, summary };
    }
    if (state.type === "function_call" && typeof state.call["name"] === "string") {
      return { type: "function_call", ...state.call };
    }
    return undefined;
  }

  private chunk(
    content: JsonRecord[],
    fields: JsonRecord = {},
    text?: string,
  ): ChatGenerationChunk {
    const message = new AIMessageChunk({
      content: content as MessageContent,
      ...fields,
      ...(this.id !== undefined ? { id: this.id } : {}),
    });
    const chunkText =
      text ?? content.map((b) => (b["type"] === "text" ? String(b["text"]) : "")).join("");
    return new ChatGenerationChunk({ text: chunkText, message });
  }
}

/**
 * The part of an item's final text that its deltas did not stream: all of it without deltas (a
 * multi-agent supervisor), the missing tail when the final text extends the streamed one, or
 * nothing when the final text was reworded (footnote citations, §3.4 rule 2).
 */
function unstreamedTail(streamed: string, full: string): string {
  if (streamed === "") return full;
  return full.startsWith(streamed) ? full.slice(streamed.length) : "";
}
