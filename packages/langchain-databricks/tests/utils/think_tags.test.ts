import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitThinkTags, ThinkTagSplitter, type ThinkPiece } from "../../src/utils/think_tags.js";

/** Run a splitter over pieces and join what it gives per kind. */
function streamSplit(pieces: readonly string[]): { reasoning: string; text: string } {
  const splitter = new ThinkTagSplitter();
  const out: ThinkPiece[] = [];
  for (const piece of pieces) out.push(...splitter.push(piece));
  out.push(...splitter.flush());
  const join = (kind: ThinkPiece["kind"]) =>
    out
      .filter((p) => p.kind === kind)
      .map((p) => p.text)
      .join("");
  return { reasoning: join("reasoning"), text: join("text") };
}

/** Cut `text` at the given positions. */
function cut(text: string, positions: readonly number[]): string[] {
  const points = [...new Set(positions.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let at = 0;
  for (const point of points) {
    pieces.push(text.slice(at, point));
    at = point;
  }
  pieces.push(text.slice(at));
  return pieces;
}

describe("splitThinkTags (Q17)", () => {
  it("a leading span is reasoning; the whitespace after it is dropped", () => {
    expect(splitThinkTags("<think>Let me see.</think>\n\nParis.")).toEqual({
      reasoning: "Let me see.",
      text: "Paris.",
    });
    expect(splitThinkTags("  \n<think>a</think>b")).toEqual({ reasoning: "a", text: "b" });
  });

  it("a span later in the answer, or none, is text; an unclosed span is all reasoning", () => {
    expect(splitThinkTags("Use <think> tags.")).toEqual({
      reasoning: undefined,
      text: "Use <think> tags.",
    });
    expect(splitThinkTags("<think>cut off")).toEqual({ reasoning: "cut off", text: "" });
  });

  it("streaming gives the same split for any cut of the answer", () => {
    const answers = fc.oneof(
      fc
        .tuple(fc.string(), fc.string(), fc.constantFrom("", " ", "\n\n"))
        .map(([r, t, gap]) => `<think>${r.replaceAll("<", "")}</think>${gap}${t}`),
      fc.string(),
    );
    fc.assert(
      fc.property(answers, fc.array(fc.nat(), { maxLength: 8 }), (answer, positions) => {
        const whole = splitThinkTags(answer);
        const streamed = streamSplit(cut(answer, positions));
        expect(streamed).toEqual({ reasoning: whole.reasoning ?? "", text: whole.text });
      }),
    );
  });

  it("reasoning streams before the span closes; only a possible tag start is held", () => {
    const splitter = new ThinkTagSplitter();
    expect(splitter.push("<thi")).toEqual([]);
    expect(splitter.push("nk>Hmm, ")).toEqual([{ kind: "reasoning", text: "Hmm, " }]);
    expect(splitter.push("ok</th")).toEqual([{ kind: "reasoning", text: "ok" }]);
    expect(splitter.push("ink> Yes")).toEqual([{ kind: "text", text: "Yes" }]);
  });
});
