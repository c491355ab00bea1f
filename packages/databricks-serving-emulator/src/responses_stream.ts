import { newTraceId, traceIdOf, type ExecutedToolCall } from "./agents.js";
import {
  executedToolItems,
  longResponsesId,
  outputTextPart,
  responseObject,
  responsesId,
  responsesUsage,
  type ResponseParts,
} from "./responses_output.js";
import type { SseWriter } from "./sse.js";
import { countTokens, splitEvenly, streamPieces } from "./text.js";
import type { JsonObject, JsonValue } from "./types.js";

/**
 * Responses streams (modern-serving.md §3.4): the full OpenAI event sequence for model endpoints,
 * and the MLflow ResponsesAgent form (deltas, then `output_item.done` with the same text) for
 * agent endpoints. Both end with `data: [DONE]`.
 */

/** Sequence numbers and the optional `event:` lines over an {@link SseWriter}. */
class EventSink {
  private sequence = 0;

  constructor(
    private readonly sse: SseWriter,
    private readonly eventLines: boolean,
  ) {}

  /** A typed event with the next `sequence_number`. */
  event(type: string, fields: JsonObject): boolean {
    return this.frame({ type, ...fields, sequence_number: this.sequence++ });
  }

  /** A frame as is (MLflow agent frames carry no sequence number). */
  frame(payload: JsonObject): boolean {
    const type = payload["type"];
    return this.sse.send(payload, this.eventLines && typeof type === "string" ? type : undefined);
  }

  done(): void {
    this.sse.done();
  }
}

function text(item: JsonObject, key: string): string {
  const value = item[key];
  return typeof value === "string" ? value : "";
}

/** The text of a message item's first part (or a reasoning item's first summary). */
function firstText(item: JsonObject, list: string): string {
  const parts = item[list];
  const first: JsonValue | undefined = Array.isArray(parts) ? parts[0] : undefined;
  return typeof first === "object" && first !== null && !Array.isArray(first)
    ? text(first, "text")
    : "";
}

/** Options of a model stream. */
export interface ModelStreamOptions {
  eventLines: boolean;
  /**
   * `longStreamingIds`: a message's part-level events carry their own long `msg_01c6…` id, not
   * the (also long) item id (§3.4 rule 4).
   */
  longIds: boolean;
}

/** The events of one output item, from `output_item.added` to `output_item.done`. */
function streamItem(
  sink: EventSink,
  item: JsonObject,
  outputIndex: number,
  longIds: boolean,
): boolean {
  const id = text(item, "id");
  const at = { output_index: outputIndex };
  const type = item["type"];
  if (type === "reasoning") {
    const summary = firstText(item, "summary");
    if (!sink.event("response.output_item.added", { ...at, item: { ...item, summary: [] } }))
      return false;
    // The summary part's own events, as OpenAI sends them (the openai client's accumulator needs
    // the `added` one before the text deltas).
    const part = { item_id: id, ...at, summary_index: 0 };
    const summaryPart = (text: string) => ({ type: "summary_text", text });
    if (!sink.event("response.reasoning_summary_part.added", { ...part, part: summaryPart("") }))
      return false;
    for (const delta of streamPieces(summary)) {
      if (!sink.event("response.reasoning_summary_text.delta", { ...part, delta })) return false;
    }
    if (!sink.event("response.reasoning_summary_text.done", { ...part, text: summary }))
      return false;
    if (
      !sink.event("response.reasoning_summary_part.done", { ...part, part: summaryPart(summary) })
    )
      return false;
  } else if (type === "function_call") {
    const args = text(item, "arguments");
    const added = { ...item, arguments: "", status: "in_progress" };
    if (!sink.event("response.output_item.added", { ...at, item: added })) return false;
    for (const delta of splitEvenly(args, 3)) {
      if (!sink.event("response.function_call_arguments.delta", { item_id: id, ...at, delta }))
        return false;
    }
    const done = { item_id: id, ...at, arguments: args };
    if (!sink.event("response.function_call_arguments.done", done)) return false;
  } else {
    const full = firstText(item, "content");
    const added = { ...item, status: "in_progress", content: [] };
    if (!sink.event("response.output_item.added", { ...at, item: added })) return false;
    const part = { item_id: longIds ? longResponsesId("msg") : id, ...at, content_index: 0 };
    if (!sink.event("response.content_part.added", { ...part, part: outputTextPart("") }))
      return false;
    for (const delta of streamPieces(full)) {
      if (!sink.event("response.output_text.delta", { ...part, delta, logprobs: [] })) return false;
    }
    if (!sink.event("response.output_text.done", { ...part, text: full, logprobs: [] }))
      return false;
    if (!sink.event("response.content_part.done", { ...part, part: outputTextPart(full) }))
      return false;
  }
  return sink.event("response.output_item.done", { ...at, item });
}

/**
 * A model endpoint's stream: `response.created` and `response.in_progress` (the response with
 * `output: []`), every output item's events, `response.completed` with the usage, `[DONE]`.
 */
export function streamModelResponse(
  sse: SseWriter,
  parts: ResponseParts,
  options: ModelStreamOptions,
): void {
  const sink = new EventSink(sse, options.eventLines);
  const pending = responseObject({ ...parts, output: [], usage: null }, "in_progress");
  if (!sink.event("response.created", { response: pending })) return;
  if (!sink.event("response.in_progress", { response: pending })) return;
  for (const [index, item] of parts.output.entries()) {
    if (!streamItem(sink, item, index, options.longIds)) return;
  }
  if (!sink.event("response.completed", { response: responseObject(parts) })) return;
  sink.done();
}

/** Options of an agent stream. */
export interface AgentStreamOptions {
  eventLines: boolean;
  /** `agentCycles` is set: wrap each step in `response.created … response.completed`. */
  cycles: boolean;
  /** Tool calls the agent ran before answering (one cycle each). */
  executed: ExecutedToolCall[];
  /** The answer's own items (the last cycle). */
  answer: JsonObject[];
  /** Send `{"trace_id": …}` before `[DONE]` (MLflow AgentServer; the header or `traceIdFrame`). */
  traceIdFrame: boolean;
}

/** One executed tool as its own cycle, then the bare `function_call_output` frame. */
function streamExecutedCycle(sink: EventSink, parts: ResponseParts, call: ExecutedToolCall) {
  const [callItem, outputItem] = executedToolItems(call);
  const cycle: ResponseParts = { ...parts, id: responsesId("resp"), output: [], usage: null };
  if (!sink.event("response.created", { response: responseObject(cycle, "in_progress") }))
    return false;
  if (!streamItem(sink, callItem, 0, false)) return false;
  const usage = responsesUsage(0, countTokens(call.arguments), 0);
  const completed = responseObject({ ...cycle, output: [callItem], usage, extras: {} });
  if (!sink.event("response.completed", { response: completed })) return false;
  // OpenAI-Agents-SDK agents send the tool result bare, not inside output_item.done (§3.4).
  return sink.frame(outputItem);
}

/**
 * A ResponsesAgent stream (§3.4 "Minimal agent stream", §9): per answer item, `output_text.delta`
 * frames `{type, item_id, delta}` then `output_item.done` with the full item. The trace
 * (`databricks_output`) rides on the last `output_item.done`, `custom_outputs` on the stream's
 * last event. With cycles, executed tools come first as created…completed cycles.
 */
export function streamAgentResponse(
  sse: SseWriter,
  parts: ResponseParts,
  options: AgentStreamOptions,
): void {
  const sink = new EventSink(sse, options.eventLines);
  const { custom_outputs: customOutputs, ...traceExtras } = parts.extras;
  const custom: JsonObject = customOutputs === undefined ? {} : { custom_outputs: customOutputs };
  const final: ResponseParts = { ...parts, output: options.answer };
  if (options.cycles) {
    for (const call of options.executed) if (!streamExecutedCycle(sink, parts, call)) return;
    const pending = responseObject(
      { ...final, output: [], usage: null, extras: {} },
      "in_progress",
    );
    if (!sink.event("response.created", { response: pending })) return;
  }
  for (const [index, item] of options.answer.entries()) {
    const id = text(item, "id");
    if (item["type"] === "message") {
      for (const delta of streamPieces(firstText(item, "content"))) {
        if (!sink.frame({ type: "response.output_text.delta", item_id: id, delta })) return;
      }
    }
    const last = index === options.answer.length - 1;
    const extras = last ? { ...traceExtras, ...(options.cycles ? {} : custom) } : {};
    if (!sink.frame({ type: "response.output_item.done", item, ...extras })) return;
  }
  if (options.cycles) {
    const completed = responseObject({ ...final, extras: {} });
    if (!sink.event("response.completed", { response: completed, ...custom })) return;
  }
  if (options.traceIdFrame) {
    if (!sink.frame({ trace_id: traceIdOf(parts.extras) ?? newTraceId() })) return;
  }
  sink.done();
}
