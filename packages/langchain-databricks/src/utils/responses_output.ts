/**
 * The answer side of the Responses API (modern-serving §3.3): a response object → one LangChain
 * generation, plus the item conversions the stream assembler shares. Pure functions, no I/O.
 *
 * Content is always a list of standard blocks, in output order: `{type: "reasoning", reasoning,
 * id, encrypted_content?}` per reasoning summary entry and `{type: "text", text, id,
 * annotations?}` per `output_text` (or `refusal`) part. Pending `function_call` items become
 * `tool_calls` (id = `call_id`); a `function_call` answered by a `function_call_output` in the
 * same output was run by the server or the agent and is not reported for the caller to run. The
 * output items themselves stay in `response_metadata.output`, so that the message re-sends them
 * unchanged on the next turn (`responses_input.ts`).
 */
import type { InvalidToolCall, MessageContent, ToolCall } from "@langchain/core/messages";
import type { ChatGeneration } from "@langchain/core/outputs";
import { DatabricksAPIError, DatabricksResponseError } from "../errors.js";
import { statusForErrorCode } from "../transport/error_body.js";
import { aiMessageChunk, parseWireToolCall, responseMetadata } from "./chat_outputs.js";
import { reasoningBlocksOf } from "./reasoning.js";
import { toUsageMetadata } from "./usage.js";
import { isRecord, type JsonRecord } from "./values.js";

/** A reasoning item → one standard reasoning block per summary entry (at least one). */
export function reasoningItemBlocks(item: JsonRecord): JsonRecord[] {
  const blocks: JsonRecord[] = reasoningBlocksOf(item);
  if (blocks.length === 0) blocks.push({ type: "reasoning", reasoning: "" });
  return blocks.map((block, i) => {
    const out: JsonRecord = { ...block };
    // Item-level fields ride on the first block only: `concat` would join repeated strings.
    if (i === 0 && typeof item["id"] === "string") out["id"] = item["id"];
    if (i === 0 && typeof item["encrypted_content"] === "string") {
      out["encrypted_content"] = item["encrypted_content"];
    }
    return out;
  });
}

/** The text of one message content part (`output_text` or `refusal`), or undefined. */
export function partText(part: JsonRecord): string | undefined {
  if (part["type"] === "output_text" && typeof part["text"] === "string") return part["text"];
  if (part["type"] === "refusal" && typeof part["refusal"] === "string") return part["refusal"];
  return undefined;
}

/** A message item → one text block per text or refusal part, annotations kept. */
export function messageItemBlocks(item: JsonRecord): JsonRecord[] {
  const content = Array.isArray(item["content"]) ? item["content"] : [];
  const blocks: JsonRecord[] = [];
  for (const part of content) {
    if (!isRecord(part)) continue;
    const text = partText(part);
    if (text === undefined) continue;
    blocks.push(textBlock(text, blocks.length === 0 ? item["id"] : undefined, part["annotations"]));
  }
  return blocks;
}

/** A standard text block with the message id and non-empty annotations, when given. */
export function textBlock(text: string, id: unknown, annotations: unknown): JsonRecord {
  const block: JsonRecord = { type: "text", text };
  if (typeof id === "string") block["id"] = id;
  if (Array.isArray(annotations) && annotations.length > 0) block["annotations"] = annotations;
  return block;
}

/** The refusal text of a message item, when it has one. */
export function refusalOf(item: JsonRecord): string | undefined {
  const content = Array.isArray(item["content"]) ? item["content"] : [];
  const refusals = content.filter((p): p is JsonRecord => isRecord(p) && p["type"] === "refusal");
  return refusals.length > 0 ? refusals.map((p) => String(p["refusal"] ?? "")).join("") : undefined;
}

/** The `call_id`s answered by a `function_call_output` among `items` (server-executed calls). */
export function executedCallIds(items: readonly unknown[]): Set<string> {
  const ids = new Set<string>();
  for (const item of items) {
    if (isRecord(item) && item["type"] === "function_call_output") {
      if (typeof item["call_id"] === "string") ids.add(item["call_id"]);
    }
  }
  return ids;
}

/** A `function_call` item in the chat tool-call shape `parseWireToolCall` reads. */
export function wireToolCallOf(item: JsonRecord): JsonRecord {
  return {
    id: item["call_id"] ?? item["id"],
    function: { name: item["name"], arguments: item["arguments"] },
  };
}

/**
 * `finish_reason` in the chat-completions vocabulary: `length` for `max_output_tokens`,
 * `content_filter` for a filtered answer, else `tool_calls` when calls are pending, else `stop`.
 */
export function finishReasonOf(response: JsonRecord, pendingCalls: boolean): string {
  const details = response["incomplete_details"];
  const reason = isRecord(details) ? details["reason"] : undefined;
  if (reason === "max_output_tokens") return "length";
  if (reason === "content_filter") return "content_filter";
  if (typeof reason === "string") return reason;
  return pendingCalls ? "tool_calls" : "stop";
}

/**
 * A Responses failure (a response's non-null `error`, an `error` stream event or `response.failed`)
 * → the {@link DatabricksAPIError} subclass its code names, as the transport builds for an HTTP
 * error. A bare `{"error": …}` frame is thrown by the transport, with the same code mapping.
 */
export function responsesFailure(
  error: unknown,
  headers: Record<string, string>,
  request: string,
): DatabricksAPIError {
  const record = isRecord(error) ? error : { message: String(error) };
  const code = typeof record["code"] === "string" ? record["code"] : undefined;
  const message =
    typeof record["message"] === "string" ? record["message"] : JSON.stringify(record);
  return DatabricksAPIError.fromResponse({
    status: statusForErrorCode(code) ?? 500,
    headers,
    body: JSON.stringify(code === undefined ? { message } : { error_code: code, message }),
    request,
  });
}

/** What {@link parseResponsesResponse} needs besides the body. */
export interface ResponsesParseContext {
  /** Response headers (lower-case names); `served-model-name` is surfaced. */
  headers: Record<string, string>;
  /** Method and path, for error messages. */
  request: string;
}

/**
 * A Responses answer → one generation. Throws the {@link DatabricksAPIError} of a non-null
 * `error`, and {@link DatabricksResponseError} when the body is not a response.
 */
export function parseResponsesResponse(
  data: unknown,
  context: ResponsesParseContext,
): ChatGeneration {
  if (!isRecord(data) || !Array.isArray(data["output"])) {
    const got = isRecord(data) ? `keys [${Object.keys(data).join(", ")}]` : typeof data;
    throw new DatabricksResponseError(
      `Expected a Responses API answer (\`output\`) from the responses route, got ${got}.`,
    );
  }
  if (data["error"] !== undefined && data["error"] !== null) {
    throw responsesFailure(data["error"], context.headers, `${context.request} (in response)`);
  }
  const output = data["output"] as unknown[];
  const executed = executedCallIds(output);
  const content: JsonRecord[] = [];
  const toolCalls: ToolCall[] = [];
  const invalid: InvalidToolCall[] = [];
  let refusal: string | undefined;
  for (const item of output) {
    if (!isRecord(item)) continue;
    if (item["type"] === "message") {
      content.push(...messageItemBlocks(item));
      refusal = refusalOf(item) ?? refusal;
    } else if (item["type"] === "reasoning") {
      content.push(...reasoningItemBlocks(item));
    } else if (item["type"] === "function_call" && !executed.has(String(item["call_id"]))) {
      const parsed = parseWireToolCall(wireToolCallOf(item));
      if (parsed.valid) toolCalls.push(parsed.valid);
      if (parsed.invalid) invalid.push(parsed.invalid);
    }
  }
  const pending = toolCalls.length + invalid.length > 0;
  const metadata: JsonRecord = {
    ...responseMetadata(data, context.headers),
    finish_reason: finishReasonOf(data, pending),
    output,
  };
  const extra: JsonRecord = {};
  if (refusal !== undefined) extra["refusal"] = refusal;
  if (metadata["custom_outputs"] !== undefined)
    extra["custom_outputs"] = metadata["custom_outputs"];
  const message = aiMessageChunk(
    {
      content: content as MessageContent,
      tool_calls: toolCalls,
      response_metadata: metadata,
      ...(Object.keys(extra).length > 0 ? { additional_kwargs: extra } : {}),
      ...(typeof data["id"] === "string" ? { id: data["id"] } : {}),
    },
    toUsageMetadata(data["usage"]),
  );
  if (invalid.length > 0) {
    message.invalid_tool_calls = invalid;
    message.lc_kwargs["invalid_tool_calls"] = invalid;
  }
  const text = content.map((b) => (b["type"] === "text" ? String(b["text"]) : "")).join("");
  return { text, message, generationInfo: { finish_reason: metadata["finish_reason"] } };
}
