/**
 * Model quirks (the serving reference's §2): the model family guessed from the endpoint name, the
 * fixes applied to the wire body, the errors they avoid (scripted here with Databricks' exact
 * error bodies), the Responses-only error, usage details and the model profile.
 */
import {
  AIMessage,
  HumanMessage,
  ToolMessage,
  type AIMessageChunk,
} from "@langchain/core/messages";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DatabricksBadRequestError,
  DatabricksConfigError,
  DatabricksResponsesApiOnlyError,
} from "../../src/errors.js";
import { guessModelFamily } from "../../src/model_family.js";
import {
  chatCompletion,
  chatModel,
  chunk,
  json,
  sse,
  textChunks,
  useTestServer,
  type CapturedRequest,
} from "./helpers.js";

const server = useTestServer(() => (_req, res) => json(res, chatCompletion("ok")));

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};

/** A Claude-like endpoint: answers Databricks' exact 400 bodies for the inputs Claude refuses. */
function claudeLike(req: CapturedRequest, res: ServerResponse): void {
  const body = req.body;
  const tools = (body["tools"] ?? []) as { function?: Record<string, unknown> }[];
  if (tools.some((t) => t.function && "strict" in t.function)) {
    json(
      res,
      {
        error_code: "BAD_REQUEST",
        message: "tools.0.custom.strict: Extra inputs are not permitted",
      },
      400,
    );
    return;
  }
  if ("parallel_tool_calls" in body) {
    json(
      res,
      { error_code: "BAD_REQUEST", message: "parallel_tool_calls: Extra inputs are not permitted" },
      400,
    );
    return;
  }
  const messages = body["messages"] as Record<string, unknown>[];
  const emptyToolTurn = messages.some((m) => {
    if (m["role"] !== "assistant" || !m["tool_calls"]) return false;
    const c = m["content"];
    if (c === null || c === undefined) return true;
    if (typeof c === "string") return c === "";
    return (c as { type: string; text?: string }[]).some((p) => p.type === "text" && p.text === "");
  });
  if (emptyToolTurn) {
    json(
      res,
      {
        error_code: "BAD_REQUEST",
        message: '{"message":"messages: text content blocks must be non-empty"}',
      },
      400,
    );
    return;
  }
  json(res, chatCompletion("ok"));
}

const toolTurn = (content: AIMessage["content"]) =>
  new AIMessage({
    content,
    tool_calls: [{ id: "toolu_1", name: "get_weather", args: { city: "Paris" } }],
  });

describe("guessModelFamily (the endpoint-name heuristic)", () => {
  it.each([
    ["databricks-claude-sonnet-4-5", "claude"],
    ["databricks-claude-opus-4-1", "claude"],
    ["databricks-gpt-5-1", "gpt"],
    ["databricks-gpt-5-1-codex-max", "gpt"],
    ["my-codex", "gpt"],
    ["databricks-gpt-oss-120b", "gpt-oss"],
    ["databricks-gemini-2-5-pro", "gemini"],
    ["databricks-gemma-3-12b", "gemma"],
    ["databricks-meta-llama-3-3-70b-instruct", "llama"],
    ["databricks-qwen3-next-80b-a3b-instruct", "qwen"],
    ["Databricks-Claude-3-7-Sonnet", "claude"],
    ["my-agent", "unknown"],
  ])("%s → %s", (endpoint, family) => {
    expect(guessModelFamily(endpoint)).toBe(family);
  });

  it("is exposed as modelFamily, and the option overrides it for custom-named endpoints", () => {
    expect(chatModel(server, { model: "databricks-claude-sonnet-4" }).modelFamily).toBe("claude");
    expect(chatModel(server, { model: "my-sonnet" }).modelFamily).toBe("unknown");
    expect(chatModel(server, { model: "my-sonnet", modelFamily: "claude" }).modelFamily).toBe(
      "claude",
    );
  });

  it("an unknown modelFamily is refused at construction", () => {
    expect(() => chatModel(server, { modelFamily: "claud" as "claude" })).toThrow(
      DatabricksConfigError,
    );
  });
});

describe("Q3: tool `strict` is sent to GPT models only", () => {
  it("is stripped from tools and from the top level for Claude, so the request succeeds", async () => {
    server.setHandler(claudeLike);
    const model = chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      extraParams: { strict: true },
    });
    await model.bindTools([weatherTool], { strict: true }).invoke("weather?");
    const body = server.bodies()[0] ?? {};
    expect(body["strict"]).toBeUndefined();
    // Also: binding with `strict` left the caller's tool object unchanged.
    expect(body["tools"]).toEqual([weatherTool]);
    expect(weatherTool.function).not.toHaveProperty("strict");
  });

  it("is stripped for an unknown model too (the ai-bridge rule)", async () => {
    await chatModel(server, { model: "my-agent" })
      .bindTools([weatherTool], { strict: false })
      .invoke("x");
    expect(JSON.stringify(server.bodies()[0]?.["tools"])).not.toContain("strict");
  });

  it("is kept for GPT and gpt-oss", async () => {
    for (const model of ["databricks-gpt-5-1", "databricks-gpt-oss-120b"]) {
      await chatModel(server, { model }).bindTools([weatherTool], { strict: true }).invoke("x");
    }
    for (const body of server.bodies()) {
      const tools = body["tools"] as { function: Record<string, unknown> }[];
      expect(tools[0]?.function["strict"]).toBe(true);
    }
  });

  it("the loopback Claude answers the exact error when strict is sent (what the fix avoids)", async () => {
    server.setHandler(claudeLike);
    const error = await chatModel(server, { model: "custom", modelFamily: "gpt" })
      .bindTools([weatherTool], { strict: true })
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksBadRequestError);
    expect((error as Error).message).toContain(
      "tools.0.custom.strict: Extra inputs are not permitted",
    );
  });
});

describe("Q4: parallel_tool_calls is never sent on chat completions", () => {
  it("is dropped from call options and from extraParams", async () => {
    server.setHandler(claudeLike);
    const model = chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      extraParams: { parallel_tool_calls: false },
    });
    const answer = await model
      .bindTools([weatherTool], { parallel_tool_calls: false })
      .invoke("x", { extraParams: { parallel_tool_calls: true } });
    expect(answer.content).toBe("ok");
    expect(server.bodies()[0]).not.toHaveProperty("parallel_tool_calls");
  });
});

describe("Q9/Q10: tools always have an object schema as parameters", () => {
  it("adds {type: object, properties: {}} when parameters are missing, and type: object when untyped", async () => {
    await chatModel(server, { model: "databricks-meta-llama-3-3-70b-instruct" })
      .bindTools([
        { type: "function", function: { name: "now", description: "The time" } },
        {
          type: "function",
          function: { name: "echo", parameters: { properties: { text: { type: "string" } } } },
        },
      ])
      .invoke("x");
    const tools = server.bodies()[0]?.["tools"] as { function: Record<string, unknown> }[];
    expect(tools.map((t) => t.function["parameters"])).toEqual([
      { type: "object", properties: {} },
      { type: "object", properties: { text: { type: "string" } } },
    ]);
  });
});

describe("Q11: empty replayed tool-call arguments are sent as {}", () => {
  it('turns "", "[]" and missing arguments into "{}" and keeps real ones', async () => {
    await chatModel(server).invoke([
      new HumanMessage("x"),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "a", name: "now", args: {} }],
        invalid_tool_calls: [
          { id: "b", name: "now", args: "", type: "invalid_tool_call" },
          { id: "c", name: "now", args: "[]", type: "invalid_tool_call" },
          { id: "d", name: "now", args: '{"x":1', type: "invalid_tool_call" },
        ],
      }),
      new ToolMessage({ content: "12:00", tool_call_id: "a" }),
    ]);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    const calls = messages[1]?.["tool_calls"] as { function: { arguments: string } }[];
    expect(calls.map((c) => c.function.arguments)).toEqual(["{}", "{}", "{}", '{"x":1']);
  });
});

describe("Q1/Q2: Claude tool-call turns never carry empty text", () => {
  for (const [label, content] of [
    ["an empty string", ""],
    ["whitespace", "  \n"],
    ["no parts", []],
    ["only empty text parts", [{ type: "text", text: "" }]],
  ] as const) {
    it(`${label} is sent as " ", and the loopback Claude accepts it`, async () => {
      server.setHandler(claudeLike);
      const answer = await chatModel(server, { model: "databricks-claude-opus-4-1" }).invoke([
        new HumanMessage("weather?"),
        toolTurn(content as AIMessage["content"]),
        new ToolMessage({ content: "sunny", tool_call_id: "toolu_1" }),
      ]);
      expect(answer.content).toBe("ok");
      const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
      expect(messages[1]?.["content"]).toBe(" ");
    });
  }

  it("keeps non-text parts (reasoning) and drops only the empty text parts", async () => {
    const reasoning = {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "think", signature: "sig" }],
    };
    await chatModel(server, { model: "databricks-claude-sonnet-4-5" }).invoke([
      new HumanMessage("x"),
      toolTurn([reasoning, { type: "text", text: "" }]),
      new ToolMessage({ content: "sunny", tool_call_id: "toolu_1" }),
    ]);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages[1]?.["content"]).toEqual([reasoning]);
  });

  it("applies to streaming requests too", async () => {
    server.setHandler((_req, res) =>
      sse(res, [chunk({ role: "assistant", content: "ok" }, { finish_reason: "stop" })]),
    );
    const model = chatModel(server, { model: "databricks-claude-sonnet-4-5" });
    for await (const piece of await model.stream([new HumanMessage("x"), toolTurn("")])) {
      void piece;
    }
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages[1]?.["content"]).toBe(" ");
  });

  it("other families keep null next to tool calls; the loopback Claude shows the error it avoids", async () => {
    server.setHandler(claudeLike);
    const error = await chatModel(server, { model: "databricks-gpt-5-1" })
      .invoke([new HumanMessage("x"), toolTurn("")])
      .catch((e: unknown) => e);
    expect((server.bodies()[0]?.["messages"] as Record<string, unknown>[])[1]?.["content"]).toBe(
      null,
    );
    expect(error).toBeInstanceOf(DatabricksBadRequestError);
    expect((error as Error).message).toContain("text content blocks must be non-empty");
  });
});

describe("Q19: Claude gets the tool results of one turn next to each other", () => {
  const twoCalls = new AIMessage({
    content: "",
    tool_calls: [
      { id: "toolu_1", name: "get_weather", args: { city: "Paris" } },
      { id: "toolu_2", name: "get_weather", args: { city: "Rome" } },
    ],
  });
  const conversation = [
    new HumanMessage("weather in Paris and Rome?"),
    twoCalls,
    new ToolMessage({ content: "sunny", tool_call_id: "toolu_1" }),
    new HumanMessage("and here is a photo"),
    new ToolMessage({ content: "rainy", tool_call_id: "toolu_2" }),
    new AIMessage("Sunny in Paris, rainy in Rome."),
  ];

  it("moves a message that came between two tool results after them (Claude only)", async () => {
    await chatModel(server, { model: "databricks-claude-sonnet-4-5" }).invoke(conversation);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages.map((m) => m["role"])).toEqual([
      "user",
      "assistant",
      "tool",
      "tool",
      "user",
      "assistant",
    ]);
    expect(messages.map((m) => m["tool_call_id"] ?? m["content"])).toEqual([
      "weather in Paris and Rome?",
      " ",
      "toolu_1",
      "toolu_2",
      "and here is a photo",
      "Sunny in Paris, rainy in Rome.",
    ]);
  });

  it("other families get the messages in the caller's order", async () => {
    await chatModel(server, { model: "databricks-llama-4-maverick" }).invoke(conversation);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages.map((m) => m["role"])).toEqual([
      "user",
      "assistant",
      "tool",
      "user",
      "tool",
      "assistant",
    ]);
  });
});

describe("Q12: remote image URLs to Claude", () => {
  const withImage = (url: string) =>
    new HumanMessage({
      content: [
        { type: "text", text: "what is this?" },
        { type: "image_url", image_url: { url } },
      ],
    });

  it("are refused before any request, saying to send the image as data", async () => {
    const model = chatModel(server, { model: "databricks-claude-sonnet-4-5" });
    await expect(model.invoke([withImage("https://example.com/cat.png")])).rejects.toThrow(
      DatabricksConfigError,
    );
    await expect(model.invoke([withImage("https://example.com/cat.png")])).rejects.toThrow(
      /base64 data URL/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("data URLs go to Claude, and other families get remote URLs as given", async () => {
    const data = "data:image/png;base64,iVBORw0KGgo=";
    await chatModel(server, { model: "databricks-claude-sonnet-4-5" }).invoke([withImage(data)]);
    await chatModel(server, { model: "databricks-gpt-5" }).invoke([
      withImage("https://example.com/cat.png"),
    ]);
    expect(server.requests).toHaveLength(2);
  });
});

describe("Q20: tool names Databricks refuses", () => {
  it("are refused at bind time with a name that would work", () => {
    const model = chatModel(server);
    const named = (name: string) => ({
      type: "function",
      function: { name, parameters: { type: "object", properties: {} } },
    });
    expect(() => model.bindTools([named("main.tools.lookup")])).toThrow(DatabricksConfigError);
    expect(() => model.bindTools([named("main.tools.lookup")])).toThrow(/main__tools__lookup/);
    expect(() => model.bindTools([named("x".repeat(65))])).toThrow(/1 to 64/);
    expect(() =>
      model.bindTools([named("system__ai__python_exec"), named("get-weather")]),
    ).not.toThrow();
  });
});

describe("Q7: sampling parameters an adaptive-only Claude refuses", () => {
  it("the 400 says which option to remove", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        {
          error_code: "BAD_REQUEST",
          message: "Model eu.anthropic.claude-opus-5 does not support the temperature parameter.",
        },
        400,
      ),
    );
    const error = await chatModel(server, { model: "databricks-claude-opus-5", temperature: 0.2 })
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksBadRequestError);
    expect((error as Error).message).toContain("remove `temperature` from the options");
  });
});

describe("Q17: DeepSeek-R1 thinks in a leading <think> span", () => {
  const answer = "<think>The user wants a capital.</think>\n\nParis.";

  it("invoke: the span is a reasoning block, the text is the answer (deepseek family only)", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion(answer)));
    const out = await chatModel(server, { model: "databricks-deepseek-r1" }).invoke("capital?");
    expect(out.text).toBe("Paris.");
    expect(out.contentBlocks).toEqual([
      { type: "reasoning", reasoning: "The user wants a capital." },
      { type: "text", text: "Paris." },
    ]);
    const plain = await chatModel(server, { model: "databricks-llama-4" }).invoke("capital?");
    expect(plain.text).toBe(answer);
    const optedIn = await chatModel(server, { model: "my-r1", modelFamily: "deepseek" }).invoke(
      "x",
    );
    expect(optedIn.text).toBe("Paris.");
  });

  it("stream: the tags may be cut anywhere; the merged stream equals invoke", async () => {
    server.setHandler((_req, res) =>
      sse(res, textChunks(["<th", "ink>The user ", "wants a capital.</thi", "nk>\n", "\nParis."])),
    );
    let merged: AIMessageChunk | undefined;
    for await (const c of await chatModel(server, { model: "databricks-deepseek-r1" }).stream(
      "x",
    )) {
      merged = merged ? merged.concat(c) : c;
    }
    expect(merged?.text).toBe("Paris.");
    expect(merged?.contentBlocks.filter((b) => b.type === "reasoning")).toEqual([
      { type: "reasoning", reasoning: "The user wants a capital.", index: 0 },
    ]);
  });
});

describe("Q13: no `name` on messages, except tool results to custom-named endpoints", () => {
  const history = [
    new HumanMessage({ content: "weather?", name: "alice" }),
    new AIMessage({
      content: "",
      tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
    }),
    new ToolMessage({ content: "sunny", tool_call_id: "call_1", name: "get_weather" }),
  ];

  it("model families get no name at all", async () => {
    await chatModel(server, { model: "databricks-llama-4-maverick" }).invoke(history);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages.every((m) => !("name" in m))).toBe(true);
  });

  it("an unknown endpoint's tool results carry the name of the call they answer", async () => {
    await chatModel(server, { model: "my-agent" }).invoke([
      ...history.slice(0, 2),
      new ToolMessage({ content: "sunny", tool_call_id: "call_1" }),
    ]);
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages[0]).not.toHaveProperty("name");
    expect(messages[2]).toEqual({
      role: "tool",
      content: "sunny",
      tool_call_id: "call_1",
      name: "get_weather",
    });
  });
});

describe("Q15: models served on the Responses API only", () => {
  it("the 400 becomes a DatabricksResponsesApiOnlyError that says what to do", async () => {
    const serverMessage =
      "Model databricks-gpt-5-1-codex-max only supports the Responses API. Please use /serving-endpoints/responses instead.";
    server.setHandler((_req, res) =>
      json(res, { error_code: "BAD_REQUEST", message: serverMessage }, 400),
    );
    const error = await chatModel(server, { model: "databricks-gpt-5-1-codex-max" })
      .invoke("x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksResponsesApiOnlyError);
    expect(error).toBeInstanceOf(DatabricksBadRequestError);
    const e = error as DatabricksResponsesApiOnlyError;
    expect(e.serverMessage).toBe(serverMessage);
    expect(e.message).toContain("set `useResponsesApi: true` on ChatDatabricks");
    expect(server.requests).toHaveLength(1);
  });
});

describe("Q18: usage details from both usage shapes", () => {
  const claudeUsage = {
    prompt_tokens: 4573,
    completion_tokens: 20,
    total_tokens: 4593,
    cache_read_input_tokens: 3,
    cache_creation_input_tokens: 4570,
    cache_creation: { ephemeral_5m_input_tokens: 4570, ephemeral_1h_input_tokens: 0 },
  };
  const openaiUsage = {
    prompt_tokens: 100,
    completion_tokens: 50,
    total_tokens: 150,
    prompt_tokens_details: { cached_tokens: 64 },
    completion_tokens_details: { reasoning_tokens: 30 },
  };

  it("Claude cache fields become cache_read/cache_creation; the raw usage is kept", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion("ok", { usage: claudeUsage })));
    const answer = await chatModel(server, { model: "databricks-claude-sonnet-4-5" }).invoke("x");
    expect(answer.usage_metadata).toEqual({
      input_tokens: 4573,
      output_tokens: 20,
      total_tokens: 4593,
      input_token_details: { cache_read: 3, cache_creation: 4570 },
    });
    expect(answer.response_metadata["usage"]).toEqual(claudeUsage);
  });

  it("OpenAI cached and reasoning tokens become cache_read and reasoning", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion("ok", { usage: openaiUsage })));
    const answer = await chatModel(server, { model: "databricks-gpt-5-1" }).invoke("x");
    expect(answer.usage_metadata).toEqual({
      input_tokens: 100,
      output_tokens: 50,
      total_tokens: 150,
      input_token_details: { cache_read: 64 },
      output_token_details: { reasoning: 30 },
    });
    expect(answer.response_metadata["usage"]).toEqual(openaiUsage);
  });

  it("streaming: details from the final usage chunk, raw usage in response_metadata", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({ role: "assistant", content: "ok" }),
        chunk({}, { finish_reason: "stop" }),
        { id: "chatcmpl-s", object: "chat.completion.chunk", choices: [], usage: claudeUsage },
      ]),
    );
    const model = chatModel(server, { model: "databricks-claude-sonnet-4-5" });
    let usage: unknown;
    let raw: unknown;
    for await (const piece of await model.stream("x")) {
      if (piece.usage_metadata) usage = piece.usage_metadata;
      if (piece.response_metadata["usage"]) raw = piece.response_metadata["usage"];
    }
    expect(usage).toMatchObject({
      input_tokens: 4573,
      input_token_details: { cache_read: 3, cache_creation: 4570 },
    });
    expect(raw).toEqual(claudeUsage);
  });
});

describe("ChatDatabricks.profile", () => {
  const profile = (fields: Parameters<typeof chatModel>[1]) => chatModel(server, fields).profile;

  it("Claude: tools, forced tool choice, structured output, reasoning, images by data URL", () => {
    expect(profile({ model: "databricks-claude-sonnet-4-5" })).toEqual({
      toolCalling: true,
      toolChoice: true,
      structuredOutput: true,
      reasoningOutput: true,
      imageInputs: true,
      imageUrlInputs: false,
    });
  });

  it("Claude with thinking refuses a forced tool choice, so structured output goes by response_format", () => {
    for (const thinking of [{ type: "enabled", budget_tokens: 1024 }, { type: "adaptive" }]) {
      const p = profile({ model: "databricks-claude-sonnet-4-5", extraParams: { thinking } });
      expect(p).toMatchObject({ toolChoice: false, structuredOutput: true, toolCalling: true });
      // The `thinking` option and `reasoningEffort` (sent to Claude as thinking) count the same.
      expect(profile({ model: "databricks-claude-sonnet-4-5", thinking }).toolChoice).toBe(false);
    }
    expect(
      profile({ model: "databricks-claude-sonnet-4-5", reasoningEffort: "low" }).toolChoice,
    ).toBe(false);
    expect(profile({ model: "databricks-gpt-5", reasoningEffort: "low" }).toolChoice).toBe(true);
  });

  it("GPT, gpt-oss and Llama profiles", () => {
    expect(profile({ model: "databricks-gpt-5-1" })).toEqual({
      toolCalling: true,
      toolChoice: true,
      structuredOutput: true,
      reasoningOutput: true,
      imageInputs: true,
    });
    expect(profile({ model: "databricks-gpt-oss-120b" })).toMatchObject({
      reasoningOutput: true,
      imageInputs: false,
    });
    expect(profile({ model: "databricks-meta-llama-3-3-70b-instruct" })).toEqual({
      toolCalling: true,
      toolChoice: true,
      structuredOutput: true,
    });
  });

  it("an unknown endpoint claims nothing; modelFamily and modelProfile override", () => {
    expect(profile({ model: "my-agent" })).toEqual({});
    expect(profile({ model: "my-agent", modelFamily: "qwen" })).toMatchObject({
      structuredOutput: true,
    });
    expect(
      profile({
        model: "databricks-claude-sonnet-4-5",
        modelProfile: { structuredOutput: false, maxInputTokens: 200000 },
      }),
    ).toMatchObject({ structuredOutput: false, maxInputTokens: 200000, toolCalling: true });
  });

  it("withStructuredOutput defaults to response_format when the profile refuses a forced tool choice", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion('{"city":"Rome"}')));
    const Trip = z.object({ city: z.string() });
    const thinking = { type: "enabled", budget_tokens: 1024 };
    const claude = chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      extraParams: { thinking },
    });
    expect(await claude.withStructuredOutput(Trip).invoke("x")).toEqual({ city: "Rome" });
    const body = server.bodies()[0] ?? {};
    expect(body["tool_choice"]).toBeUndefined();
    expect(body["response_format"]).toMatchObject({ type: "json_schema" });
    // Without thinking, the default stays a forced tool call.
    await chatModel(server, { model: "databricks-claude-sonnet-4-5" })
      .withStructuredOutput(Trip)
      .invoke("x")
      .catch(() => undefined);
    expect(server.bodies()[1]?.["tool_choice"]).toEqual({
      type: "function",
      function: { name: "extract" },
    });
  });

  it("modelProfile does not change the ~/.databrickscfg `profile` option or the wire body", async () => {
    const model = chatModel(server, { modelProfile: { toolCalling: false } });
    await model.invoke("x");
    expect(server.bodies()[0]).toEqual({ messages: [{ role: "user", content: "x" }] });
  });
});
