/** Small value helpers shared by the classes and the wire converters. */

/** A JSON object read from the wire. */
export type JsonRecord = Record<string, unknown>;

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A wrong value, named for an error message: `null`, `an array`, the type with the value itself
 * for a number or boolean (`number 42`: short, and never a secret), else the type alone (a string
 * or object may be long or hold a secret). The one description every "got X" message uses.
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  return typeof value;
}

/** The string without surrounding blanks, or `undefined` when nothing is left. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

/** Set `key` unless `value` is `null` or `undefined`: the wire never gets a null field. */
export function setIfDefined(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== null) target[key] = value;
}

/** `Object.assign` that skips `null` and `undefined` values. */
export function assignDefined(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): void {
  for (const [key, value] of Object.entries(source)) setIfDefined(target, key, value);
}

/** `items` cut into consecutive slices of `size` (the last may be shorter), in order. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
