/**
 * Token usage as Databricks chat endpoints report it → LangChain `UsageMetadata`. Both usage
 * shapes occur behind the same API: OpenAI's (`prompt_tokens_details.cached_tokens`,
 * `completion_tokens_details.reasoning_tokens`) and Claude's (`cache_read_input_tokens`,
 * `cache_creation_input_tokens`). Pure functions, no I/O.
 */
import type { UsageMetadata } from "@langchain/core/messages";
import { isRecord, type JsonRecord } from "./values.js";

type InputDetails = NonNullable<UsageMetadata["input_token_details"]>;
type OutputDetails = NonNullable<UsageMetadata["output_token_details"]>;

/**
 * OpenAI- or Claude-style `usage` → LangChain `UsageMetadata`, or undefined when it carries no
 * counts. `input_tokens` is the reported `prompt_tokens` as is: whether Claude's `prompt_tokens`
 * already includes its cache tokens is disputed, so nothing is added to it; the raw `usage` stays
 * in `response_metadata.usage` for callers who need the exact fields.
 */
export function toUsageMetadata(usage: unknown): UsageMetadata | undefined {
  if (!isRecord(usage)) return undefined;
  const input = numberOr(usage["prompt_tokens"] ?? usage["input_tokens"]);
  const output = numberOr(usage["completion_tokens"] ?? usage["output_tokens"]);
  const total = numberOr(usage["total_tokens"]);
  if (input === undefined && output === undefined && total === undefined) return undefined;
  const metadata: UsageMetadata = {
    input_tokens: input ?? 0,
    output_tokens: output ?? 0,
    total_tokens: total ?? (input ?? 0) + (output ?? 0),
  };
  const promptDetails = usage["prompt_tokens_details"] ?? usage["input_tokens_details"];
  const inputDetails: InputDetails = {};
  const cacheRead =
    numberOr(usage["cache_read_input_tokens"]) ??
    (isRecord(promptDetails) ? numberOr(promptDetails["cached_tokens"]) : undefined);
  if (cacheRead !== undefined) inputDetails.cache_read = cacheRead;
  const cacheCreation = numberOr(usage["cache_creation_input_tokens"]);
  if (cacheCreation !== undefined) inputDetails.cache_creation = cacheCreation;
  if (Object.keys(inputDetails).length > 0) metadata.input_token_details = inputDetails;
  const completionDetails = usage["completion_tokens_details"] ?? usage["output_tokens_details"];
  const reasoning = isRecord(completionDetails)
    ? numberOr(completionDetails["reasoning_tokens"])
    : undefined;
  if (reasoning !== undefined) metadata.output_token_details = { reasoning };
  return metadata;
}

/**
 * Combine two usage reports of the same answer by taking the larger count per field. Streams
 * report usage cumulatively on every chunk (pay-per-token), once at the end, or in an OpenAI-style
 * trailing chunk; in all three cases the per-field maximum is the total, and a repeated report is
 * not double-counted (databricks-ai-bridge#176, #188).
 */
export function maxUsage(
  a: UsageMetadata | undefined,
  b: UsageMetadata | undefined,
): UsageMetadata | undefined {
  return combineUsage(a, b, Math.max);
}

/**
 * The usage of two separate model calls added up (a Responses stream of an agent loop reports one
 * `response.completed` per model call).
 */
export function sumUsage(
  a: UsageMetadata | undefined,
  b: UsageMetadata | undefined,
): UsageMetadata | undefined {
  return combineUsage(a, b, (x, y) => x + y);
}

/**
 * Two raw `usage` objects of separate model calls added up field by field, nested details
 * included (`input_tokens_details.cached_tokens`); a non-numeric field keeps its latest value.
 * The raw counterpart of {@link sumUsage}, so that `response_metadata.usage` of a multi-call
 * stream counts what its `usage_metadata` counts.
 */
export function sumRawUsage(a: JsonRecord | undefined, b: JsonRecord): JsonRecord {
  const out: JsonRecord = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const previous = out[key];
    if (typeof value === "number" && typeof previous === "number") out[key] = previous + value;
    else if (isRecord(value) && isRecord(previous)) out[key] = sumRawUsage(previous, value);
    else out[key] = value;
  }
  return out;
}

function combineUsage(
  a: UsageMetadata | undefined,
  b: UsageMetadata | undefined,
  combine: (x: number, y: number) => number,
): UsageMetadata | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: UsageMetadata = {
    input_tokens: combine(a.input_tokens, b.input_tokens),
    output_tokens: combine(a.output_tokens, b.output_tokens),
    total_tokens: combine(a.total_tokens, b.total_tokens),
  };
  const input = combineDetails<InputDetails>(a.input_token_details, b.input_token_details, combine);
  if (input) out.input_token_details = input;
  const output = combineDetails<OutputDetails>(
    a.output_token_details,
    b.output_token_details,
    combine,
  );
  if (output) out.output_token_details = output;
  return out;
}

function combineDetails<T extends Record<string, number | undefined>>(
  a: T | undefined,
  b: T | undefined,
  combine: (x: number, y: number) => number,
): T | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[key] = combine(a[key] ?? 0, b[key] ?? 0);
  }
  return out as T;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
