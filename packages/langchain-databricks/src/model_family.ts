/**
 * Which model family a serving endpoint most likely serves, guessed from its name. Databricks'
 * own clients decide model quirks the same way (databricks-ai-bridge keeps tool `strict` only when
 * the name contains `gpt` and fixes empty Claude content only when it contains `claude`). Endpoint
 * names are user-defined, so this is a heuristic: a custom-named endpoint guesses `"unknown"`, and
 * the `modelFamily` option of `ChatDatabricks` overrides the guess.
 */

/** The model families whose quirks and capabilities `ChatDatabricks` knows. */
export type ModelFamily =
  | "claude"
  | "gpt"
  | "gpt-oss"
  | "gemini"
  | "gemma"
  | "llama"
  | "qwen"
  | "mistral"
  | "deepseek"
  | "dbrx"
  | "unknown";

// First match wins: `gpt-oss` before `gpt` (both contain "gpt"), `codex` is an OpenAI GPT model.
const NAME_PATTERNS: readonly (readonly [ModelFamily, RegExp])[] = [
  ["claude", /claude/],
  ["gpt-oss", /gpt-oss/],
  ["gpt", /gpt|codex/],
  ["gemma", /gemma/],
  ["gemini", /gemini/],
  ["llama", /llama/],
  ["qwen", /qwen/],
  ["mistral", /mistral|mixtral/],
  ["deepseek", /deepseek/],
  ["dbrx", /dbrx/],
];

/**
 * Guess the family from an endpoint name by case-insensitive substring, e.g.
 * `databricks-claude-sonnet-4-5` → `"claude"`, `databricks-gpt-5-1-codex-max` → `"gpt"`,
 * `databricks-gpt-oss-120b` → `"gpt-oss"`, `my-agent` → `"unknown"`.
 */
export function guessModelFamily(endpoint: string): ModelFamily {
  const name = endpoint.toLowerCase();
  for (const [family, pattern] of NAME_PATTERNS) if (pattern.test(name)) return family;
  return "unknown";
}

/** The families the {@link ModelFamily} type lists, for option checks. */
export const MODEL_FAMILIES: readonly ModelFamily[] = [
  ...NAME_PATTERNS.map(([family]) => family),
  "unknown",
];
