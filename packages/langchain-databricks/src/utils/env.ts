/** An environment: `process.env` or a test double. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment, or an empty one where there is no `process` (browsers, some edge
 * runtimes), so that importing the package never throws there.
 */
export function processEnv(): Env {
  return typeof process !== "undefined" && process.env ? process.env : {};
}

/**
 * Read one environment variable. This is the one place the package reads the environment, so the
 * unified-auth rule "an empty value counts as unset" (as in the Databricks SDKs) holds everywhere.
 *
 * @param name - The variable name, e.g. `DATABRICKS_HOST`.
 * @param env - The environment to read; `process.env` by default.
 * @returns The value, or `undefined` when the variable is unset or empty.
 */
export function readEnv(name: string, env: Env = processEnv()): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
