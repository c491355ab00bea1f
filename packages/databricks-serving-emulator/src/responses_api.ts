import { agentExtras, executedToolCalls, newTraceId, traceIdOf } from "./agents.js";
import { generate } from "./generation.js";
import { apiError } from "./http_util.js";
import { respond, streamUsageWanted, wantsStream, type TaskContext } from "./llm_tasks.js";
import { reasoningText } from "./reasoning.js";
import { parseResponsesRequest } from "./responses_request.js";
import {
  answerItems,
  encryptedReasoning,
  executedToolItems,
  longResponsesId,
  reasoningItem,
  responseObject,
  responsesId,
  responsesUsage,
  withLongIds,
  type ResponseParts,
} from "./responses_output.js";
import { streamAgentResponse, streamModelResponse } from "./responses_stream.js";
import { SseWriter } from "./sse.js";
import { countTokens } from "./text.js";
import type { EndpointConfig, JsonObject } from "./types.js";

/**
 * The Responses API (modern-serving.md §3): `POST /serving-endpoints/responses` and
 * `/ai-gateway/mlflow/v1/responses` (model named by `model`), and ResponsesAgent invocations.
 */

/** Where a Responses body arrived. */
export type ResponsesSurface = "serving" | "gateway";

/** `agent/v1/responses` and (as app-templates routes it) `agent/v2/responses`. */
export function isResponsesAgent(config: EndpointConfig): boolean {
  return config.task === "agent/v1/responses" || config.task === "agent/v2/responses";
}

function createdAt(): number {
  // The capture has a fractional `created_at` (1761660865.18).
  return Math.round(Date.now() / 10) / 100;
}

/**
 * Dispatch a model-in-body Responses call: agents, OpenAI-like (`gpt`) models, and on the
 * Supervisor API also Claude (its allow-list, §6.3). Others get 400 with the inferred "not
 * supported" wording of §9 (docs/PROTOCOL.md §9.23).
 */
export function handleResponses(
  ctx: TaskContext,
  body: JsonObject,
  surface: ResponsesSurface,
): Promise<void> {
  const { config } = ctx.entry;
  if (isResponsesAgent(config)) return handleResponsesAgent(ctx, body);
  const family = config.family;
  if (family === "gpt" || (surface === "gateway" && family === "claude"))
    return handleModelResponses(ctx, body, surface === "gateway");
  throw apiError(
    400,
    `Model ${config.name} is not supported by the Responses API. The Responses API is only ` +
      "compatible with OpenAI pay per token foundation models and external models.",
    "BAD_REQUEST",
  );
}

/** A model endpoint's answer (§3.3) or stream (§3.4); GPT adds a reasoning item first. */
async function handleModelResponses(
  ctx: TaskContext,
  body: JsonObject,
  supervisor: boolean,
): Promise<void> {
  const { config } = ctx.entry;
  const gpt = config.family === "gpt";
  streamUsageWanted(ctx, body);
  const parsed = parseResponsesRequest(config.name, body, {
    fmapi: ctx.strict,
    supervisor,
    gptReasoning: gpt,
  });
  const stream = wantsStream(body);
  const result = await generate(ctx.entry.backend, parsed.backend);
  const choice = result.choices[0] ?? { text: "", toolCalls: [], finishReason: "stop" };
  const model = config.providerModel ?? ctx.entry.servedModelName;
  const output: JsonObject[] = [];
  let reasoningTokens = 0;
  if (gpt) {
    const summary = reasoningText(parsed.backend, parsed.effort);
    reasoningTokens = countTokens(summary);
    const encrypted = parsed.include.includes("reasoning.encrypted_content")
      ? encryptedReasoning(model, summary)
      : null;
    output.push(reasoningItem(summary, encrypted));
  }
  output.push(...answerItems(choice, responsesId("msg")));
  // §3.5: only the streaming path issues ids over 64 characters, and the switch makes them long
  // everywhere a client could pick one up (response, output items, part-level events).
  const longIds = stream && config.longStreamingIds === true;
  const parts: ResponseParts = {
    id: longIds ? longResponsesId("resp") : responsesId("resp"),
    model,
    createdAt: createdAt(),
    output: longIds ? withLongIds(output) : output,
    usage: responsesUsage(result.promptTokens, result.completionTokens, reasoningTokens),
    truncated: choice.finishReason === "length",
    metadata: parsed.metadata,
    extras: {},
  };
  if (!stream) {
    respond(ctx, responseObject(parts));
    return;
  }
  streamModelResponse(new SseWriter(ctx.res, ctx.faults, ctx.headers), parts, {
    eventLines: config.responsesEventLines === true,
    longIds,
  });
}

/**
 * A ResponsesAgent (`agent/v1/responses`, MLflow): `custom_inputs` and `context` accepted,
 * `custom_outputs` and the trace as {@link agentExtras}, plus the AgentServer's trace id when the
 * request has `x-mlflow-return-trace-id: true` (§5.2); tool calls the backend decides come back
 * as `function_call` items for the caller; `agentCycles` adds executed tool pairs first.
 */
export async function handleResponsesAgent(ctx: TaskContext, body: JsonObject): Promise<void> {
  const { config } = ctx.entry;
  const parsed = parseResponsesRequest(config.name, body, {
    fmapi: false,
    supervisor: false,
    gptReasoning: false,
  });
  const stream = wantsStream(body);
  const result = await generate(ctx.entry.backend, parsed.backend);
  const choice = result.choices[0] ?? { text: "", toolCalls: [], finishReason: "stop" };
  const cycles = config.agentCycles;
  const executed = cycles === undefined ? [] : executedToolCalls(parsed.backend.prompt, cycles - 1);
  const answer = answerItems(choice, responsesId("msg"));
  const extras = agentExtras(body);
  const parts: ResponseParts = {
    id: responsesId("resp"),
    model: ctx.entry.servedModelName,
    createdAt: createdAt(),
    output: [...executed.flatMap(executedToolItems), ...answer],
    usage: responsesUsage(result.promptTokens, result.completionTokens, 0),
    truncated: choice.finishReason === "length",
    metadata: parsed.metadata,
    extras,
  };
  if (!stream) {
    // The AgentServer merges the trace id into the answer's `metadata` (§5.2).
    const traceId = ctx.returnTraceId ? (traceIdOf(extras) ?? newTraceId()) : undefined;
    const metadata =
      traceId === undefined ? parts.metadata : { ...parts.metadata, trace_id: traceId };
    respond(ctx, responseObject({ ...parts, metadata }));
    return;
  }
  streamAgentResponse(new SseWriter(ctx.res, ctx.faults, ctx.headers), parts, {
    eventLines: config.responsesEventLines === true,
    cycles: cycles !== undefined,
    executed,
    answer,
    // The header asks for the AgentServer's typeless frame; `traceIdFrame` sends it always.
    traceIdFrame: config.traceIdFrame === true || ctx.returnTraceId,
  });
}
