/**
 * Checks and merging for the generation settings `Databricks` and `ChatDatabricks` share
 * (temperature, max tokens, n, stop, extra fields). Each class maps them to wire names itself, in
 * its `invocationParams`.
 */
import { DatabricksConfigError } from "./errors.js";
import { checkMaxRetries, checkNumberOption } from "./options.js";
import type { DatabricksChoiceOptions, DatabricksGenerationOptions } from "./types.js";

/**
 * Check numeric generation settings where they are given (`where` names the constructor or the
 * call), so a NaN or negative value is refused before any request instead of sent.
 */
export function validateGenerationOptions(
  options: DatabricksGenerationOptions & DatabricksChoiceOptions,
  where: string,
): void {
  checkNumberOption(options.temperature, "temperature", { integer: false, min: 0 }, where);
  checkNumberOption(options.maxTokens, "maxTokens", { integer: true, min: 1 }, where);
  checkNumberOption(options.n, "n", { integer: true, min: 1 }, where);
  if (options.stop !== undefined) {
    if (!Array.isArray(options.stop) || !options.stop.every((s) => typeof s === "string")) {
      throw new DatabricksConfigError(
        `Invalid stop in ${where}: use a list of strings, e.g. stop: ["\\n"].`,
      );
    }
  }
}

/**
 * One call's options checked before anything is sent (even the endpoint metadata request): the
 * generation overrides and LangChain's per-call `maxRetries`.
 */
export function validateCallOptions(
  options: DatabricksGenerationOptions & { maxRetries?: number | undefined },
): void {
  validateGenerationOptions(options, "the call options");
  checkMaxRetries(options.maxRetries, "the call options");
}

/**
 * `extraParams` merged with its alias `modelKwargs` (which wins, as the seed's name). A key in
 * `reserved` (a body field the class owns) is refused with the class's own message.
 */
export function mergeExtraParams(
  options: Pick<DatabricksGenerationOptions, "extraParams" | "modelKwargs">,
  reserved: readonly string[],
  refuse: (key: string, option: "extraParams" | "modelKwargs") => DatabricksConfigError,
): Record<string, unknown> {
  const merged = { ...options.extraParams, ...options.modelKwargs };
  for (const key of reserved) {
    if (key in merged) {
      throw refuse(
        key,
        options.modelKwargs && key in options.modelKwargs ? "modelKwargs" : "extraParams",
      );
    }
  }
  return merged;
}

/**
 * The generation settings an instance keeps, from its constructor fields: checked, with
 * `extraParams` and `modelKwargs` merged (both names then hold the merged fields).
 */
export function settleGenerationOptions(
  fields: DatabricksGenerationOptions & DatabricksChoiceOptions,
  where: string,
  reserved: readonly string[],
  refuse: (key: string, option: "extraParams" | "modelKwargs") => DatabricksConfigError,
): Record<string, unknown> {
  validateGenerationOptions(fields, where);
  const extraParams = mergeExtraParams(fields, reserved, refuse);
  const { temperature, maxTokens, n, stop } = fields;
  return { temperature, maxTokens, n, stop, extraParams, modelKwargs: extraParams };
}

/**
 * A call's generation overrides and `maxRetries`, checked (so a bad value fails before its
 * request), and the call's extra fields merged as {@link mergeExtraParams} does.
 */
export function callExtraParams(
  options: DatabricksGenerationOptions & { maxRetries?: number | undefined },
  reserved: readonly string[],
  refuse: (key: string, option: "extraParams" | "modelKwargs") => DatabricksConfigError,
): Record<string, unknown> {
  validateCallOptions(options);
  return options.extraParams || options.modelKwargs
    ? mergeExtraParams(options, reserved, refuse)
    : {};
}
