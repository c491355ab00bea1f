import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { EndpointEntry } from "./endpoints.js";
import type { ResponseFaults } from "./faults.js";
import { embed, generate, type Generation } from "./generation.js";
import { apiError, baseHeaders, sendWithBodyFaults } from "./http_util.js";
import {
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
  parsePrompts,
  rejectUnknownFields,
} from "./llm_request.js";
import { SseWriter } from "./sse.js";
import { countTokens, splitEvenly, streamPieces } from "./text.js";
import type { JsonObject } from "./types.js";

/**
 * The LLM task handlers (chat, completions, embeddings, agents), shared by the invocations route
 * and the OpenAI-compatible routes. Shapes follow docs/PROTOCOL.md §2.4–§2.6 and §3.
 */
export interface TaskContext {
  entry: EndpointEntry;
  res: ServerResponse;
  faults: ResponseFaults;
  /** Extra response headers (`served-model-name`). */
  headers: Record<string, string>;
  /** Reject fields of other tasks (foundation-model / external-model endpoints). */
  strict: boolean;
  /**
   * The request had `x-mlflow-return-trace-id: true`, the MLflow AgentServer's header (§5.2);
   * only ResponsesAgent endpoints act on it.
   */
  returnTraceId: boolean;
}

/** Send a JSON answer, as the endpoint's body faults make it ({@link sendWithBodyFaults}). */
export function respond(ctx: TaskContext, body: unknown): void {
  const headers = {
    ...baseHeaders(),
    "Content-Type": "application/json; charset=utf-8",
    ...ctx.headers,
  };
  sendWithBodyFaults(ctx.res, 200, JSON.stringify(body), headers, ctx.faults);
}

export function wantsStream(body: JsonObject): boolean {
  const stream = body["stream"];
  if (stream === undefined || stream === null || stream === false) return false;
  if (stream === true) return true;
  throw apiError(400, "stream must be a boolean.", "INVALID_PARAMETER_VALUE");
}

/**
 * Whether a stream ends with an OpenAI-style usage chunk, after the endpoint's Q5 switch:
 * `streamOptions: "reject"` refuses the field by presence (Go decoder text of modern-serving.md
 * §9), `ignore` accepts and ignores it; unset honours `include_usage` (docs/PROTOCOL.md §9.17).
 */
export function streamUsageWanted(ctx: TaskContext, body: JsonObject): boolean {
  const options = body["stream_options"];
  if (options === undefined) return false;
  const mode = ctx.entry.config.streamOptions;
  if (mode === "reject") throw unknownField("stream_options");
  if (mode === "ignore") return false;
  return (
    typeof options === "object" &&
    options !== null &&
    !Array.isArray(options) &&
    options["include_usage"] === true
  );
}

/** Q6: a field the surface does not model, in the Go decoder's words (modern-serving.md §9). */
export function unknownField(name: string) {
  return apiError(400, `json: unknown field "${name}"`, "BAD_REQUEST");
}

export function usage(prompt: number, completion: number) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function created(): number {
  return Math.floor(Date.now() / 1000);
}

/** The assistant message of a chat choice (`tool_calls` when the backend called tools). */
export function chatMessage(choice: Generation["choices"][number]): JsonObject {
  const message: JsonObject = { role: "assistant", content: choice.text };
  if (choice.toolCalls.length > 0) {
    message["tool_calls"] = choice.toolCalls.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.arguments },
    }));
  }
  return message;
}

/**
 * `llm/v1/chat` (and `agent/v1/chat`, which answers the same ChatCompletion shape) for endpoints
 * without a model family; family endpoints go through `family_chat.ts`.
 */
export async function handleChat(ctx: TaskContext, body: JsonObject): Promise<void> {
  if (ctx.strict) rejectUnknownFields(body, "chat");
  const trailingUsage = streamUsageWanted(ctx, body);
  const request = parseChatRequest(ctx.entry.config.name, body);
  const stream = wantsStream(body);
  const result = await generate(ctx.entry.backend, request);
  const id = `chatcmpl-${randomUUID().replace(/-/g, "")}`;
  const model = ctx.entry.servedModelName;
  if (!stream) {
    respond(ctx, {
      id,
      object: "chat.completion",
      created: created(),
      model,
      choices: result.choices.map((c, index) => ({
        index,
        message: chatMessage(c),
        finish_reason: c.finishReason,
        logprobs: null,
      })),
      usage: usage(result.promptTokens, result.completionTokens),
    });
    return;
  }
  const sse = new SseWriter(ctx.res, ctx.faults, ctx.headers);
  const base = { id, object: "chat.completion.chunk", created: created(), model };
  let emitted = 0;
  // Databricks pay-per-token streams carry cumulative usage on every chunk.
  const frame = (index: number, delta: JsonObject, finish: string | null) =>
    sse.send({
      ...base,
      choices: [{ index, delta, finish_reason: finish, logprobs: null }],
      usage: usage(result.promptTokens, emitted),
    });
  for (const [index, choice] of result.choices.entries()) {
    if (choice.toolCalls.length > 0) {
      const first: JsonObject = { role: "assistant", content: choice.text };
      first["tool_calls"] = [];
      if (!frame(index, first, null)) return;
      for (const [k, call] of choice.toolCalls.entries()) {
        const head = {
          index: k,
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: "" },
        };
        if (!frame(index, { tool_calls: [head] }, null)) return;
        // Arguments arrive in several slices, as real streams do, so clients must concatenate.
        for (const slice of splitEvenly(call.arguments, 3)) {
          emitted += countTokens(slice);
          if (!frame(index, { tool_calls: [{ index: k, function: { arguments: slice } }] }, null))
            return;
        }
      }
    } else {
      const pieces = streamPieces(choice.text ?? "");
      if (pieces.length === 0) pieces.push("");
      for (const [p, piece] of pieces.entries()) {
        emitted += countTokens(piece);
        const delta: JsonObject =
          p === 0 ? { role: "assistant", content: piece } : { content: piece };
        if (!frame(index, delta, null)) return;
      }
    }
    if (!frame(index, {}, choice.finishReason)) return;
  }
  if (trailingUsage) {
    if (
      !sse.send({
        ...base,
        choices: [],
        usage: usage(result.promptTokens, result.completionTokens),
      })
    )
      return;
  }
  sse.done();
}

/** `llm/v1/completions`: one text_completion with `n` choices per prompt. */
export async function handleCompletions(ctx: TaskContext, body: JsonObject): Promise<void> {
  if (ctx.strict) rejectUnknownFields(body, "completion");
  const trailingUsage = streamUsageWanted(ctx, body);
  const prompts = parsePrompts(body);
  const stream = wantsStream(body);
  const results: Generation[] = [];
  for (const prompt of prompts) {
    results.push(
      await generate(
        ctx.entry.backend,
        parseCompletionRequest(ctx.entry.config.name, body, prompt),
      ),
    );
  }
  const choices = results.flatMap((r) => r.choices);
  const promptTokens = results.reduce((s, r) => s + r.promptTokens, 0);
  const completionTokens = results.reduce((s, r) => s + r.completionTokens, 0);
  const id = `cmpl-${randomUUID().replace(/-/g, "")}`;
  const model = ctx.entry.servedModelName;
  if (!stream) {
    respond(ctx, {
      id,
      object: "text_completion",
      created: created(),
      model,
      choices: choices.map((c, index) => ({
        index,
        text: c.text ?? "",
        finish_reason: c.finishReason,
        logprobs: null,
      })),
      usage: usage(promptTokens, completionTokens),
    });
    return;
  }
  // The completions chunk shape is undocumented (docs/PROTOCOL.md §9.2): OpenAI's is assumed.
  const sse = new SseWriter(ctx.res, ctx.faults, ctx.headers);
  const base = { id, object: "text_completion", created: created(), model };
  let emitted = 0;
  for (const [index, choice] of choices.entries()) {
    for (const piece of streamPieces(choice.text ?? "")) {
      emitted += countTokens(piece);
      const ok = sse.send({
        ...base,
        choices: [{ index, text: piece, finish_reason: null, logprobs: null }],
        usage: usage(promptTokens, emitted),
      });
      if (!ok) return;
    }
    const ok = sse.send({
      ...base,
      choices: [{ index, text: "", finish_reason: choice.finishReason, logprobs: null }],
      usage: usage(promptTokens, emitted),
    });
    if (!ok) return;
  }
  if (trailingUsage) {
    if (!sse.send({ ...base, choices: [], usage: usage(promptTokens, completionTokens) })) return;
  }
  sse.done();
}

/** Float32 little-endian base64, as OpenAI's `encoding_format: "base64"` (the openai npm default). */
function base64Vector(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString("base64");
}

/** `llm/v1/embeddings`. Honours `encoding_format: "base64"` (inferred: needed by the openai client). */
export async function handleEmbeddings(ctx: TaskContext, body: JsonObject): Promise<void> {
  if (ctx.strict) rejectUnknownFields(body, "embedding");
  const request = parseEmbeddingRequest(ctx.entry.config.name, body);
  const format = body["encoding_format"];
  if (format !== undefined && format !== null && format !== "float" && format !== "base64") {
    throw apiError(400, 'encoding_format must be "float" or "base64".', "INVALID_PARAMETER_VALUE");
  }
  const vectors = await embed(ctx.entry.backend, request);
  const promptTokens = request.input.reduce((s, t) => s + countTokens(t), 0);
  respond(ctx, {
    id: `emb-${randomUUID().replace(/-/g, "")}`,
    object: "list",
    model: ctx.entry.servedModelName,
    data: vectors.map((embedding, index) => ({
      object: "embedding",
      index,
      embedding: format === "base64" ? base64Vector(embedding) : embedding,
    })),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
