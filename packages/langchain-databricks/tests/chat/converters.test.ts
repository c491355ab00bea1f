import { AIMessage, HumanMessage, RemoveMessage, ToolMessage } from "@langchain/core/messages";
import type { AIMessageChunk } from "@langchain/core/messages";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatabricksConfigError, DatabricksResponseError } from "../../src/errors.js";
import { maxUsage, parseChatResponse, toUsageMetadata } from "../../src/utils/chat_outputs.js";
import { ChatStreamAssembler } from "../../src/utils/chat_stream.js";
import { toWireToolChoice } from "../../src/utils/chat_tools.js";
import { toWireMessage, toWireMessages } from "../../src/utils/messages.js";

const tools = [
  { type: "function", function: { name: "a" } },
  { type: "function", function: { name: "b" } },
];

/** Split `text` at the given cut points. */
function pieces(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].toSorted((x, y) => x - y);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
}

function runStream(events: readonly unknown[], stop?: string[]): AIMessageChunk {
  const assembler = new ChatStreamAssembler({ stop, streamUsage: true });
  const chunks = [];
  for (const e of events) {
    chunks.push(...assembler.push(e));
    if (assembler.done) break;
  }
  chunks.push(...assembler.finish());
  const messages = chunks.map((c) => c.message as AIMessageChunk);
  const [first, ...rest] = messages;
  return rest.reduce((acc, m) => acc.concat(m), first as AIMessageChunk);
}

const delta = (d: Record<string, unknown>) => ({ choices: [{ index: 0, delta: d }] });

describe("message conversion", () => {
  it("rejects unsupported message types and incomplete tool/chat messages", () => {
    expect(() => toWireMessage(new RemoveMessage({ id: "x" }))).toThrow(DatabricksConfigError);
    expect(() => toWireMessage(new ToolMessage({ content: "x", tool_call_id: "" }))).toThrow(
      /tool_call_id/,
    );
  });

  it("sends invalid tool calls of a history back verbatim", () => {
    const wire = toWireMessage(
      new AIMessage({
        content: "",
        invalid_tool_calls: [
          { id: "c", name: "f", args: "{bad", error: "x", type: "invalid_tool_call" },
        ],
      }),
    );
    expect(wire.tool_calls).toEqual([
      { id: "c", type: "function", function: { name: "f", arguments: "{bad" } },
    ]);
  });

  it("keeps unknown content parts and rejects images without a source", () => {
    expect(
      toWireMessages([
        new HumanMessage({ content: [{ type: "input_audio", input_audio: { data: "x" } }] }),
      ]),
    ).toEqual([{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x" } }] }]);
    expect(() =>
      toWireMessage(new HumanMessage({ content: [{ type: "image", fileId: "f1" }] })),
    ).toThrow(/file ids are not supported/);
  });
});

describe("tool_choice mapping", () => {
  it("maps the LangChain values", () => {
    expect(toWireToolChoice(undefined, tools)).toBeUndefined();
    expect(toWireToolChoice("any", tools)).toBe("required");
    expect(toWireToolChoice("b", tools)).toEqual({ type: "function", function: { name: "b" } });
    expect(toWireToolChoice(true, [tools[0]])).toEqual({
      type: "function",
      function: { name: "a" },
    });
    expect(() => toWireToolChoice(true, tools)).toThrow(/exactly one tool/);
    expect(() => toWireToolChoice("c", undefined)).toThrow(/no tools are bound/);
  });
});

describe("usage", () => {
  it("converts OpenAI usage and ignores empty objects", () => {
    expect(toUsageMetadata({ prompt_tokens: 1, completion_tokens: 2 })).toEqual({
      input_tokens: 1,
      output_tokens: 2,
      total_tokens: 3,
    });
    expect(toUsageMetadata({})).toBeUndefined();
    expect(toUsageMetadata(null)).toBeUndefined();
  });

  it("maxUsage is idempotent and order-independent (no double counting)", () => {
    const usage = fc.record({
      input_tokens: fc.nat(1000),
      output_tokens: fc.nat(1000),
      total_tokens: fc.nat(2000),
    });
    fc.assert(
      fc.property(usage, usage, (a, b) => {
        expect(maxUsage(a, a)).toEqual(a);
        expect(maxUsage(a, b)).toEqual(maxUsage(b, a));
      }),
    );
  });
});

describe("parseChatResponse", () => {
  it("rejects non-objects and bodies without choices or messages", () => {
    expect(() => parseChatResponse("x", { headers: {} })).toThrow(DatabricksResponseError);
    expect(() => parseChatResponse({ choices: [{ index: 0 }] }, { headers: {} })).toThrow(
      /no "message"/,
    );
    expect(() =>
      parseChatResponse({ messages: [{ role: "user", content: "x" }] }, { headers: {} }),
    ).toThrow(/no assistant message/);
  });

  it("accepts tool-call arguments sent as an object", () => {
    const { generations } = parseChatResponse(
      {
        choices: [
          {
            message: {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "c", function: { name: "f", arguments: { x: 1 } } }],
            },
          },
        ],
      },
      { headers: {} },
    );
    const message = generations[0]?.message as AIMessageChunk | undefined;
    expect(message?.tool_calls?.[0]?.args).toEqual({ x: 1 });
  });
});

describe("stream assembly (properties)", () => {
  it("any split of the text into deltas merges to the same text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, cuts) => {
          const merged = runStream(pieces(text, cuts).map((p) => delta({ content: p })));
          expect(merged.content).toBe(text);
        },
      ),
    );
  });

  it("client-side stop cutting does not depend on chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.constantFrom("STOP", "\n\n", "x"),
        fc.string({ maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (before, stop, after, cuts) => {
          const text = `${before}${stop}${after}`;
          const expected = text.slice(0, text.indexOf(stop));
          const merged = runStream(
            pieces(text, cuts).map((p) => delta({ content: p })),
            [stop],
          );
          expect(merged.content).toBe(expected);
          expect(merged.response_metadata["finish_reason"]).toBe("stop");
        },
      ),
    );
  });

  it("any split of tool-call arguments merges to the same tool calls", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 5 }),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        (args, cuts) => {
          const text = JSON.stringify(args);
          const parts = pieces(text, cuts);
          const events = parts.map((p, i) =>
            delta({
              tool_calls: [
                i === 0
                  ? {
                      index: 0,
                      id: "call_1",
                      type: "function",
                      function: { name: "f", arguments: p },
                    }
                  : { index: 0, function: { arguments: p } },
              ],
            }),
          );
          const merged = runStream(events);
          expect(merged.tool_calls).toEqual([{ id: "call_1", name: "f", args, type: "tool_call" }]);
        },
      ),
    );
  });

  it("exactly one usage chunk whatever the usage style", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom("end", "cumulative", "trailing"),
        (n, style) => {
          const events: unknown[] = [];
          for (let i = 1; i <= n; i++) {
            const e: Record<string, unknown> = delta({ content: "t" });
            if (style === "cumulative")
              e["usage"] = { prompt_tokens: 3, completion_tokens: i, total_tokens: 3 + i };
            if (style === "end" && i === n)
              e["usage"] = { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n };
            events.push(e);
          }
          if (style === "trailing")
            events.push({
              choices: [],
              usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n },
            });
          const assembler = new ChatStreamAssembler({ streamUsage: true });
          const chunks = [...events.flatMap((e) => assembler.push(e)), ...assembler.finish()];
          const withUsage = chunks.filter((c) => (c.message as AIMessageChunk).usage_metadata);
          expect(withUsage).toHaveLength(1);
          const usageMessage = withUsage[0]?.message as AIMessageChunk | undefined;
          expect(usageMessage?.usage_metadata).toEqual({
            input_tokens: 3,
            output_tokens: n,
            total_tokens: 3 + n,
          });
        },
      ),
    );
  });

  it("a non-object event is a DatabricksResponseError", () => {
    expect(() => new ChatStreamAssembler({ streamUsage: true }).push("x")).toThrow(
      DatabricksResponseError,
    );
  });
});
