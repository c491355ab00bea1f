/**
 * Q17: DeepSeek-R1-style endpoints answer their chain of thought inside the string content, as a
 * leading `<think>…</think>` span (the Databricks chatbot template extracts it with the AI SDK's
 * `extractReasoningMiddleware({tagName: "think"})`). For those models the span becomes a reasoning
 * block and only what follows is answer text. Only a span at the very start counts (after
 * whitespace): a `<think>` later in an answer is text the model wrote.
 */

const OPEN = "<think>";
const CLOSE = "</think>";

/** A piece of streamed content: reasoning or answer text. */
export interface ThinkPiece {
  kind: "reasoning" | "text";
  text: string;
}

/** Split a whole answer: `{reasoning, text}`, `reasoning` undefined when there is no span. */
export function splitThinkTags(content: string): { reasoning: string | undefined; text: string } {
  const start = content.trimStart();
  if (!start.startsWith(OPEN)) return { reasoning: undefined, text: content };
  const end = start.indexOf(CLOSE, OPEN.length);
  // An unclosed span (a truncated answer) is all reasoning.
  if (end < 0) return { reasoning: start.slice(OPEN.length), text: "" };
  return {
    reasoning: start.slice(OPEN.length, end),
    text: start.slice(end + CLOSE.length).replace(/^\s+/, ""),
  };
}

/**
 * The streaming form of {@link splitThinkTags}: text pieces in, reasoning and text pieces out.
 * Holds back only what could still be the start of a tag, so reasoning streams as it arrives.
 */
export class ThinkTagSplitter {
  private state: "start" | "thinking" | "text" = "start";
  private held = "";
  /** Whitespace right after the span is dropped, as in {@link splitThinkTags}. */
  private trimText = false;

  push(piece: string): ThinkPiece[] {
    if (this.state === "text") return this.text(piece);
    this.held += piece;
    if (this.state === "start") {
      const start = this.held.trimStart();
      if (start.length < OPEN.length && OPEN.startsWith(start)) return []; // undecided yet
      if (!start.startsWith(OPEN)) {
        this.state = "text";
        return this.text(this.takeHeld());
      }
      this.state = "thinking";
      this.held = start.slice(OPEN.length);
    }
    const end = this.held.indexOf(CLOSE);
    if (end < 0) {
      // Reasoning streams at once, except what could be the start of `</think>`.
      const keep = partialSuffix(this.held, CLOSE);
      const reasoning = this.held.slice(0, this.held.length - keep);
      this.held = this.held.slice(this.held.length - keep);
      return reasoning === "" ? [] : [{ kind: "reasoning", text: reasoning }];
    }
    const held = this.takeHeld();
    this.state = "text";
    this.trimText = true;
    const reasoning = held.slice(0, end);
    return [
      ...(reasoning === "" ? [] : [{ kind: "reasoning" as const, text: reasoning }]),
      ...this.text(held.slice(end + CLOSE.length)),
    ];
  }

  /** End of stream: whatever is held (an unclosed span is reasoning, undecided text is text). */
  flush(): ThinkPiece[] {
    const rest = this.takeHeld();
    if (rest === "") return [];
    return [{ kind: this.state === "thinking" ? "reasoning" : "text", text: rest }];
  }

  private text(piece: string): ThinkPiece[] {
    let text = piece;
    if (this.trimText) {
      text = text.replace(/^\s+/, "");
      if (text !== "") this.trimText = false;
    }
    return text === "" ? [] : [{ kind: "text", text }];
  }

  private takeHeld(): string {
    const held = this.held;
    this.held = "";
    return held;
  }
}

/** The length of the longest end of `text` that begins `tag` (a tag cut between two pieces). */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (tag.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}
