/** The pure Responses converters: §3.5 item cleaning and the chat → Responses field mapping. */
import { describe, expect, it } from "vitest";
import { DatabricksConfigError } from "../../src/errors.js";
import { cleanInputItem, toResponsesParams } from "../../src/utils/responses_input.js";
import { responsesStreamComplete } from "../../src/utils/responses_stream.js";
import { sumRawUsage } from "../../src/utils/usage.js";

describe("cleanInputItem (§3.5)", () => {
  it("strips status and nulls at every depth, prefixes msg_/fc_ ids and cuts ids to 64", () => {
    const long = "z".repeat(100);
    expect(
      cleanInputItem({
        type: "message",
        id: long,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "t", annotations: [], logprobs: null }, null],
      }),
    ).toEqual({
      type: "message",
      id: `msg_${long}`.slice(0, 64),
      role: "assistant",
      content: [{ type: "output_text", text: "t", annotations: [] }],
    });
    expect(cleanInputItem({ type: "function_call", id: "call_1", call_id: "call_1" })["id"]).toBe(
      "fc_call_1",
    );
    expect(cleanInputItem({ type: "function_call", id: "fc_1" })["id"]).toBe("fc_1");
  });

  it("never prefixes a reasoning id and keeps its encrypted content", () => {
    expect(
      cleanInputItem({ type: "reasoning", id: "r1", summary: [], encrypted_content: "E" }),
    ).toEqual({ type: "reasoning", id: "r1", summary: [], encrypted_content: "E" });
  });

  it("keeps a long reasoning id whole when encrypted_content is verified against it, else cuts it", () => {
    const id = `rs_${"r".repeat(90)}`;
    const encrypted = { type: "reasoning", id, summary: [], encrypted_content: "E" };
    expect(cleanInputItem(encrypted)["id"]).toBe(id);
    expect(cleanInputItem({ ...encrypted, encrypted_content: null })["id"]).toBe(id.slice(0, 64));
  });
});

describe("sumRawUsage", () => {
  it("adds up counts at every depth and keeps the latest non-numeric field", () => {
    const first = {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 2 },
      output_tokens: 5,
      total_tokens: 15,
    };
    const second = {
      input_tokens: 30,
      input_tokens_details: { cached_tokens: 8 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 34,
      tier: "b",
    };
    expect(sumRawUsage(sumRawUsage(undefined, first), second)).toEqual({
      input_tokens: 40,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 49,
      tier: "b",
    });
    expect(first.input_tokens_details.cached_tokens).toBe(2);
  });
});

describe("toResponsesParams", () => {
  it("maps jsonMode, merges reasoning from extraParams, leaves hosted tools alone", () => {
    expect(
      toResponsesParams({
        response_format: { type: "json_object" },
        reasoning: { summary: "auto" },
        reasoning_effort: "high",
        tools: [
          { type: "genie_space", genie_space: { id: "g", description: "d" } },
          { type: "function", function: { name: "f", parameters: { type: "object" } } },
        ],
        tool_choice: "auto",
        top_p: 0.5,
      }),
    ).toEqual({
      text: { format: { type: "json_object" } },
      reasoning: { summary: "auto", effort: "high" },
      tools: [
        { type: "genie_space", genie_space: { id: "g", description: "d" } },
        { type: "function", name: "f", parameters: { type: "object" } },
      ],
      tool_choice: "auto",
      top_p: 0.5,
    });
  });

  it("refuses the chat-only fields, naming the fix", () => {
    expect(() => toResponsesParams({ n: 2 })).toThrow(DatabricksConfigError);
    expect(() => toResponsesParams({ thinking: {} })).toThrow(/reasoningEffort/);
  });
});

describe("responsesStreamComplete", () => {
  it("accepts the end of the body only right after a terminal response event", () => {
    expect(responsesStreamComplete({ type: "response.completed" })).toBe(true);
    expect(responsesStreamComplete({ type: "response.incomplete" })).toBe(true);
    expect(responsesStreamComplete({ type: "response.output_text.delta" })).toBe(false);
    expect(responsesStreamComplete({ trace_id: "tr" })).toBe(false);
  });
});
