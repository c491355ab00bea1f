/**
 * `reasoningEffort` for Claude endpoints, which refuse `reasoning_effort` (modern-serving §1.1,
 * Q8): it becomes Claude's `thinking` with a token budget. Which endpoints are Claude is
 * `ChatDatabricks.modelFamily` (`model_family.ts`).
 */
import { DatabricksConfigError } from "./errors.js";

/** Budgets per effort, as litellm maps OpenAI-style efforts to Anthropic thinking. */
const CLAUDE_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  low: 1024,
  medium: 2048,
  high: 4096,
};

/** `thinking` for a Claude endpoint asked for `effort`; unknown efforts are refused, not guessed. */
export function claudeThinkingFor(effort: string): Record<string, unknown> {
  const budget = CLAUDE_THINKING_BUDGETS[effort];
  if (budget === undefined) {
    throw new DatabricksConfigError(
      `reasoningEffort "${effort}" has no Claude equivalent: use "low", "medium" or "high", or pass \`thinking\` (e.g. {type: "enabled", budget_tokens: 2048}).`,
    );
  }
  return { type: "enabled", budget_tokens: budget };
}
