import { isJsonObject } from "../json.js";
import type { JsonObject, JsonValue } from "../types.js";

/**
 * Builds a JSON value that satisfies a JSON schema, for tool-call arguments and `json_schema`
 * structured output. Covers what LLM tool schemas use in practice (objects, arrays, scalars,
 * `enum`, `const`, `anyOf`/`oneOf`/`allOf`, local `$ref`s, common string formats, numeric bounds);
 * every declared property is filled, so both `required` and optional ones are present.
 */
export interface SchemaValueSource {
  /** A plausible string for the property called `key` (may be "" at the root). */
  text(key: string): string;
  /**
   * A number for the property called `key` taken from the conversation (a tool result), if any.
   * Used when it fits the schema's bounds (and is whole for integers); otherwise the bounds decide.
   */
  number?(key: string): number | undefined;
}

const MAX_DEPTH = 8;

function resolveRef(ref: string, root: JsonObject): JsonValue | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: JsonValue | undefined = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = isJsonObject(node) ? node[part] : undefined;
  }
  return node;
}

function firstType(schema: JsonObject): string | undefined {
  const type = schema["type"];
  if (typeof type === "string") return type;
  if (Array.isArray(type)) {
    const nonNull = type.find((t) => typeof t === "string" && t !== "null");
    return typeof nonNull === "string" ? nonNull : "null";
  }
  if (isJsonObject(schema["properties"])) return "object";
  if (schema["items"] !== undefined) return "array";
  return undefined;
}

/** A numeric keyword of a schema (`minimum`, `maximum`, …), if set to a number. */
function numeric(schema: JsonObject, name: string): number | undefined {
  const value = schema[name];
  return typeof value === "number" ? value : undefined;
}

/** `known` (a number from the conversation) when the schema allows it, else one from the bounds. */
function numberFor(schema: JsonObject, integer: boolean, known: number | undefined): number {
  if (known !== undefined && fits(known, schema, integer)) return known;
  const min = numeric(schema, "minimum");
  const exclusiveMin = numeric(schema, "exclusiveMinimum");
  const max = numeric(schema, "maximum");
  let value = min ?? (exclusiveMin !== undefined ? exclusiveMin + 1 : 1);
  if (max !== undefined && value > max) value = max;
  return integer ? Math.ceil(value) : value;
}

/** Whether a number satisfies the numeric keywords of a schema. */
function fits(value: number, schema: JsonObject, integer: boolean): boolean {
  const min = numeric(schema, "minimum");
  const max = numeric(schema, "maximum");
  const exclusiveMin = numeric(schema, "exclusiveMinimum");
  const exclusiveMax = numeric(schema, "exclusiveMaximum");
  const multipleOf = numeric(schema, "multipleOf");
  return (
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max) &&
    (exclusiveMin === undefined || value > exclusiveMin) &&
    (exclusiveMax === undefined || value < exclusiveMax) &&
    (multipleOf === undefined || Number.isInteger(value / multipleOf))
  );
}

function stringFor(schema: JsonObject, key: string, source: SchemaValueSource): string {
  switch (schema["format"]) {
    case "date":
      return "2024-01-01";
    case "date-time":
      return "2024-01-01T00:00:00Z";
    case "time":
      return "12:00:00";
    case "email":
      return "user@example.com";
    case "uri":
    case "url":
      return "https://example.com";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
    default:
      break;
  }
  let text = source.text(key);
  const minLength = numeric(schema, "minLength") ?? 0;
  const maxLength = numeric(schema, "maxLength");
  while (text.length < minLength) text += text === "" ? "x" : ` ${text}`;
  if (maxLength !== undefined) text = text.slice(0, maxLength);
  return text;
}

function build(
  schema: JsonValue | undefined,
  key: string,
  root: JsonObject,
  source: SchemaValueSource,
  depth: number,
): JsonValue {
  if (schema === true || schema === undefined) return source.text(key);
  if (!isJsonObject(schema) || depth > MAX_DEPTH) return null;
  const ref = schema["$ref"];
  if (typeof ref === "string") return build(resolveRef(ref, root), key, root, source, depth + 1);
  if (schema["const"] !== undefined) return schema["const"];
  const enumValues = schema["enum"];
  if (Array.isArray(enumValues) && enumValues.length > 0) return enumValues[0] ?? null;
  for (const combinator of ["anyOf", "oneOf"] as const) {
    const options = schema[combinator];
    if (Array.isArray(options) && options.length > 0) {
      const pick = options.find((o) => !(isJsonObject(o) && o["type"] === "null")) ?? options[0];
      return build(pick, key, root, source, depth + 1);
    }
  }
  const allOf = schema["allOf"];
  if (Array.isArray(allOf) && allOf.length > 0) {
    const merged: JsonObject = {};
    for (const part of allOf) {
      const value = build(part, key, root, source, depth + 1);
      if (isJsonObject(value)) Object.assign(merged, value);
      else return value;
    }
    return merged;
  }
  switch (firstType(schema)) {
    case "string":
      return stringFor(schema, key, source);
    case "integer":
      return numberFor(schema, true, source.number?.(key));
    case "number":
      return numberFor(schema, false, source.number?.(key));
    case "boolean":
      return true;
    case "null":
      return null;
    case "array": {
      const minItems = numeric(schema, "minItems") ?? 1;
      const maxItems = numeric(schema, "maxItems") ?? minItems;
      const count = Math.min(Math.max(minItems, 1), maxItems);
      const items = Array.isArray(schema["items"]) ? schema["items"][0] : schema["items"];
      const out: JsonValue[] = [];
      for (let i = 0; i < count; i++) out.push(build(items, key, root, source, depth + 1));
      return out;
    }
    case "object": {
      const out: JsonObject = {};
      const properties = schema["properties"];
      if (isJsonObject(properties)) {
        for (const [name, sub] of Object.entries(properties)) {
          out[name] = build(sub, name, root, source, depth + 1);
        }
      }
      const required = schema["required"];
      if (Array.isArray(required)) {
        for (const name of required) {
          if (typeof name === "string" && !(name in out)) out[name] = source.text(name);
        }
      }
      return out;
    }
    default:
      return source.text(key);
  }
}

/** A value satisfying `schema` (whose local `$ref`s resolve against `schema` itself). */
export function valueForSchema(
  schema: JsonValue | undefined,
  source: SchemaValueSource,
): JsonValue {
  const root = isJsonObject(schema) ? schema : {};
  return build(schema ?? { type: "object" }, "", root, source, 0);
}
