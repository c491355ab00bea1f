/**
 * Standard Schema (with Standard JSON Schema) detection, declared here rather than imported from
 * `@langchain/core/utils/standard_schema`, which exists only from core 1.1.30: importing it would
 * make the whole entry fail to load on older 1.x cores.
 */

/** A schema that validates (`~standard.validate`) and converts to JSON Schema (`~standard.jsonSchema`). */
export interface SerializableSchema<Output = unknown> {
  readonly "~standard": {
    readonly validate: (value: unknown) => unknown;
    readonly jsonSchema: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>;
    };
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

/** The same structural test as core's `isSerializableSchema`. */
export function isSerializableSchema(schema: unknown): schema is SerializableSchema {
  if ((typeof schema !== "object" && typeof schema !== "function") || schema === null) return false;
  const standard = (schema as { "~standard"?: unknown })["~standard"];
  return (
    typeof standard === "object" &&
    standard !== null &&
    "validate" in standard &&
    "jsonSchema" in standard
  );
}

/** The JSON Schema of a serializable schema, as core's `toJsonSchema` produces it (draft-07). */
export function standardJsonSchema(schema: SerializableSchema): Record<string, unknown> {
  return schema["~standard"].jsonSchema.input({ target: "draft-07" });
}
