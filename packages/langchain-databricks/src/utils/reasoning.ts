/**
 * Reasoning content of Databricks chat completions ↔ LangChain content blocks. Pure functions and
 * one small stream helper, no I/O.
 *
 * On the wire a reasoning model answers `content` as a list of parts (modern-serving §1.2):
 * `{type: "reasoning", summary: [{type: "summary_text", text, signature?} |
 * {type: "summary_encrypted_text", data}]}` next to `{type: "text", text}`. In a message each
 * summary entry becomes one standard block `{type: "reasoning", reasoning}`, so that LangChain's
 * `contentBlocks` and `text` (which reads text blocks only) work on every core 1.x without a block
 * translator; the opaque data Claude needs back rides on the same block, never as text:
 * `signature` (the name core's Anthropic translator uses) and `encrypted_data` (redacted
 * thinking, reasoning `""`).
 */
import { isRecord, type JsonRecord } from "./values.js";

/** A standard reasoning block as this package stores it in message content. */
export type ReasoningBlock = {
  type: "reasoning";
  /** The reasoning text (summary or raw thinking); `""` for redacted thinking. */
  reasoning: string;
  /** Claude's signature of this thinking block, sent back unchanged. */
  signature?: string;
  /** Claude's redacted thinking (`summary_encrypted_text.data`), sent back unchanged. */
  encrypted_data?: string;
  /** Position in a streamed answer: LangChain's `concat` merges pieces with the same index. */
  index?: number;
};

/** One wire reasoning part → one block per summary entry (entries of other types are skipped). */
export function reasoningBlocksOf(part: JsonRecord): ReasoningBlock[] {
  const summary = Array.isArray(part["summary"]) ? part["summary"] : [];
  const blocks: ReasoningBlock[] = [];
  for (const entry of summary) {
    const block = reasoningBlockOf(entry);
    if (block) blocks.push(block);
  }
  return blocks;
}

function reasoningBlockOf(entry: unknown): ReasoningBlock | undefined {
  if (!isRecord(entry)) return undefined;
  if (entry["type"] === "summary_encrypted_text" && typeof entry["data"] === "string") {
    return { type: "reasoning", reasoning: "", encrypted_data: entry["data"] };
  }
  if (entry["type"] === "summary_text" || typeof entry["text"] === "string") {
    const block: ReasoningBlock = {
      type: "reasoning",
      reasoning: typeof entry["text"] === "string" ? entry["text"] : "",
    };
    // Streams send `signature: ""` on every text piece; only a real one is worth keeping.
    if (typeof entry["signature"] === "string" && entry["signature"] !== "") {
      block.signature = entry["signature"];
    }
    return block;
  }
  return undefined;
}

/**
 * A reasoning block of a message → the wire part of §1.4, with its signature or redacted data
 * unchanged. A block still in the wire shape (`summary` list, e.g. built by hand) is sent as is.
 * Each block becomes its own part: Databricks answers one summary entry per part (one per Claude
 * thinking block), so this restores the parts it sent.
 */
export function toWireReasoningPart(block: JsonRecord): JsonRecord {
  if (Array.isArray(block["summary"])) {
    const { index: _index, ...part } = block;
    return part;
  }
  if (typeof block["encrypted_data"] === "string") {
    return {
      type: "reasoning",
      summary: [{ type: "summary_encrypted_text", data: block["encrypted_data"] }],
    };
  }
  const entry: JsonRecord = {
    type: "summary_text",
    text: typeof block["reasoning"] === "string" ? block["reasoning"] : "",
  };
  if (typeof block["signature"] === "string" && block["signature"] !== "") {
    entry["signature"] = block["signature"];
  }
  return { type: "reasoning", summary: [entry] };
}

/**
 * Wire content → its answer text: a string as is, the text parts of a list joined (reasoning is
 * not answer text), `""` for null or anything else.
 */
export function wireText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (typeof part === "string") text += part;
    else if (isRecord(part) && part["type"] === "text" && typeof part["text"] === "string") {
      text += part["text"];
    }
  }
  return text;
}

/**
 * Gives streamed blocks the `index` under which LangChain's `AIMessageChunk.concat` merges them,
 * so the aggregate holds the same blocks as the non-streamed answer. Deltas carry no index of
 * their own, so a block boundary is inferred: text pieces extend the open text block; reasoning
 * pieces extend the open reasoning block until a non-empty text piece follows a signature (Claude
 * signs a thinking block at its end, possibly over several signature-only fragments, which are
 * concatenated); redacted data is always a block of its own.
 */
export class StreamBlockIndexer {
  private open: { kind: "text" | "reasoning"; index: number; signed: boolean } | undefined;
  private next = 0;

  /** A text piece as an indexed text block. */
  text(text: string): JsonRecord {
    return { type: "text", text, index: this.indexFor("text", false) };
  }

  /** A streamed wire reasoning part → indexed reasoning blocks. */
  reasoning(part: JsonRecord): ReasoningBlock[] {
    return reasoningBlocksOf(part).map((block) => {
      if (block.encrypted_data !== undefined) {
        this.open = undefined;
        return { ...block, index: this.next++ };
      }
      const continues =
        this.open?.kind === "reasoning" && !(this.open.signed && block.reasoning !== "");
      const index = continues && this.open ? this.open.index : this.indexFor("reasoning", true);
      if (this.open && block.signature !== undefined) this.open.signed = true;
      return { ...block, index };
    });
  }

  /** A part of another kind (e.g. an image) ends the open block and gets an index of its own. */
  other(part: JsonRecord): JsonRecord {
    this.open = undefined;
    return { ...part, index: this.next++ };
  }

  private indexFor(kind: "text" | "reasoning", fresh: boolean): number {
    if (!fresh && this.open?.kind === kind) return this.open.index;
    this.open = { kind, index: this.next++, signed: false };
    return this.open.index;
  }
}
