/**
 * How the language models serialise for LangChain (`toJSON()`, `load`): secrets only as
 * `{"type": "secret"}` references, never their values; functions as `not_implemented` markers.
 */
import type { Serialized, SerializedNotImplemented } from "@langchain/core/load/serializable";

/** Constructor fields that are secrets, mapped to the environment variable LangChain restores them from. */
export const CONNECTION_SECRETS = {
  token: "DATABRICKS_TOKEN",
  apiToken: "DATABRICKS_TOKEN",
  clientSecret: "DATABRICKS_CLIENT_SECRET",
} as const;

/**
 * LangChain keeps constructor fields in `lc_kwargs` for serialisation, which would leave a token in
 * plain sight of `console.log(model)`. Replace secret values with a placeholder: `toJSON()` still
 * emits the `{"type": "secret"}` reference (it only needs the key), and nothing prints the value.
 */
export function redactSecretKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...kwargs };
  for (const key of Object.keys(CONNECTION_SECRETS)) {
    if (copy[key] !== undefined) copy[key] = "***";
  }
  return copy;
}

/**
 * Finish a LangChain `toJSON()`: constructor fields holding functions or credential objects
 * (`transformInputFn`, `fetch`, `credentials`…) cannot be serialised, so each becomes a
 * `not_implemented` marker and LangChain's `load` fails clearly instead of silently dropping it.
 */
export function markUnserializableKwargs(
  serialized: Serialized,
  kwargs: Record<string, unknown>,
): Serialized {
  if (serialized.type !== "constructor") return serialized;
  const out = { ...serialized.kwargs };
  for (const [key, value] of Object.entries(kwargs)) {
    if (typeof value !== "function" && key !== "credentials") continue;
    const jsonKey = key.replace(/([A-Z])/g, "_$1").toLowerCase();
    delete out[key];
    out[jsonKey] = {
      lc: 1,
      type: "not_implemented",
      id: [
        `${key} cannot be serialized: construct the model again with it, e.g. new ${serialized.id.at(-1) ?? "Model"}({ ...config, ${key} })`,
      ],
    } satisfies SerializedNotImplemented;
  }
  return { ...serialized, kwargs: out };
}
