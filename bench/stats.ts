/** Small statistics and table helpers for the benchmark. */

/** Median of a non-empty list (the mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `percent` (0–100) percentile, nearest rank. */
export function percentile(values: readonly number[], percent: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1),
  );
  return sorted[rank] as number;
}

/** Per-metric median over rounds: `{a: [r1, r2, r3], ...}` → `{a: median, ...}`. */
export function medianOfRounds<K extends string>(
  rounds: readonly Record<K, number>[],
): Record<K, number> {
  const first = rounds[0];
  if (!first) throw new Error("no rounds");
  const out = {} as Record<K, number>;
  for (const key of Object.keys(first) as K[]) out[key] = median(rounds.map((r) => r[key]));
  return out;
}

/** The contender list rotated by `round`, so no contender always runs first (or last). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** `1234.5` → `"1,235"`; small values keep `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A throughput ratio `value / reference`; NaN when either side is missing. */
export function ratioValue(value: number, reference: number | undefined): number {
  if (reference === undefined || !Number.isFinite(value) || !(reference > 0)) return Number.NaN;
  return value / reference;
}

/** A ratio as `"1.23×"`; `"n/a"` when it could not be measured. */
export function times(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)}×` : "n/a";
}

/** A GitHub-flavoured markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  const align = headers.map((_, i) => (i === 0 ? "---" : "---:"));
  return [line(headers), line(align), ...rows.map(line)].join("\n");
}
