import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatStop, cutAtStop, llmStop, StreamingStopCutter } from "../../src/utils/stop.js";

describe("cutAtStop", () => {
  it("cuts before the earliest stop sequence, whichever is listed first", () => {
    expect(cutAtStop("Hello world. Bye!", [" Bye", "."])).toBe("Hello world");
    expect(cutAtStop("abcabc", ["c"])).toBe("ab");
  });

  it("keeps the text when nothing matches, and ignores empty sequences", () => {
    expect(cutAtStop("abc", ["x"])).toBe("abc");
    expect(cutAtStop("abc", [""])).toBe("abc");
    expect(cutAtStop("abc", [])).toBe("abc");
    expect(cutAtStop("abc", undefined)).toBe("abc");
  });

  it("does not strip characters like Python's rstrip(matched) would", () => {
    // rstrip("END") would also eat the trailing "D"/"N"/"E" characters of the answer itself.
    expect(cutAtStop("ANSWER: DEN\nEND", ["\nEND"])).toBe("ANSWER: DEN");
  });
});
describe("StreamingStopCutter", () => {
  const run = (pieces: string[], stop: string[] | undefined): string => {
    const cutter = new StreamingStopCutter(stop);
    let out = "";
    for (const piece of pieces) {
      out += cutter.push(piece);
      if (cutter.done) break;
    }
    return out + cutter.flush();
  };

  it("finds a stop sequence split across pieces and stops", () => {
    const cutter = new StreamingStopCutter(["STOP"]);
    // Up to (longest stop − 1) characters are held back until the next piece decides.
    expect(cutter.push("Hello ST")).toBe("Hello");
    expect(cutter.push("OP and more")).toBe(" ");
    expect(cutter.done).toBe(true);
    expect(cutter.flush()).toBe("");
  });

  it("releases held-back text that turned out not to be a stop sequence", () => {
    expect(run(["ab", "c"], ["cd"])).toBe("abc");
  });

  it("equals cutAtStop on the whole text, however the text is split", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, stop, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const pieces: string[] = [];
          let from = 0;
          for (const at of points) {
            pieces.push(text.slice(from, at));
            from = at;
          }
          pieces.push(text.slice(from));
          expect(run(pieces, stop)).toBe(cutAtStop(text, stop));
        },
      ),
    );
  });
});

describe("stop precedence", () => {
  it("LLM (Python rule): a non-empty call list wins, an empty one keeps the instance's", () => {
    expect(llmStop(["x"], ["y"])).toEqual(["x"]);
    expect(llmStop([], ["y"])).toEqual(["y"]);
    expect(llmStop(undefined, ["y"])).toEqual(["y"]);
  });

  it("chat (LangChain.js rule): a call list, even empty, wins; empty sequences are dropped", () => {
    expect(chatStop(["x"], ["y"])).toEqual(["x"]);
    expect(chatStop([], ["y"])).toBeUndefined();
    expect(chatStop(undefined, ["y", ""])).toEqual(["y"]);
  });
});
