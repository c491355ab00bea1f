/** Command-line parsing helpers on top of `node:util` `parseArgs`, turning its errors into usage errors. */
import { parseArgs } from "node:util";
import { MAX_TIMEOUT_MS } from "../transport/deadline.js";
import { CliUsageError } from "./errors.js";
import type { CliOutput } from "./io.js";

/** One option of a command, as `parseArgs` takes it. */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

/** The options a command declares (`--help` / `-h` is added to every command). */
export type OptionTable = Record<string, OptionSpec>;

type OptionValue<S extends OptionSpec> = S extends { type: "boolean" }
  ? S extends { multiple: true }
    ? boolean[]
    : boolean
  : S extends { multiple: true }
    ? string[]
    : string;

/** Parsed values: one optional entry per declared option. */
export type OptionValues<O extends OptionTable> = { [K in keyof O]?: OptionValue<O[K]> };

/** What a command declares: its name, its `--help` text and its options. */
export interface CommandSpec<O extends OptionTable> {
  /** The command name, for the "see '... <name> --help'" hint of usage errors. */
  name: string;
  /** Printed to stdout for `--help` / `-h`. */
  usage: string;
  options: O;
  /**
   * Whether the command takes positional arguments. Default false: the first one is the usage
   * error "unexpected argument '<arg>'". When true, the command checks their number itself.
   */
  positionals?: boolean;
}

/** A parsed command line. */
export interface CommandLine<O extends OptionTable> {
  values: OptionValues<O>;
  positionals: string[];
}

const HELP_OPTION = { type: "boolean", short: "h" } as const;

/**
 * Parse a command's arguments (strictly: unknown options and malformed values are usage errors).
 * `--help` anywhere on the line prints `spec.usage` to `stdout` and returns undefined, meaning
 * "done, exit 0"; it wins over every other check.
 */
export function parseCommand<const O extends OptionTable>(
  stdout: CliOutput,
  argv: readonly string[],
  spec: CommandSpec<O>,
): CommandLine<O> | undefined {
  const options: OptionTable = { ...spec.options, help: HELP_OPTION };
  const { values, positionals } = parseCommandLine(spec.name, () =>
    parseArgs({ args: [...argv], allowPositionals: true, strict: true, options }),
  );
  const { help, ...declared } = values;
  if (help === true) {
    stdout.write(spec.usage);
    return undefined;
  }
  if (spec.positionals !== true && positionals.length > 0) {
    throw new CliUsageError(`unexpected argument '${positionals[0] ?? ""}'`, spec.name);
  }
  // parseArgs checked every value against `spec.options`, which is what OptionValues describes.
  return { values: declared as OptionValues<O>, positionals };
}

/**
 * Run a `parseArgs` call for `command`; its `ERR_PARSE_ARGS_*` errors become {@link CliUsageError}
 * with the first sentence of Node's message (the rest explains `--` at length).
 */
function parseCommandLine<T>(command: string | undefined, parse: () => T): T {
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

/** An optional integer option within [min, max], `fallback` when absent. */
export function integerOptionOr<F extends number | undefined>(
  command: string,
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
  fallback: F,
): number | F {
  return raw === undefined ? fallback : integerOption(command, name, raw, min, max);
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
  // A longer timer fires after 1 ms (Node's timers hold 2^31-1 ms): say so here, as a usage error.
  if (ms > MAX_TIMEOUT_MS) {
    throw new CliUsageError(
      `--${name} must be at most ${Math.floor(MAX_TIMEOUT_MS / 60_000)}m (about 24.8 days), got '${raw}'`,
      command,
    );
  }
  return ms;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
