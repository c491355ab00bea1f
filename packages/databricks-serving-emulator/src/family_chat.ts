import { randomUUID } from "node:crypto";
import { checkFamilyRequest } from "./family_rules.js";
import { addCacheUsage } from "./prompt_cache.js";
import { generate, type Generation } from "./generation.js";
import { parseChatRequest, rejectUnknownFields } from "./llm_request.js";
import { apiError } from "./http_util.js";
import {
  handleChat,
  respond,
  streamUsageWanted,
  usage,
  wantsStream,
  type TaskContext,
} from "./llm_tasks.js";
import {
  bedrockMessageId,
  bedrockToolCallId,
  contentParts,
  encryptedPart,
  makeReasoning,
  reasoningText,
  summaryPart,
  type Reasoning,
} from "./reasoning.js";
import { SseWriter } from "./sse.js";
import { countTokens, splitEvenly, streamPieces } from "./text.js";
import type { JsonObject, JsonValue } from "./types.js";

/**
 * Chat on endpoints with a model family (modern-serving.md §1, §9): the family's request rules,
 * reasoning parts in `message.content`, array deltas when streaming, Bedrock ids and the provider
 * model for Claude. Endpoints without a family keep the plain `handleChat`.
 */

/** The chat handler for any `llm/v1/chat` endpoint: family-aware when a family is set. */
export async function handleAnyChat(ctx: TaskContext, body: JsonObject): Promise<void> {
  const { config } = ctx.entry;
  if (config.responsesOnly === true) {
    // Q15; §9 gives the message without the "Bad Request: " of the capture (docs/PROTOCOL.md §9.23).
    throw apiError(
      400,
      `Model ${config.name} only supports the Responses API. Please use /serving-endpoints/responses instead.`,
      "BAD_REQUEST",
    );
  }
  return config.family === undefined ? handleChat(ctx, body) : handleFamilyChat(ctx, body);
}

type Choice = Generation["choices"][number];

/** What differs between the families in an answer. */
interface AnswerStyle {
  id: string;
  model: string;
  /** Claude streams a signature-only fragment and `"signature":""` on text fragments. */
  signed: boolean;
  toolCallId: (id: string) => string;
}

function toolCalls(style: AnswerStyle, choice: Choice): JsonValue[] {
  return choice.toolCalls.map((t) => ({
    id: style.toolCallId(t.id),
    type: "function",
    function: { name: t.name, arguments: t.arguments },
  }));
}

function message(style: AnswerStyle, choice: Choice, reasoning: Reasoning | null): JsonObject {
  const content = reasoning === null ? choice.text : contentParts(reasoning, choice.text);
  const out: JsonObject = { role: "assistant", content };
  if (choice.toolCalls.length > 0) out["tool_calls"] = toolCalls(style, choice);
  return out;
}

async function handleFamilyChat(ctx: TaskContext, body: JsonObject): Promise<void> {
  const { config } = ctx.entry;
  if (ctx.strict) rejectUnknownFields(body, "chat");
  // Family streams always end with a usage chunk; this only applies `streamOptions: "reject"`.
  streamUsageWanted(ctx, body);
  const plan = checkFamilyRequest(config, body);
  const request = parseChatRequest(config.name, body);
  const stream = wantsStream(body);
  const result = await generate(ctx.entry.backend, request);
  const claude = config.family === "claude";
  const style: AnswerStyle = claude
    ? {
        id: bedrockMessageId(),
        model: config.providerModel ?? config.name,
        signed: true,
        toolCallId: bedrockToolCallId,
      }
    : {
        id: `chatcmpl-${randomUUID().replace(/-/g, "")}`,
        model: ctx.entry.servedModelName,
        signed: false,
        toolCallId: (id) => id,
      };
  const reasoning = plan.reasoning
    ? makeReasoning(request, {
        ...(claude ? { signedBy: style.model } : {}),
        redacted: claude && config.redactedThinking === true,
        ...(plan.effort !== undefined ? { effort: plan.effort } : {}),
      })
    : null;
  // Reasoning is billed as output, as both providers do.
  const completionTokens =
    result.completionTokens + (reasoning === null ? 0 : countTokens(reasoning.text)) * request.n;
  const totals: JsonObject = usage(result.promptTokens, completionTokens);
  if (claude) addCacheUsage(ctx.entry, body, totals);
  if (plan.hiddenReasoning === true) {
    // GPT reasons without returning the text; it bills it as output and reports it in the usage
    // details, as OpenAI does (modern-serving.md §2, "The OpenAI usage shape also appears").
    const hidden = countTokens(reasoningText(request, plan.effort)) * request.n;
    Object.assign(totals, usage(result.promptTokens, completionTokens + hidden), {
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: hidden },
    });
  }
  if (!stream) {
    respond(ctx, {
      id: style.id,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: style.model,
      choices: result.choices.map((c, index) => ({
        index,
        message: message(style, c, reasoning),
        finish_reason: c.finishReason,
        logprobs: null,
      })),
      usage: totals,
    });
    return;
  }
  streamFamilyChat(ctx, style, result, reasoning, totals);
}

/**
 * §1.3: reasoning fragments, then (Claude) a signature-only fragment and the redacted part, then
 * the text (first fragment as a text part, later ones as plain strings: both occur), a finish
 * chunk, a `choices: []` usage chunk and `[DONE]`. gpt-oss puts its last reasoning fragment and
 * its first text part in one delta, as its harmony format does (appkit#559).
 */
function streamFamilyChat(
  ctx: TaskContext,
  style: AnswerStyle,
  result: Generation,
  reasoning: Reasoning | null,
  totals: JsonObject,
): void {
  const sse = new SseWriter(ctx.res, ctx.faults, ctx.headers);
  const base = {
    id: style.id,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: style.model,
  };
  const send = (index: number, delta: JsonObject, finish: string | null) =>
    sse.send({ ...base, choices: [{ index, delta, finish_reason: finish, logprobs: null }] });
  for (const [index, choice] of result.choices.entries()) {
    let role: JsonObject = { role: "assistant" };
    const frame = (delta: JsonObject, finish: string | null = null) => {
      const ok = send(index, { ...role, ...delta }, finish);
      role = {};
      return ok;
    };
    // gpt-oss: the last reasoning fragment waits to share a delta with the first text part.
    let pending: JsonObject[] = [];
    if (reasoning !== null) {
      const pieces = streamPieces(reasoning.text);
      const held = style.signed ? pieces.length : pieces.length - 1;
      for (const [p, piece] of pieces.entries()) {
        const part = summaryPart(piece, style.signed ? "" : undefined);
        if (p < held) {
          if (!frame({ content: [part] })) return;
        } else pending = [part];
      }
      if (reasoning.signature !== undefined) {
        if (!frame({ content: [summaryPart("", reasoning.signature)] })) return;
      }
      if (reasoning.redactedData !== undefined) {
        if (!frame({ content: [encryptedPart(reasoning.redactedData)] })) return;
      }
    }
    if (choice.toolCalls.length > 0) {
      const text = choice.text === null ? [] : [{ type: "text", text: choice.text }];
      const content = pending.length + text.length > 0 ? [...pending, ...text] : choice.text;
      if (!frame({ content, tool_calls: [] })) return;
      for (const [k, call] of choice.toolCalls.entries()) {
        const head = {
          index: k,
          id: style.toolCallId(call.id),
          type: "function",
          function: { name: call.name, arguments: "" },
        };
        if (!frame({ tool_calls: [head] })) return;
        for (const slice of splitEvenly(call.arguments, 3)) {
          if (!frame({ tool_calls: [{ index: k, function: { arguments: slice } }] })) return;
        }
      }
    } else {
      const pieces = streamPieces(choice.text ?? "");
      if (pieces.length === 0) pieces.push("");
      for (const [p, piece] of pieces.entries()) {
        // Without reasoning the deltas stay plain strings, as on any chat endpoint.
        const content: JsonValue =
          p === 0 && reasoning !== null ? [...pending, { type: "text", text: piece }] : piece;
        if (!frame({ content })) return;
      }
    }
    if (!frame({}, choice.finishReason)) return;
  }
  if (!sse.send({ ...base, choices: [], usage: totals })) return;
  sse.done();
}
