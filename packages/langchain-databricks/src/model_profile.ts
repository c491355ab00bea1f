/**
 * `ChatDatabricks.profile`: what the model behind an endpoint can do, derived from its family.
 * Only what the serving reference or Databricks' docs support is claimed; an unknown family
 * claims nothing, so LangChain falls back to its defaults (for `createAgent`: tool-call-based
 * structured output).
 */
import type { ModelFamily } from "./model_family.js";
import type { DatabricksModelProfile } from "./types.js";

// Databricks translates `response_format` for "any supported chat model" of the Foundation Model
// APIs, so every known chat family gets `structuredOutput`.
const FAMILY_PROFILES: Readonly<Record<ModelFamily, DatabricksModelProfile>> = {
  claude: {
    toolCalling: true,
    toolChoice: true,
    structuredOutput: true,
    reasoningOutput: true,
    imageInputs: true,
    // Remote image URLs are refused; images must be inlined as data URLs (reference Q12).
    imageUrlInputs: false,
  },
  gpt: {
    toolCalling: true,
    toolChoice: true,
    structuredOutput: true,
    reasoningOutput: true,
    imageInputs: true,
  },
  "gpt-oss": {
    toolCalling: true,
    toolChoice: true,
    structuredOutput: true,
    reasoningOutput: true,
    imageInputs: false,
  },
  gemini: {
    toolCalling: true,
    toolChoice: true,
    structuredOutput: true,
    reasoningOutput: true,
    imageInputs: true,
  },
  gemma: { toolCalling: true, structuredOutput: true },
  llama: { toolCalling: true, toolChoice: true, structuredOutput: true },
  qwen: { toolCalling: true, toolChoice: true, structuredOutput: true },
  mistral: { structuredOutput: true },
  deepseek: { structuredOutput: true },
  // Legacy DBRX stopped after the first tool call (reference Q21).
  dbrx: { toolCalling: false },
  unknown: {},
};

/**
 * The profile of a family. `thinking` is the `thinking` field the model sends (from the `thinking`
 * option, `reasoningEffort` or `extraParams`): with Claude's extended or adaptive thinking on,
 * Claude refuses a forced tool choice, so `toolChoice` is false and `createAgent` picks
 * `response_format`-based structured output. `overrides` win over both.
 */
export function modelProfileFor(
  family: ModelFamily,
  thinking: unknown,
  overrides?: DatabricksModelProfile | undefined,
): DatabricksModelProfile {
  const profile: DatabricksModelProfile = { ...FAMILY_PROFILES[family] };
  if (family === "claude" && thinkingEnabled(thinking)) profile.toolChoice = false;
  return { ...profile, ...overrides };
}

function thinkingEnabled(thinking: unknown): boolean {
  if (typeof thinking !== "object" || thinking === null) return false;
  const type = (thinking as { type?: unknown }).type;
  return type === "enabled" || type === "adaptive";
}
