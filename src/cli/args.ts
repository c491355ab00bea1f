/** Command-line parsing helpers on top of `node:util` `parseArgs`, turning its errors into usage errors. */
import { CliUsageError } from "./errors.js";

/**
 * Run a `parseArgs` call for `command`; its `ERR_PARSE_ARGS_*` errors become {@link CliUsageError}
 * with the first sentence of Node's message (the rest explains `--` at length).
 */
export function parseCommandLine<T>(command: string | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      const message = (error as Error).message;
      const first = /^(.*?[.])(\s|$)/.exec(message)?.[1] ?? message;
      throw new CliUsageError(lowerFirst(first.replace(/\.$/, "")), command);
    }
    throw error;
  }
}

/** An integer option within [min, max]. */
export function integerOption(
  command: string,
  name: string,
  raw: string,
  min: number,
  max: number,
): number {
  const value = /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliUsageError(
      `--${name} must be an integer from ${min} to ${max}, got '${raw}'`,
      command,
    );
  }
  return value;
}

/** A finite number option of at least `min`. */
export function numberOption(command: string, name: string, raw: string, min: number): number {
  const value = raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new CliUsageError(`--${name} must be a number >= ${min}, got '${raw}'`, command);
  }
  return value;
}

/**
 * A duration in milliseconds from seconds (`30`, `2.5`) or with a unit (`500ms`, `30s`, `2m`).
 * Seconds are the unit because that is what `curl --max-time` and most CLIs take.
 */
export function durationOption(command: string, name: string, raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  const amount = match?.[1] !== undefined ? Number(match[1]) : Number.NaN;
  const factor = match?.[2] === "ms" ? 1 : match?.[2] === "m" ? 60_000 : 1000;
  const ms = Math.round(amount * factor);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CliUsageError(
      `--${name} must be a positive duration in seconds (or with a unit: 500ms, 30s, 2m), got '${raw}'`,
      command,
    );
  }
  return ms;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
