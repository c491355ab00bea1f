/** `useResponsesApi: true` streaming: every rule of modern-serving §3.4, on recorded shapes. */
import { AIMessageChunk as OldestAIMessageChunk } from "@langchain/core-oldest/messages";
import { HumanMessage, type AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import {
  DatabricksAPIError,
  DatabricksBadRequestError,
  DatabricksConnectionError,
  DatabricksRateLimitError,
  DatabricksServerError,
} from "../../src/errors.js";
import { chatModel, json, useTestServer } from "./helpers.js";
import {
  collect,
  functionCallItem,
  merge,
  messageItem,
  MINIMAL_AGENT_STREAM,
  rawSse,
  response,
} from "./responses_helpers.js";

const server = useTestServer(() => (_req, res) => rawSse(res, MINIMAL_AGENT_STREAM));

const gpt = { model: "databricks-gpt-5", useResponsesApi: true } as const;

const stream = async (fields: Record<string, unknown> = {}) =>
  collect(await chatModel(server, { ...gpt, ...fields }).stream("hi"));

/** A gateway-style stream of one model call: created, added, deltas, done, completed. */
function gatewayCycle(
  text: string[],
  ids: { response: string; item: string; deltaItem: string },
  usage: Record<string, unknown>,
): Record<string, unknown>[] {
  const full = text.join("");
  return [
    { type: "response.created", response: response([], { id: ids.response, usage: null }) },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: {
        type: "message",
        id: ids.item,
        role: "assistant",
        status: "in_progress",
        content: [],
      },
    },
    ...text.map((delta) => ({
      type: "response.output_text.delta",
      item_id: ids.deltaItem,
      output_index: 0,
      content_index: 0,
      delta,
    })),
    { type: "response.output_text.done", item_id: ids.deltaItem, output_index: 0, text: full },
    { type: "response.output_item.done", output_index: 0, item: messageItem(full, ids.item) },
    {
      type: "response.completed",
      response: response([messageItem(full, ids.item)], { id: ids.response, usage }),
    },
  ];
}

/** The types of the output items a streamed answer keeps in `response_metadata.output`. */
function outputTypes(message: AIMessageChunk): string[] {
  return (message.response_metadata["output"] as { type: string }[]).map((item) => item.type);
}

describe("useResponsesApi: streaming", () => {
  it("the minimal agent stream: text once (deltas, not the done item again), trace id from the typeless frame", async () => {
    const chunks = await stream();
    const message = merge(chunks);
    expect(message.text).toBe("Hello");
    expect(message.content).toEqual([{ type: "text", text: "Hello", index: 0, id: "msg_1" }]);
    expect(message.response_metadata["trace_id"]).toBe("tr-abc123");
    expect(server.bodies()[0]).toMatchObject({ model: "databricks-gpt-5", stream: true });
    expect(server.requests[0]?.path).toBe("/serving-endpoints/responses");
  });

  it("the concatenated stream has the text, blocks and tool calls invoke returns", async () => {
    const output = [
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Hmm." }] },
      messageItem("Use the tool."),
      functionCallItem("call_1", "get_weather", { city: "Paris" }),
    ];
    server.setHandler((request, res) => {
      if (request.body["stream"] !== true) return json(res, response(output));
      return rawSse(res, [
        ...output.map((item, i) => ({
          type: "response.output_item.done",
          output_index: i,
          item,
        })),
        { type: "response.completed", response: response(output) },
      ]);
    });
    const chat = chatModel(server, gpt);
    const invoked = await chat.invoke("x");
    const streamed = merge(await collect(await chat.stream("x")));
    expect(streamed.text).toBe(invoked.text);
    expect(streamed.tool_calls).toEqual(invoked.tool_calls);
    const unindexed = (streamed.content as Record<string, unknown>[]).map(
      ({ index: _index, ...block }) => block,
    );
    expect(unindexed).toEqual(invoked.content);
    // LangChain's concat adds empty token-detail objects; the counts are the same.
    expect(streamed.usage_metadata).toMatchObject(invoked.usage_metadata ?? {});
    expect(streamed.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("the streamed blocks merge alike with @langchain/core 1.0.0 (ids set once, by index)", async () => {
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.reasoning_summary_text.delta", item_id: "rs_1", delta: "Th" },
        { type: "response.reasoning_summary_text.delta", item_id: "rs_1", delta: "ink" },
        {
          type: "response.output_item.done",
          item: {
            type: "reasoning",
            id: "rs_1",
            summary: [{ type: "summary_text", text: "Think" }],
          },
        },
        { type: "response.output_text.delta", item_id: "msg_1", delta: "A" },
        { type: "response.output_text.delta", item_id: "msg_1", delta: "B" },
        { type: "response.output_item.done", item: messageItem("AB") },
      ]),
    );
    const chunks = await stream();
    const old = chunks
      .map((c) => new OldestAIMessageChunk({ content: c.content as never }))
      .reduce((a, b) => a.concat(b));
    expect(old.content).toEqual([
      { type: "reasoning", reasoning: "Think", index: 0, id: "rs_1" },
      { type: "text", text: "AB", index: 1, id: "msg_1" },
    ]);
    expect(old.content).toEqual(merge(chunks).content);
  });

  it("a stream whose only answer is response.completed still gives its text and tool calls", async () => {
    const output = [messageItem("All at once."), functionCallItem("call_3", "f", { a: 1 })];
    server.setHandler((_req, res) =>
      rawSse(res, [{ type: "response.completed", response: response(output) }]),
    );
    const message = merge(await stream());
    expect(message.text).toBe("All at once.");
    expect(message.tool_calls).toEqual([
      { id: "call_3", name: "f", args: { a: 1 }, type: "tool_call" },
    ]);
  });

  it("MAS: text sent only in output_item.done (no deltas) is emitted", async () => {
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.output_item.done", item: messageItem("From the supervisor.", "msg_s") },
        { type: "response.output_item.done", item: messageItem(" Second agent.", "msg_t") },
      ]),
    );
    const message = merge(await stream());
    expect(message.text).toBe("From the supervisor. Second agent.");
  });

  it("event: lines, long delta item ids grouped by output_index, final ids from done, usage from response.completed, EOF without [DONE]", async () => {
    const longItem = `msg_01c6${"b".repeat(184)}`;
    server.setHandler((_req, res) =>
      rawSse(
        res,
        gatewayCycle(
          ["It is ", "18°C."],
          { response: `resp_01c6${"c".repeat(183)}`, item: "msg_00f3short", deltaItem: longItem },
          {
            input_tokens: 20,
            input_tokens_details: { cached_tokens: 4 },
            output_tokens: 6,
            output_tokens_details: { reasoning_tokens: 2 },
            total_tokens: 26,
          },
        ),
        { eventLines: true, done: false },
      ),
    );
    const chunks = await stream();
    const message = merge(chunks);
    expect(message.text).toBe("It is 18°C.");
    expect(message.content).toEqual([
      { type: "text", text: "It is 18°C.", index: 0, id: "msg_00f3short" },
    ]);
    expect(message.usage_metadata).toEqual({
      input_tokens: 20,
      output_tokens: 6,
      total_tokens: 26,
      input_token_details: { cache_read: 4 },
      output_token_details: { reasoning: 2 },
    });
    expect(chunks.filter((c) => c.usage_metadata !== undefined)).toHaveLength(1);
    // The items echo back with ids of at most 64 characters.
    await chatModel(server, gpt)
      .stream([new HumanMessage("q"), message, new HumanMessage("again")])
      .then(collect);
    const input = server.bodies()[1]?.["input"] as Record<string, unknown>[];
    expect(input[1]).toEqual(
      (({ status: _s, ...item }) => item)(messageItem("It is 18°C.", "msg_00f3short")),
    );
  });

  it("several created/completed cycles with an executed call: read to [DONE], call not reported, usage added up", async () => {
    const call = functionCallItem("call_1", "get_weather", { city: "Paris" });
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.created", response: response([], { id: "resp_a" }) },
        { type: "response.output_item.added", output_index: 0, item: { ...call, arguments: "" } },
        {
          type: "response.function_call_arguments.delta",
          item_id: "fc_call_1",
          output_index: 0,
          delta: '{"city":',
        },
        {
          type: "response.function_call_arguments.delta",
          item_id: "fc_call_1",
          output_index: 0,
          delta: '"Paris"}',
        },
        { type: "response.output_item.done", output_index: 0, item: call },
        { type: "response.completed", response: response([call], { id: "resp_a" }) },
        // The agent ran the tool: a bare function_call_output frame (OpenAI Agents SDK).
        { type: "function_call_output", call_id: "call_1", output: '{"temp":18}' },
        ...gatewayCycle(
          ["It is 18°C."],
          { response: "resp_b", item: "msg_b", deltaItem: "msg_b" },
          { input_tokens: 30, output_tokens: 4, total_tokens: 34 },
        ),
      ]),
    );
    const message = merge(await stream());
    expect(message.text).toBe("It is 18°C.");
    expect(message.tool_calls).toEqual([]);
    expect(message.tool_call_chunks ?? []).toEqual([]);
    expect((message.usage_metadata as { total_tokens: number } | undefined)?.total_tokens).toBe(
      15 + 34,
    );
    // The raw usage is the sum too: both describe the whole answer, not its last model call.
    expect(message.response_metadata["usage"]).toEqual({
      input_tokens: 10 + 30,
      output_tokens: 5 + 4,
      total_tokens: 15 + 34,
    });
    expect(message.response_metadata["finish_reason"]).toBe("stop");
    expect(outputTypes(message)).toEqual(["function_call", "function_call_output", "message"]);
  });

  it("a later cycle whose answer is only in response.completed: its text is streamed, seen items not again", async () => {
    const call = {
      type: "function_call",
      id: "fc_1",
      call_id: "c1",
      name: "search",
      arguments: "{}",
    };
    const final = [call, { type: "function_call_output", call_id: "c1", output: "found" }];
    server.setHandler((request, res) => {
      if (request.body["stream"] !== true) {
        return json(res, response([...final, messageItem("Final answer.", "m2")]));
      }
      return rawSse(res, [
        { type: "response.created", response: { id: "r1", output: [] } },
        { type: "response.output_item.done", output_index: 0, item: call },
        {
          type: "response.completed",
          response: {
            id: "r1",
            output: [],
            usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
          },
        },
        { type: "function_call_output", call_id: "c1", output: "found" },
        { type: "response.created", response: { id: "r2", output: [] } },
        {
          type: "response.completed",
          // The call (here without its id) and its result were seen in cycle 1: not added again.
          response: {
            id: "r2",
            output: [{ ...call, id: undefined }, final[1], messageItem("Final answer.", "m2")],
            usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
          },
        },
      ]);
    });
    const chat = chatModel(server, gpt);
    const streamed = merge(await collect(await chat.stream("hi")));
    const invoked = await chat.invoke("hi");
    expect(streamed.text).toBe("Final answer.");
    expect(streamed.text).toBe(invoked.text);
    expect(streamed.tool_calls).toEqual([]);
    expect(outputTypes(streamed)).toEqual(["function_call", "function_call_output", "message"]);
  });

  it("a cycle that streamed only deltas is not repeated from its response.completed (text never doubled)", async () => {
    const reasoning = {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "Hm" }],
    };
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.created", response: response([], { id: "r1" }) },
        // Delta ids that differ from the items' final ids (§3.4 rule 4): only the cycle tells.
        {
          type: "response.reasoning_summary_text.delta",
          item_id: "rs_01c6-stream",
          output_index: 0,
          delta: "Hm",
        },
        {
          type: "response.output_text.delta",
          item_id: "msg_01c6-stream",
          output_index: 1,
          delta: "Once",
        },
        {
          type: "response.completed",
          response: response([reasoning, messageItem("Once")], { id: "r1" }),
        },
      ]),
    );
    const message = merge(await stream());
    expect(message.text).toBe("Once");
    expect((message.content as Record<string, unknown>[]).map((b) => b["type"])).toEqual([
      "reasoning",
      "text",
    ]);
  });

  it("a second model call reusing output indexes without response.created is another item", async () => {
    const call = functionCallItem("call_1", "lookup", { q: "x" });
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.output_item.added", output_index: 0, item: { ...call, arguments: "" } },
        { type: "response.output_item.done", output_index: 0, item: call },
        { type: "function_call_output", call_id: "call_1", output: "found" },
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { type: "message", id: "msg_2", role: "assistant", content: [] },
        },
        { type: "response.output_text.delta", item_id: "msg_2", output_index: 0, delta: "Found." },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: messageItem("Found.", "msg_2"),
        },
      ]),
    );
    const message = merge(await stream());
    expect(message.text).toBe("Found.");
    expect(message.tool_calls).toEqual([]);
    expect(outputTypes(message)).toEqual(["function_call", "function_call_output", "message"]);
  });

  it("a pending function call streams to tool_calls (from argument deltas, without a done item)", async () => {
    const call = functionCallItem("call_7", "get_weather", { city: "Rome" });
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.output_item.added", output_index: 0, item: { ...call, arguments: "" } },
        {
          type: "response.function_call_arguments.delta",
          item_id: "fc_call_7",
          output_index: 0,
          delta: '{"city":"Rome"}',
        },
        { type: "response.completed", response: response([call]) },
      ]),
    );
    const message = merge(await stream());
    expect(message.tool_calls).toEqual([
      { id: "call_7", name: "get_weather", args: { city: "Rome" }, type: "tool_call" },
    ]);
    expect(message.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("reasoning summary deltas become one reasoning block with the item's id and encrypted content", async () => {
    const reasoning = {
      type: "reasoning",
      id: "rs_9",
      summary: [{ type: "summary_text", text: "Let me think." }],
      encrypted_content: "gAAAA-x",
    };
    server.setHandler((_req, res) =>
      rawSse(res, [
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { ...reasoning, summary: [] },
        },
        {
          type: "response.reasoning_summary_text.delta",
          item_id: "rs_9",
          output_index: 0,
          summary_index: 0,
          delta: "Let me ",
        },
        {
          type: "response.reasoning_summary_text.delta",
          item_id: "rs_9",
          output_index: 0,
          summary_index: 0,
          delta: "think.",
        },
        { type: "response.output_item.done", output_index: 0, item: reasoning },
        {
          type: "response.output_text.delta",
          item_id: "msg_1",
          output_index: 1,
          delta: "42",
        },
        { type: "response.output_item.done", output_index: 1, item: messageItem("42") },
      ]),
    );
    const message = merge(await stream());
    expect(message.content).toEqual([
      {
        type: "reasoning",
        reasoning: "Let me think.",
        index: 0,
        id: "rs_9",
        encrypted_content: "gAAAA-x",
      },
      { type: "text", text: "42", index: 1, id: "msg_1" },
    ]);
  });

  it("reasoning streamed in part: the done summary adds the missing tail and the entries never streamed", async () => {
    const reasoning = {
      type: "reasoning",
      id: "rs_1",
      summary: [
        { type: "summary_text", text: "Let me think" },
        { type: "summary_text", text: "Second part" },
      ],
    };
    server.setHandler((request, res) => {
      if (request.body["stream"] !== true) {
        return json(res, {
          id: "r",
          object: "response",
          output: [reasoning, messageItem("Hi", "m1")],
          error: null,
        });
      }
      return rawSse(res, [
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { type: "reasoning", id: "rs_1", summary: [] },
        },
        {
          type: "response.reasoning_summary_text.delta",
          item_id: "rs_1",
          output_index: 0,
          summary_index: 0,
          delta: "Let me",
        },
        { type: "response.output_item.done", output_index: 0, item: reasoning },
        { type: "response.output_item.done", output_index: 1, item: messageItem("Hi", "m1") },
        { type: "response.completed", response: { id: "r", output: [] } },
      ]);
    });
    const chat = chatModel(server, gpt);
    const streamed = merge(await collect(await chat.stream("hi")));
    const invoked = await chat.invoke("hi");
    const unindexed = (streamed.content as Record<string, unknown>[]).map(
      ({ index: _index, ...block }) => block,
    );
    expect(unindexed).toEqual(invoked.content);
    expect(unindexed).toEqual([
      { type: "reasoning", reasoning: "Let me think", id: "rs_1" },
      { type: "reasoning", reasoning: "Second part" },
      { type: "text", text: "Hi", id: "m1" },
    ]);
  });

  it("custom_outputs and databricks_output on any event reach the final chunk", async () => {
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.output_text.delta", item_id: "m", delta: "ok" },
        {
          type: "response.output_item.done",
          item: messageItem("ok", "m"),
          databricks_output: { trace: { info: { trace_id: "tr-1" } } },
        },
        { type: "response.completed", response: response([]), custom_outputs: { n: 1 } },
      ]),
    );
    const chunks = await stream({ returnTrace: true });
    const last = chunks.at(-1);
    expect(last?.response_metadata).toMatchObject({
      trace_id: "tr-1",
      custom_outputs: { n: 1 },
      databricks_output: { trace: { info: { trace_id: "tr-1" } } },
    });
    expect(server.bodies()[0]?.["databricks_options"]).toEqual({ return_trace: true });
  });

  it("unknown and typeless frames are skipped", async () => {
    server.setHandler((_req, res) =>
      rawSse(res, [
        { type: "response.in_progress", response: response([]) },
        { type: "response.content_part.added", item_id: "x", output_index: 0, part: {} },
        { something: "else" },
        { type: "response.output_text.annotation.added", item_id: "m", annotation: {} },
        { type: "response.output_text.delta", item_id: "m", delta: "fine" },
      ]),
    );
    expect(merge(await stream()).text).toBe("fine");
  });

  it("error frames throw typed errors: type error, bare {error}, response.failed", async () => {
    const cases: [unknown[], new (...args: never[]) => Error][] = [
      [
        [
          { type: "response.output_text.delta", item_id: "m", delta: "par" },
          { type: "error", code: "invalid_prompt", message: "bad prompt", sequence_number: 3 },
        ],
        DatabricksBadRequestError,
      ],
      [[{ error: "agent crashed" }], DatabricksServerError],
      [
        [
          {
            type: "response.failed",
            response: response([], {
              status: "failed",
              error: { code: "server_error", message: "model down" },
            }),
          },
        ],
        DatabricksServerError,
      ],
    ];
    // The same class whether or not `event:` lines frame the stream: only the JSON `type` counts.
    for (const eventLines of [false, true]) {
      for (const [events, errorClass] of cases) {
        server.setHandler((_req, res) => rawSse(res, events, { eventLines }));
        const error = await stream().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(errorClass);
        expect(error).toBeInstanceOf(DatabricksAPIError);
      }
    }
  });

  it("one error code, one error class: a type error event and a bare {error: {code}} frame agree", async () => {
    const shapes = [
      [
        { type: "response.output_text.delta", item_id: "m", delta: "Hi" },
        {
          type: "error",
          code: "rate_limit_exceeded",
          message: "slow down",
          param: null,
          sequence_number: 3,
        },
      ],
      [{ error: { code: "rate_limit_exceeded", message: "slow down" } }],
    ];
    const seen: unknown[] = [];
    for (const events of shapes) {
      server.setHandler((_req, res) => rawSse(res, events));
      const error = await stream().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksRateLimitError);
      const { status, errorCode, serverMessage } = error as DatabricksAPIError;
      seen.push({ status, errorCode, serverMessage });
    }
    expect(seen[0]).toEqual({
      status: 429,
      errorCode: "rate_limit_exceeded",
      serverMessage: "slow down",
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("a stream cut mid-event, or ended without [DONE] before response.completed, is a connection error", async () => {
    server.setHandler((_req, res) =>
      rawSse(res, [{ type: "response.output_text.delta", item_id: "m", delta: "Hel" }], {
        cutWith: 'data: {"type":"response.output_text.delta","item_id":"m","del',
      }),
    );
    await expect(stream()).rejects.toBeInstanceOf(DatabricksConnectionError);
    server.setHandler((_req, res) =>
      rawSse(res, [{ type: "response.output_text.delta", item_id: "m", delta: "Hel" }], {
        done: false,
      }),
    );
    await expect(stream()).rejects.toBeInstanceOf(DatabricksConnectionError);
  });

  it("a stream cut inside the first multi-byte character and split across writes still decodes", async () => {
    server.setHandler(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const frame = Buffer.from(
        'data: {"type":"response.output_text.delta","item_id":"m","delta":"18°C"}\r\n\r\ndata: [DONE]\r\n\r\n',
      );
      const at = frame.indexOf(0xc2) + 1;
      res.write(frame.subarray(0, at));
      await new Promise((r) => setTimeout(r, 10));
      res.end(frame.subarray(at));
    });
    expect(merge(await stream()).text).toBe("18°C");
  });
});
