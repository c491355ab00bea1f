import { denoRefuses, globalProcess, isPermissionError } from "./runtime.js";

/** An environment: `process.env` or a test double. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment, or an empty one where there is no `process` (browsers, some edge
 * runtimes), so that importing the package never throws there.
 */
export function processEnv(): Env {
  return globalProcess()?.env ?? {};
}

/** One environment variable as read by {@link readEnvVar}. */
export interface EnvReading {
  /** The value, or `undefined` when unset, empty, or not readable. */
  value: string | undefined;
  /**
   * Set when the runtime refused to read the variable (Deno without `--allow-env`): the variable
   * may well be set, so error messages must say it was not consulted.
   */
  denied: boolean;
}

/**
 * Read one environment variable without ever throwing. This is the one place the package reads
 * the environment, so two rules hold everywhere:
 *
 * - an empty value counts as unset (as in the Databricks SDKs);
 * - a runtime that guards the environment (Deno without `--allow-env`) is never asked: Deno's
 *   permission state is queried first, so no interactive prompt appears and no `NotCapable` error
 *   escapes; the reading is marked `denied` instead.
 *
 * @param name - The variable name, e.g. `DATABRICKS_HOST`.
 * @param env - The environment to read; the process environment by default.
 */
export function readEnvVar(name: string, env?: Env): EnvReading {
  const source = env ?? processEnv();
  // Deno asks for --allow-env; its permission state is checked first so that nothing prompts.
  if (source === globalProcess()?.env && denoRefuses({ name: "env", variable: name })) {
    return { value: undefined, denied: true };
  }
  let value: string | undefined;
  try {
    value = source[name];
  } catch (error) {
    if (isPermissionError(error)) return { value: undefined, denied: true };
    throw error;
  }
  return { value: value === undefined || value === "" ? undefined : value, denied: false };
}

/**
 * Read one environment variable; `undefined` when it is unset, empty, or the runtime does not allow
 * reading it (see {@link readEnvVar}).
 *
 * @param name - The variable name, e.g. `DATABRICKS_HOST`.
 * @param env - The environment to read; the process environment by default.
 */
export function readEnv(name: string, env?: Env): string | undefined {
  return readEnvVar(name, env).value;
}
