/**
 * ChatAgent (`agent/v2/chat`) answers on invoke and stream, from the shapes of modern-serving §4.1
 * (ai-bridge's chat-agent fixtures): messages aggregated by id, the text of every assistant
 * message, and only the tool calls the agent did not execute reported for the caller to run.
 */
import type { AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { chatModel, json, sse, useTestServer } from "./helpers.js";

const server = useTestServer(() => (_req, res) => json(res, {}));

async function streamed(): Promise<AIMessageChunk> {
  let merged: AIMessageChunk | undefined;
  for await (const c of await chatModel(server).stream("weather in Paris?")) {
    merged = merged ? merged.concat(c) : c;
  }
  if (!merged) throw new Error("no chunks");
  return merged;
}

const weatherCall = {
  id: "call_abc123",
  type: "function",
  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
};

/** The fixture stream of §4.1, then the agent's final answer. */
const executedToolStream = [
  { id: "chatcmpl-123", delta: { role: "assistant", content: "Hello", id: "msg_001" } },
  { id: "chatcmpl-123", delta: { role: "assistant", content: " there", id: "msg_001" } },
  {
    id: "chatcmpl-456",
    delta: { role: "assistant", content: "", id: "msg_002", tool_calls: [weatherCall] },
  },
  {
    id: "chatcmpl-456",
    delta: {
      role: "tool",
      name: "get_weather",
      content: '{"temperature":18}',
      tool_call_id: "call_abc123",
      id: "tool_msg_001",
    },
  },
  { id: "chatcmpl-789", delta: { role: "assistant", content: "It is ", id: "msg_003" } },
  {
    id: "chatcmpl-789",
    delta: { role: "assistant", content: "18°C.", id: "msg_003" },
    finish_reason: "stop",
    custom_outputs: { city: "Paris" },
  },
];

const executedToolAnswer = {
  messages: [
    { role: "assistant", id: "msg_001", content: "Hello there" },
    { role: "assistant", id: "msg_002", content: "", tool_calls: [weatherCall] },
    {
      role: "tool",
      id: "tool_msg_001",
      name: "get_weather",
      tool_call_id: "call_abc123",
      content: '{"temperature":18}',
    },
    { role: "assistant", id: "msg_003", content: "It is 18°C." },
  ],
  finish_reason: "stop",
  custom_outputs: { city: "Paris" },
};

describe("ChatAgent answers", () => {
  it("invoke: every assistant message's text; executed tool calls are not reported", async () => {
    server.setHandler((_req, res) => json(res, executedToolAnswer));
    const answer = await chatModel(server).invoke("weather in Paris?");
    expect(answer.text).toBe("Hello there\n\nIt is 18°C.");
    expect(answer.tool_calls).toEqual([]);
    expect(answer.id).toBe("msg_003");
    expect(answer.additional_kwargs["messages"]).toEqual(executedToolAnswer.messages);
  });

  it("invoke and stream agree on the answer's id and finish reason", async () => {
    server.setHandler((_req, res) => json(res, executedToolAnswer));
    const answer = await chatModel(server).invoke("weather in Paris?");
    server.setHandler((_req, res) => sse(res, executedToolStream));
    const merged = await streamed();
    expect(answer.id).toBe("msg_003");
    expect(merged.id).toBe("msg_003");
    expect(answer.response_metadata).toMatchObject({ id: "msg_003", finish_reason: "stop" });
    expect(merged.response_metadata).toMatchObject({ id: "msg_003", finish_reason: "stop" });
  });

  it("reads chunks that carry `choices: []` and usage beside the delta (ai-bridge's mock)", async () => {
    const frame = (content: string) => ({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "agent",
      choices: [],
      delta: { role: "assistant", content, id: "msg_1" },
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      custom_outputs: { k: "v" },
    });
    server.setHandler((_req, res) => sse(res, [frame("Hello"), frame(" world")]));
    const merged = await streamed();
    expect(merged.text).toBe("Hello world");
    expect(merged.response_metadata["custom_outputs"]).toEqual({ k: "v" });
  });

  it("reads MLflow's legacy StringResponse (`{content}`) as the answer", async () => {
    server.setHandler((_req, res) => json(res, { content: "Legacy answer." }));
    expect((await chatModel(server).invoke("hi")).text).toBe("Legacy answer.");
  });

  it("stream: fragments aggregated by message id give what invoke gives", async () => {
    server.setHandler((_req, res) => sse(res, executedToolStream));
    const merged = await streamed();
    expect(merged.text).toBe("Hello there\n\nIt is 18°C.");
    expect(merged.tool_calls).toEqual([]);
    expect(merged.tool_call_chunks).toEqual([]);
    expect(merged.response_metadata).toMatchObject({
      finish_reason: "stop",
      custom_outputs: { city: "Paris" },
    });
    const messages = merged.additional_kwargs["messages"] as Record<string, unknown>[];
    expect(messages.map((m) => m["id"])).toEqual(["msg_001", "msg_002", "tool_msg_001", "msg_003"]);
    expect(messages[0]).toEqual({ id: "msg_001", role: "assistant", content: "Hello there" });
    expect(messages[2]).toMatchObject({ role: "tool", tool_call_id: "call_abc123" });
  });

  it("a tool call no tool message answers is the caller's to run (invoke and stream)", async () => {
    const pending = [
      { delta: { role: "assistant", content: "Let me check.", id: "m1" } },
      { delta: { role: "assistant", content: "", id: "m2", tool_calls: [weatherCall] } },
    ];
    server.setHandler((_req, res) => sse(res, pending));
    const merged = await streamed();
    expect(merged.text).toBe("Let me check.");
    expect(merged.tool_calls).toEqual([
      { name: "get_weather", args: { city: "Paris" }, id: "call_abc123", type: "tool_call" },
    ]);

    server.setHandler((_req, res) =>
      json(res, { messages: pending.map((p) => ({ ...p.delta, content: p.delta.content })) }),
    );
    const answer = await chatModel(server).invoke("weather in Paris?");
    expect(answer.text).toBe("Let me check.");
    expect(answer.tool_calls).toEqual(merged.tool_calls);
  });

  it("tool-call fragments repeating an id extend its arguments", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        {
          delta: {
            role: "assistant",
            id: "m1",
            tool_calls: [{ ...weatherCall, function: { name: "get_weather", arguments: '{"ci' } }],
          },
        },
        {
          delta: {
            id: "m1",
            tool_calls: [{ id: "call_abc123", function: { arguments: 'ty":"Paris"}' } }],
          },
        },
      ]),
    );
    const merged = await streamed();
    expect(merged.tool_calls).toEqual([
      { name: "get_weather", args: { city: "Paris" }, id: "call_abc123", type: "tool_call" },
    ]);
  });

  it("a stream cut at a stop sequence reports no pending tool call", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        { delta: { role: "assistant", content: "one STOP two", id: "m1" } },
        { delta: { role: "assistant", content: "", id: "m2", tool_calls: [weatherCall] } },
      ]),
    );
    let merged: AIMessageChunk | undefined;
    for await (const c of await chatModel(server, { stop: ["STOP"] }).stream("x")) {
      merged = merged ? merged.concat(c) : c;
    }
    expect(merged?.text).toBe("one ");
    expect(merged?.tool_calls).toEqual([]);
  });
});
