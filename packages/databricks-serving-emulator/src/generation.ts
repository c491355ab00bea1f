import { createHash } from "node:crypto";
import type { Backend } from "./backends/types.js";
import { apiError, HttpError } from "./http_util.js";
import { applyStop, capTokens, countTokens } from "./text.js";
import type { BackendChoice, BackendOutput, BackendRequest, BackendResult } from "./types.js";

/** A generated choice after normalisation: serialised tool calls, stop and max_tokens applied. */
export interface FinalChoice {
  text: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string;
}

/** Normalised generation result with token counts. */
export interface Generation {
  choices: FinalChoice[];
  promptTokens: number;
  completionTokens: number;
}

function toOutput(result: BackendResult): BackendOutput {
  if (typeof result === "string") return { choices: [{ text: result }] };
  if (Array.isArray(result)) return { choices: result.map((text) => ({ text })) };
  if (result.choices !== undefined) return result;
  return { ...result, choices: result.text !== undefined ? [{ text: result.text }] : [] };
}

function callId(seed: string): string {
  return `call_${createHash("sha1").update(seed).digest("hex").slice(0, 24)}`;
}

function finalize(choice: BackendChoice, request: BackendRequest, index: number): FinalChoice {
  if (choice.toolCalls !== undefined && choice.toolCalls.length > 0) {
    return {
      text: choice.text === undefined || choice.text === "" ? null : choice.text,
      toolCalls: choice.toolCalls.map((call, k) => ({
        id: call.id ?? callId(`${request.prompt}:${index}:${k}:${call.name}`),
        name: call.name,
        arguments:
          typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      })),
      finishReason: choice.finishReason ?? "tool_calls",
    };
  }
  const stopped = applyStop(choice.text ?? "", request.stop);
  const capped =
    request.maxTokens === undefined
      ? { text: stopped.text, truncated: false }
      : capTokens(stopped.text, request.maxTokens);
  let finishReason = choice.finishReason ?? "stop";
  if (stopped.stopped) finishReason = "stop";
  if (capped.truncated) finishReason = "length";
  return { text: capped.text, toolCalls: [], finishReason };
}

/** Prompt size in emulator tokens: message contents for chat, the prompt otherwise. */
export function promptTokensOf(request: BackendRequest): number {
  if (request.kind === "chat")
    return request.messages.reduce((s, m) => s + countTokens(m.content), 0);
  if (request.kind === "embedding") return request.input.reduce((s, t) => s + countTokens(t), 0);
  return countTokens(request.prompt);
}

/**
 * Run a backend's `generate` and normalise its answer: exactly `request.n` choices (the last one is
 * repeated when a backend returns fewer), `stop` and `max_tokens` enforced for every backend, tool
 * call arguments serialised, usage computed unless the backend reported its own.
 */
export async function generate(backend: Backend, request: BackendRequest): Promise<Generation> {
  if (backend.generate === undefined) {
    throw apiError(
      400,
      `Endpoint '${request.endpoint}' serves an embedding model (${backend.type}) and cannot generate text.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  let output: BackendOutput;
  try {
    output = toOutput(await backend.generate(request));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw apiError(500, `The model failed: ${(error as Error).message}`, "INTERNAL_ERROR");
  }
  const raw = output.choices ?? [];
  const choices: FinalChoice[] = [];
  for (let i = 0; i < request.n; i++) {
    const choice = raw[Math.min(i, raw.length - 1)] ?? { text: "" };
    choices.push(finalize(choice, request, i));
  }
  const completionTokens = choices.reduce(
    (sum, c) =>
      sum +
      countTokens(c.text ?? "") +
      c.toolCalls.reduce((s, t) => s + countTokens(t.arguments), 0),
    0,
  );
  return {
    choices,
    promptTokens: output.usage?.promptTokens ?? promptTokensOf(request),
    completionTokens: output.usage?.completionTokens ?? completionTokens,
  };
}

/** Run a backend's `embed` (every configured backend has one, see `backends/create.ts`). */
export async function embed(backend: Backend, request: BackendRequest): Promise<number[][]> {
  if (backend.embed === undefined) {
    throw apiError(
      400,
      `Endpoint '${request.endpoint}' cannot compute embeddings.`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  try {
    return await backend.embed(request);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw apiError(500, `The model failed: ${(error as Error).message}`, "INTERNAL_ERROR");
  }
}
