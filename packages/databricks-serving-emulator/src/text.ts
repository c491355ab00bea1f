/**
 * The emulator's notion of a "token": a word (letters/digits, with inner apostrophes or hyphens)
 * or a single punctuation mark. Real models use sub-word tokenisers; counting words keeps
 * `max_tokens` and `usage` predictable in tests, which is all an emulator needs.
 */

const TOKEN_RE = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

/** Split text into emulator tokens. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

/** Number of emulator tokens in `text`. */
export function countTokens(text: string): number {
  let count = 0;
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.exec(text) !== null) count++;
  return count;
}

const NO_SPACE_BEFORE = new Set([".", ",", "!", "?", ";", ":", ")", "%", "…"]);
const NO_SPACE_AFTER = new Set(["(", "$", "¿", "¡"]);

/** Join tokens back into text with English spacing around punctuation. */
export function detokenize(tokens: readonly string[]): string {
  let out = "";
  let previous = "";
  for (const token of tokens) {
    if (out !== "" && !NO_SPACE_BEFORE.has(token) && !NO_SPACE_AFTER.has(previous)) out += " ";
    out += token;
    previous = token;
  }
  return out;
}

/**
 * Cut `text` before the earliest occurrence of any stop sequence. Returns whether a stop sequence
 * was found (the sequence itself is never included, as with OpenAI and Databricks).
 */
export function applyStop(
  text: string,
  stop: readonly string[],
): { text: string; stopped: boolean } {
  let cut = -1;
  for (const s of stop) {
    if (s === "") continue;
    const at = text.indexOf(s);
    if (at !== -1 && (cut === -1 || at < cut)) cut = at;
  }
  return cut === -1 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}

/**
 * Keep at most `maxTokens` emulator tokens of `text`, preserving the original spacing of the part
 * that is kept. Returns whether anything was cut.
 */
export function capTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (maxTokens < 0) return { text, truncated: false };
  TOKEN_RE.lastIndex = 0;
  let seen = 0;
  let end = 0;
  let match: RegExpExecArray | null;
  while ((match = TOKEN_RE.exec(text)) !== null) {
    if (seen === maxTokens) return { text: text.slice(0, end), truncated: true };
    seen++;
    end = match.index + match[0].length;
  }
  return { text, truncated: false };
}

/**
 * Split text into streaming pieces: each piece is one word or punctuation mark with the whitespace
 * before it, so concatenating the pieces gives back exactly `text`.
 */
export function streamPieces(text: string): string[] {
  const pieces = text.match(/\s*[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|\s*[^\s\p{L}\p{N}]|\s+$/gu);
  return pieces ?? (text === "" ? [] : [text]);
}

/** Split a string into about `parts` slices of similar length (at least one character each). */
export function splitEvenly(text: string, parts: number): string[] {
  if (text.length === 0) return [""];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, parts)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
