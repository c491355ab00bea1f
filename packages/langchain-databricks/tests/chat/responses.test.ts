/** `useResponsesApi: true`: request bodies, answers, round trips (modern-serving §3). */
import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type AIMessageChunk,
  type MessageContent,
} from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DatabricksConfigError,
  DatabricksRateLimitError,
  DatabricksServerError,
} from "../../src/errors.js";
import { chatModel, json, useTestServer } from "./helpers.js";
import { functionCallItem, messageItem, RESPONSE_3_3, response } from "./responses_helpers.js";

const server = useTestServer(() => (_req, res) => json(res, response([messageItem("Hi!")])));

const gpt = { model: "databricks-gpt-5", useResponsesApi: true } as const;

describe("useResponsesApi: the request", () => {
  it("posts to /serving-endpoints/responses with the endpoint in model and the messages as input items", async () => {
    const chat = chatModel(server, {
      ...gpt,
      temperature: 0.2,
      maxTokens: 256,
      reasoningEffort: "low",
      customInputs: { k: 1 },
      context: { conversation_id: "c1" },
      returnTrace: true,
    });
    await chat.invoke([
      new SystemMessage("Be brief."),
      new HumanMessage({
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      }),
    ]);
    expect(server.requests[0]?.path).toBe("/serving-endpoints/responses");
    expect(server.bodies()[0]).toEqual({
      model: "databricks-gpt-5",
      input: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is this?" },
            { type: "input_image", image_url: "data:image/png;base64,AAAA" },
          ],
        },
      ],
      temperature: 0.2,
      max_output_tokens: 256,
      custom_inputs: { k: 1 },
      context: { conversation_id: "c1" },
      databricks_options: { return_trace: true },
      reasoning: { effort: "low" },
    });
  });

  it("sends tools flat, tool_choice in the Responses form, and strict only to GPT models", async () => {
    const weather = {
      name: "get_weather",
      description: "Weather in a city",
      schema: z.object({ city: z.string() }),
    };
    await chatModel(server, gpt)
      .bindTools([weather], { tool_choice: "get_weather", strict: true })
      .invoke("Paris?");
    const body = server.bodies()[0] as Record<string, unknown>;
    expect(body["tools"]).toEqual([
      {
        type: "function",
        name: "get_weather",
        description: "Weather in a city",
        parameters: expect.objectContaining({ type: "object" }) as unknown,
        strict: true,
      },
    ]);
    expect(body["tool_choice"]).toEqual({ type: "function", name: "get_weather" });
    await chatModel(server, { model: "my-agent", useResponsesApi: true })
      .bindTools([weather], { tool_choice: "any", strict: true })
      .invoke("Paris?");
    const agentBody = server.bodies()[1] as {
      tools: Record<string, unknown>[];
      tool_choice: unknown;
    };
    expect(agentBody.tools[0]).not.toHaveProperty("strict");
    expect(agentBody.tool_choice).toBe("required");
  });

  it("turns a tool loop into function_call and function_call_output items (ids per §3.5)", async () => {
    const longId = `call_${"x".repeat(80)}`;
    await chatModel(server, gpt).invoke([
      new HumanMessage("Weather in Paris?"),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
      }),
      new ToolMessage({ tool_call_id: "call_1", content: '{"temp":18}' }),
      new AIMessage({
        content: "Checking again.",
        id: "abc",
        tool_calls: [{ id: longId, name: "get_weather", args: {} }],
      }),
      new ToolMessage({ tool_call_id: longId, content: [{ type: "text", text: "18" }] }),
    ]);
    expect(server.bodies()[0]?.["input"]).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        type: "function_call",
        id: "fc_call_1",
        call_id: "call_1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      { type: "function_call_output", call_id: "call_1", output: '{"temp":18}' },
      {
        type: "message",
        role: "assistant",
        id: "msg_abc",
        content: [{ type: "output_text", text: "Checking again.", annotations: [] }],
      },
      {
        type: "function_call",
        id: `fc_${longId}`.slice(0, 64),
        call_id: longId,
        name: "get_weather",
        arguments: "{}",
      },
      { type: "function_call_output", call_id: longId, output: "18" },
    ]);
  });

  it("sends reasoningEffort as reasoning.effort to every family, Claude included", async () => {
    await chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      useResponsesApi: true,
      reasoningEffort: "medium",
    }).invoke("hi");
    expect(server.bodies()[0]?.["reasoning"]).toEqual({ effort: "medium" });
    expect(server.bodies()[0]).not.toHaveProperty("thinking");
  });

  it("sends parallel_tool_calls (a §3.2 field) from the call options or extraParams, gateway included (chat drops it: quirks.test.ts, Q4)", async () => {
    const tool = { name: "f", description: "F", schema: { type: "object", properties: {} } };
    for (const useAiGateway of [false, true]) {
      const model = chatModel(server, {
        ...gpt,
        useAiGateway,
        extraParams: { parallel_tool_calls: true },
      });
      await model.invoke("hi");
      await model.bindTools([tool], { parallel_tool_calls: false }).invoke("hi");
    }
    expect(server.bodies().map((body) => body["parallel_tool_calls"])).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it("refuses options the Responses API does not have, naming the fix", () => {
    for (const fields of [
      { stop: ["\n"] },
      { n: 2 },
      { thinking: { type: "enabled", budget_tokens: 1024 } },
      { streamOptions: { include_usage: true } },
    ]) {
      expect(() => chatModel(server, { ...gpt, ...fields })).toThrow(DatabricksConfigError);
    }
    expect(() => chatModel(server, { ...gpt, stop: ["\n"] })).toThrow(/remove `stop`/);
  });

  it("refuses an extraParams `input`, which would replace the conversation", () => {
    expect(() => chatModel(server, { ...gpt, extraParams: { input: [] } })).toThrow(
      /must not contain `input`/,
    );
  });

  it("refuses a call's stop sequences before any request", async () => {
    await expect(chatModel(server, gpt).invoke("hi", { stop: ["x"] })).rejects.toThrow(
      /useResponsesApi: the Responses API has no stop sequences/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("refuses the Python names use_responses_api and use_ai_gateway", () => {
    expect(() => chatModel(server, { use_responses_api: true } as never)).toThrow(
      /use `useResponsesApi` instead/,
    );
    expect(() => chatModel(server, { use_ai_gateway: true } as never)).toThrow(
      /use `useAiGateway` instead/,
    );
  });
});

describe("useResponsesApi: the answer", () => {
  it("reads the §3.3 response: text, reasoning, executed calls kept out of tool_calls, usage, agent metadata", async () => {
    server.setHandler((_req, res) => json(res, RESPONSE_3_3));
    const chat = chatModel(server, gpt);
    const answer = await chat.invoke("Weather in Paris?");
    expect(answer.text).toBe("It is 18°C.");
    expect(answer.content).toEqual([
      { type: "reasoning", reasoning: "…", id: "rs_…" },
      { type: "text", text: "It is 18°C.", id: "msg_…" },
    ]);
    expect(answer.tool_calls).toEqual([]);
    expect(answer.usage_metadata).toEqual({
      input_tokens: 505,
      output_tokens: 94,
      total_tokens: 599,
      input_token_details: { cache_read: 0 },
      output_token_details: { reasoning: 0 },
    });
    expect(answer.response_metadata).toMatchObject({
      id: "resp_…",
      model_name: "…",
      finish_reason: "stop",
      custom_outputs: { "…": "…" },
      trace_id: "tr-…",
      databricks_output: RESPONSE_3_3["databricks_output"],
      usage: RESPONSE_3_3["usage"],
      output: RESPONSE_3_3["output"],
    });
    const result = await chat._generate([new HumanMessage("x")], {} as never);
    expect(result.llmOutput?.["tokenUsage"]).toEqual({
      promptTokens: 505,
      completionTokens: 94,
      totalTokens: 599,
    });
  });

  it("re-sends the output items unchanged but for §3.5 (status and nulls stripped)", async () => {
    server.setHandler((_req, res) => json(res, RESPONSE_3_3));
    const chat = chatModel(server, gpt);
    const answer = await chat.invoke("Weather in Paris?");
    await chat.invoke([
      new HumanMessage("Weather in Paris?"),
      answer,
      new HumanMessage("And Rome?"),
    ]);
    expect(server.bodies()[1]?.["input"]).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { type: "reasoning", id: "rs_…", summary: [{ type: "summary_text", text: "…" }] },
      {
        type: "function_call",
        id: "fc_…",
        call_id: "call_1",
        name: "get_weather",
        arguments: "{…}",
      },
      { type: "function_call_output", call_id: "call_1", output: "…" },
      {
        type: "message",
        id: "msg_…",
        role: "assistant",
        content: [{ type: "output_text", text: "It is 18°C.", annotations: [] }],
      },
      { role: "user", content: "And Rome?" },
    ]);
  });

  it("keeps a reasoning id with encrypted_content whole (even past 64), cuts long message ids to 64", async () => {
    const longMsg = `msg_01c6${"a".repeat(188)}`;
    const reasoningId = `rs_${"r".repeat(70)}`;
    server.setHandler((_req, res) =>
      json(
        res,
        response([
          {
            type: "reasoning",
            id: reasoningId,
            summary: [
              { type: "summary_text", text: "Think." },
              { type: "summary_text", text: "More." },
            ],
            encrypted_content: "gAAAA-opaque",
          },
          messageItem("Done.", longMsg),
        ]),
      ),
    );
    const chat = chatModel(server, gpt);
    const answer = await chat.invoke("q");
    expect(answer.content).toEqual([
      {
        type: "reasoning",
        reasoning: "Think.",
        id: reasoningId,
        encrypted_content: "gAAAA-opaque",
      },
      { type: "reasoning", reasoning: "More." },
      { type: "text", text: "Done.", id: longMsg },
    ]);
    await chat.invoke([answer]);
    const input = server.bodies()[1]?.["input"] as Record<string, unknown>[];
    expect(input[0]).toEqual({
      type: "reasoning",
      id: reasoningId,
      summary: [
        { type: "summary_text", text: "Think." },
        { type: "summary_text", text: "More." },
      ],
      encrypted_content: "gAAAA-opaque",
    });
    expect(input[1]?.["id"]).toBe(longMsg.slice(0, 64));
    // A hand-built message with the same blocks (no response_metadata.output) is rebuilt alike.
    await chat.invoke([new AIMessage({ content: answer.content })]);
    expect(server.bodies()[2]?.["input"]).toEqual(input);
    // Without encrypted_content nothing is verified against the id: it is cut like any other.
    const [first, ...rest] = answer.content as Record<string, unknown>[];
    const { encrypted_content: _encrypted, ...plain } = first ?? {};
    await chat.invoke([new AIMessage({ content: [plain, ...rest] as MessageContent })]);
    const cut = server.bodies()[3]?.["input"] as Record<string, unknown>[];
    expect(cut[0]).toMatchObject({ type: "reasoning", id: reasoningId.slice(0, 64) });
    expect(cut[0]).not.toHaveProperty("encrypted_content");
  });

  it("reports pending function calls as tool_calls with the call_id as id", async () => {
    server.setHandler((_req, res) =>
      json(res, response([functionCallItem("call_9", "get_weather", { city: "Rome" })])),
    );
    const answer = await chatModel(server, gpt).invoke("Rome?");
    expect(answer.tool_calls).toEqual([
      { id: "call_9", name: "get_weather", args: { city: "Rome" }, type: "tool_call" },
    ]);
    expect(answer.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("maps incomplete_details.reason to finish_reason and keeps refusals as text", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        response(
          [
            {
              type: "message",
              id: "msg_r",
              role: "assistant",
              content: [{ type: "refusal", refusal: "I can't help with that." }],
            },
          ],
          { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
        ),
      ),
    );
    const answer = await chatModel(server, gpt).invoke("x");
    expect(answer.text).toBe("I can't help with that.");
    expect(answer.additional_kwargs["refusal"]).toBe("I can't help with that.");
    expect(answer.response_metadata["finish_reason"]).toBe("length");
  });

  it("throws a typed error for a response whose error is set", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        response([], { status: "failed", error: { code: "server_error", message: "boom" } }),
      ),
    );
    const error = await chatModel(server, gpt)
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksServerError);
    expect((error as Error).message).toContain("boom");
    server.setHandler((_req, res) =>
      json(res, response([], { error: { code: "rate_limit_exceeded", message: "slow down" } })),
    );
    await expect(chatModel(server, gpt).invoke("x")).rejects.toBeInstanceOf(
      DatabricksRateLimitError,
    );
  });
});

describe("useResponsesApi: structured output", () => {
  const schema = z.object({ city: z.string(), temp: z.number() });

  it("jsonSchema sends text.format in the flat OpenAI form and parses the text", async () => {
    server.setHandler((_req, res) =>
      json(res, response([messageItem('{"city":"Paris","temp":18}')])),
    );
    const parsed = await chatModel(server, gpt)
      .withStructuredOutput(schema, { method: "jsonSchema", name: "weather" })
      .invoke("Paris?");
    expect(parsed).toEqual({ city: "Paris", temp: 18 });
    expect(server.bodies()[0]?.["text"]).toEqual({
      format: {
        type: "json_schema",
        name: "weather",
        schema: expect.objectContaining({ type: "object" }) as unknown,
        strict: true,
      },
    });
    expect(server.bodies()[0]).not.toHaveProperty("response_format");
  });

  it("functionCalling forces the tool in the Responses form and parses its arguments", async () => {
    server.setHandler((_req, res) =>
      json(res, response([functionCallItem("call_1", "weather", { city: "Paris", temp: 18 })])),
    );
    const parsed = await chatModel(server, gpt)
      .withStructuredOutput(schema, { method: "functionCalling", name: "weather" })
      .invoke("Paris?");
    expect(parsed).toEqual({ city: "Paris", temp: 18 });
    expect(server.bodies()[0]?.["tool_choice"]).toEqual({ type: "function", name: "weather" });
    expect((server.bodies()[0]?.["tools"] as { name: string }[])[0]?.name).toBe("weather");
  });
});

export type { AIMessageChunk };
