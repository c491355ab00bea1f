import { isJsonObject } from "./json.js";
import { apiError, type HttpError } from "./http_util.js";
import type { EndpointConfig, JsonObject, JsonValue, StrictMode } from "./types.js";

/**
 * Request rules of the model families (modern-serving.md §1.1 and the quirks of §2), checked
 * before generation so a refused request costs nothing. Texts marked "captured" are the exact
 * bodies the reference quotes; the others are the emulator's choices (docs/PROTOCOL.md §9.22).
 */

/** Reasoning effort values: gpt-oss accepts low/medium/high, GPT-5 also `minimal`. */
export type ReasoningEffort = "minimal" | "low" | "medium" | "high";

/** The GPT-5 effort set (modern-serving.md §1.1: "value sets differ per model"; §10.15). */
const GPT_EFFORTS: readonly ReasoningEffort[] = ["minimal", "low", "medium", "high"];

/** What a validated family request asks of the answer. */
export interface ReasoningPlan {
  /** Answer with reasoning parts. */
  reasoning: boolean;
  /** gpt-oss effort (changes the length of the summary). */
  effort?: ReasoningEffort;
  /**
   * GPT: the model reasons without showing it; only `reasoning_tokens` in the usage tells.
   */
  hiddenReasoning?: boolean;
}

/** Upper bound of a compiled tool grammar (captured: ellmer PR #1108). */
const GRAMMAR_LIMIT_MB = 300;
/**
 * The emulator's stand-in for grammar compilation: each character of a strict tool's schema costs
 * 0.05 MB, so about 6000 characters of strict schemas (some 30 ordinary tools) exceed the limit,
 * the "many tools" case of the report, while a few strict tools pass.
 */
const GRAMMAR_MB_PER_SCHEMA_CHAR = 0.05;

function badRequest(message: string): HttpError {
  return apiError(400, message, "BAD_REQUEST");
}

/** Claude's own error as Databricks wraps it: `message` is a JSON string (captured, Q1). */
function upstreamError(message: string): HttpError {
  return badRequest(JSON.stringify({ message }));
}

/** The Q3 mode of an endpoint: the latest report (2026-08) has Claude compile strict tools. */
export function strictModeOf(config: EndpointConfig): StrictMode {
  return config.strictMode ?? (config.family === "claude" ? "grammar" : "ignore");
}

/** Q3: `tools[].function.strict`. `reject` refuses it by presence, even `strict: false`. */
function checkStrict(mode: StrictMode, body: JsonObject): void {
  if (mode === "ignore") return;
  const tools = Array.isArray(body["tools"]) ? body["tools"] : [];
  let schemaChars = 0;
  for (const [i, tool] of tools.entries()) {
    const fn = isJsonObject(tool) && isJsonObject(tool["function"]) ? tool["function"] : undefined;
    if (fn === undefined || !("strict" in fn)) continue;
    // Captured text (omnigent#730, ellmer#548): the upstream names the tool `custom`.
    if (mode === "reject")
      throw badRequest(`tools.${i}.custom.strict: Extra inputs are not permitted`);
    if (fn["strict"] === true) schemaChars += JSON.stringify(fn["parameters"] ?? {}).length;
  }
  const size = schemaChars * GRAMMAR_MB_PER_SCHEMA_CHAR;
  if (size > GRAMMAR_LIMIT_MB) {
    throw badRequest(
      `Compiled grammar size (${size.toFixed(1)}MB) exceeds maximum allowed size (${GRAMMAR_LIMIT_MB}MB)`,
    );
  }
}

/**
 * Q1: an assistant turn with `tool_calls` whose text is empty: `""`, `[]`, or an empty text part.
 * Whitespace-only text passes: the documented client fix (ai-bridge#333) sends `" "`.
 */
function hasEmptyTextNextToToolCalls(message: JsonObject): boolean {
  const calls = message["tool_calls"];
  if (message["role"] !== "assistant" || !Array.isArray(calls) || calls.length === 0) return false;
  const content = message["content"];
  if (content === "") return true;
  if (!Array.isArray(content)) return false;
  return (
    content.length === 0 ||
    content.some((part) => isJsonObject(part) && part["type"] === "text" && part["text"] === "")
  );
}

/** §1.4: the first `summary_text` sent back without its `signature`, as a message path. */
function unsignedReasoningPath(messages: JsonObject[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    const content = message["content"];
    if (message["role"] !== "assistant" || !Array.isArray(content)) continue;
    for (const [j, part] of content.entries()) {
      if (!isJsonObject(part) || part["type"] !== "reasoning") continue;
      const summary = Array.isArray(part["summary"]) ? part["summary"] : [];
      for (const item of summary) {
        if (!isJsonObject(item) || item["type"] !== "summary_text") continue;
        const signature = item["signature"];
        if (typeof signature !== "string" || signature === "")
          return `messages.${i}.content.${j}.thinking.signature`;
      }
    }
  }
  return undefined;
}

/** `thinking` of a Claude request (§1.1): whether it asks for reasoning. */
function claudeThinking(body: JsonObject): boolean {
  const thinking = body["thinking"];
  if (thinking === undefined || thinking === null) return false;
  if (!isJsonObject(thinking)) throw badRequest("thinking: Input should be an object");
  if (thinking["type"] === "disabled") return false;
  if (thinking["type"] === "adaptive") return true;
  if (thinking["type"] !== "enabled") {
    throw badRequest(`thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'`);
  }
  const budget = thinking["budget_tokens"];
  if (typeof budget !== "number" || !Number.isInteger(budget) || budget < 1) {
    throw badRequest("thinking.enabled.budget_tokens: Field required (a positive integer)");
  }
  const max = body["max_tokens"] ?? body["max_completion_tokens"];
  // The docs rule; the real wording is not captured (§10.5), this is Anthropic's API wording.
  if (typeof max === "number" && budget >= max) {
    throw badRequest("`max_tokens` must be greater than `thinking.budget_tokens`.");
  }
  return true;
}

function checkClaude(config: EndpointConfig, body: JsonObject): ReasoningPlan {
  // Q4 and Q8: the texts are not captured beyond "Extra inputs are not permitted"; both use the
  // upstream validator's `<field>: Extra inputs are not permitted` form of Q3.
  if ("parallel_tool_calls" in body)
    throw badRequest("parallel_tool_calls: Extra inputs are not permitted");
  if ("reasoning_effort" in body)
    throw badRequest("reasoning_effort: Extra inputs are not permitted");
  const messages = Array.isArray(body["messages"]) ? body["messages"].filter(isJsonObject) : [];
  if (messages.some(hasEmptyTextNextToToolCalls)) {
    throw upstreamError("messages: text content blocks must be non-empty");
  }
  if (config.unsignedReasoning === "reject") {
    const path = unsignedReasoningPath(messages);
    if (path !== undefined) throw upstreamError(`${path}: Field required`);
  }
  const reasoning = claudeThinking(body);
  if (reasoning && forcesToolUse(body["tool_choice"])) {
    // Anthropic's own wording (not captured through Databricks; docs/PROTOCOL.md §9.22).
    throw upstreamError("Thinking may not be enabled when tool_choice forces tool use.");
  }
  return { reasoning };
}

/** Whether a chat `tool_choice` forces a tool call (`required`, `any` or a named function). */
function forcesToolUse(choice: JsonValue | undefined): boolean {
  if (choice === "required" || choice === "any") return true;
  return isJsonObject(choice) && (choice["type"] === "function" || choice["type"] === "tool");
}

function checkGptOss(body: JsonObject): ReasoningPlan {
  const effort = body["reasoning_effort"];
  if (effort === undefined || effort === null) return { reasoning: true, effort: "medium" };
  if (effort === "low" || effort === "medium" || effort === "high")
    return { reasoning: true, effort };
  // Docs: "Unsupported effort values are rejected rather than remapped" (wording is ours).
  throw apiError(
    400,
    `reasoning_effort must be one of "low", "medium", "high", got ${JSON.stringify(effort)}.`,
    "INVALID_PARAMETER_VALUE",
  );
}

/**
 * A GPT-5 effort (`reasoning_effort` on chat, `reasoning.effort` on Responses), medium when unset.
 * Unsupported values are rejected, not remapped (docs); the wording is OpenAI's own.
 */
export function gptEffort(value: unknown, field: string): ReasoningEffort {
  if (value === undefined || value === null) return "medium";
  if (GPT_EFFORTS.includes(value as ReasoningEffort)) return value as ReasoningEffort;
  throw badRequest(
    `Unsupported value: '${field}' does not support ${JSON.stringify(value)} with this model. ` +
      `Supported values are: 'minimal', 'low', 'medium', and 'high'.`,
  );
}

/** Apply the family's request rules; returns whether and how the answer reasons. */
export function checkFamilyRequest(config: EndpointConfig, body: JsonObject): ReasoningPlan {
  checkStrict(strictModeOf(config), body);
  switch (config.family) {
    case "claude":
      return checkClaude(config, body);
    case "gpt-oss":
      return checkGptOss(body);
    case "gpt":
      return {
        reasoning: false,
        hiddenReasoning: true,
        effort: gptEffort(body["reasoning_effort"], "reasoning_effort"),
      };
    default:
      return { reasoning: false };
  }
}
