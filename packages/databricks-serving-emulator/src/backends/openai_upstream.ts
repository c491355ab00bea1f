import { EmulatorConfigError } from "../errors.js";
import { apiError, errorCodeFor } from "../http_util.js";
import type { BackendChoice, BackendOutput, BackendRequest, JsonObject } from "../types.js";
import type { Backend } from "./types.js";

interface UpstreamChatChoice {
  message?: {
    content?: string | null;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  };
  text?: string;
  finish_reason?: string | null;
}

interface UpstreamResponse {
  choices?: UpstreamChatChoice[];
  data?: { index?: number; embedding?: number[] }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** Default bound of one upstream request, in milliseconds (two minutes). */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 120_000;

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `openai-upstream` backend: forwards each request, non-streaming, to an OpenAI-compatible server
 * (`{baseUrl}/chat/completions`, `/completions`, `/embeddings`) and maps the answer back. The
 * emulator itself re-streams the final text when the client asked for `stream: true`, so the
 * upstream never needs to stream. Upstream HTTP errors keep their status (with a Databricks-shaped
 * body); connection failures become `502 BAD_GATEWAY`. Each upstream request (until its whole body
 * has arrived) is bounded by `timeoutMs` (default {@link DEFAULT_UPSTREAM_TIMEOUT_MS}); past it the
 * request is aborted and answered `504 DEADLINE_EXCEEDED`, so a hung upstream cannot hold a
 * request forever. The API key is sent upstream only.
 */
export function createOpenAIUpstreamBackend(spec: {
  baseUrl: string;
  apiKey?: string;
  model?: string;
  timeoutMs?: number;
}): Backend {
  const base = spec.baseUrl.replace(/\/+$/, "");
  const timeoutMs = spec.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new EmulatorConfigError(
      `openai-upstream timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`,
    );
  }
  // Node timers take whole milliseconds up to 2^31 - 1 (about 24.8 days).
  const timerDelay = Math.min(Math.ceil(timeoutMs), MAX_TIMER_DELAY_MS);
  const call = async (path: string, body: JsonObject): Promise<UpstreamResponse> => {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (spec.apiKey !== undefined) headers["Authorization"] = `Bearer ${spec.apiKey}`;
    // One deadline for the answer's headers and its body: a server may stall in either.
    const signal = AbortSignal.timeout(timerDelay);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        throw apiError(
          504,
          `Upstream model server did not answer within ${timeoutMs} ms.`,
          "DEADLINE_EXCEEDED",
        );
      }
      throw apiError(502, `Upstream model server is unreachable: ${(error as Error).message}`);
    }
    if (!response.ok) {
      throw apiError(
        response.status,
        `Upstream model server answered HTTP ${response.status}: ${text.slice(0, 500)}`,
        errorCodeFor(response.status),
      );
    }
    try {
      return JSON.parse(text) as UpstreamResponse;
    } catch {
      throw apiError(502, "Upstream model server answered with invalid JSON.");
    }
  };
  const common = (request: BackendRequest): JsonObject => {
    const body: JsonObject = { model: spec.model ?? request.endpoint, n: request.n, stream: false };
    if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
    if (request.temperature !== undefined) body["temperature"] = request.temperature;
    if (request.stop.length > 0) body["stop"] = request.stop;
    if (request.seed !== undefined) body["seed"] = request.seed;
    return body;
  };
  return {
    type: "openai-upstream",
    async generate(request): Promise<BackendOutput> {
      let result: UpstreamResponse;
      if (request.kind === "chat") {
        const body = common(request);
        body["messages"] = request.body["messages"] ?? [];
        for (const key of ["tools", "tool_choice", "response_format"]) {
          const value = request.body[key];
          if (value !== undefined) body[key] = value;
        }
        result = await call("/chat/completions", body);
      } else {
        result = await call("/completions", { ...common(request), prompt: request.prompt });
      }
      const choices: BackendChoice[] = (result.choices ?? []).map((c) => {
        const choice: BackendChoice = { text: c.message?.content ?? c.text ?? "" };
        const calls = c.message?.tool_calls ?? [];
        if (calls.length > 0) {
          choice.toolCalls = calls.map((t) => ({
            ...(t.id !== undefined ? { id: t.id } : {}),
            name: t.function?.name ?? "",
            arguments: t.function?.arguments ?? "{}",
          }));
        }
        if (typeof c.finish_reason === "string") choice.finishReason = c.finish_reason;
        return choice;
      });
      const output: BackendOutput = { choices };
      const usage = result.usage;
      if (usage !== undefined) {
        output.usage = {
          ...(usage.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}),
          ...(usage.completion_tokens !== undefined
            ? { completionTokens: usage.completion_tokens }
            : {}),
        };
      }
      return output;
    },
    async embed(request): Promise<number[][]> {
      const body: JsonObject = {
        model: spec.model ?? request.endpoint,
        input: request.input,
        encoding_format: "float",
      };
      const result = await call("/embeddings", body);
      const data = (result.data ?? []).toSorted((a, b) => (a.index ?? 0) - (b.index ?? 0));
      return data.map((d) => d.embedding ?? []);
    },
  };
}
