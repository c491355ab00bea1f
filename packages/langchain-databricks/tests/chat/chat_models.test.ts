import {
  AIMessage,
  AIMessageChunk,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ChatDatabricks } from "../../src/chat_models.js";
import {
  DatabricksAbortError,
  DatabricksBadRequestError,
  DatabricksConfigError,
  DatabricksResponseError,
} from "../../src/errors.js";
import {
  chatCompletion,
  chatModel,
  json,
  sleep,
  startTestServer,
  useTestServer,
  TEST_TOKEN,
  toolCall,
} from "./helpers.js";

const server = useTestServer(() => (_req, res) => json(res, chatCompletion("hello")));

describe("ChatDatabricks: construction and identity", () => {
  it("needs a model, accepts the `endpoint` alias and a positional model", () => {
    expect(() => new ChatDatabricks({ host: server.url, token: TEST_TOKEN })).toThrow(
      DatabricksConfigError,
    );
    expect(chatModel(server, { model: undefined, endpoint: "via-alias" } as never).model).toBe(
      "via-alias",
    );
    expect(new ChatDatabricks("positional", { host: server.url, token: TEST_TOKEN }).model).toBe(
      "positional",
    );
    expect(() => chatModel(server, { model: "a", endpoint: "b" })).toThrow(
      /two endpoints: `endpoint` \("b"\) and `model` \("a"\)/,
    );
  });

  it("has the LangChain identity and masks secrets when serialised", () => {
    const model = chatModel(server, { temperature: 0.2 });
    expect(ChatDatabricks.lc_name()).toBe("ChatDatabricks");
    expect(model._llmType()).toBe("chat-databricks");
    const serialized = JSON.stringify(model.toJSON());
    expect(serialized).not.toContain(TEST_TOKEN);
    expect(serialized).toContain('"DATABRICKS_TOKEN"');
    expect(model._identifyingParams()).toMatchObject({ endpoint: "my-endpoint", temperature: 0.2 });
  });

  it("serialises functions as not_implemented markers", () => {
    const model = chatModel(server, { fetch: globalThis.fetch });
    const kwargs = (model.toJSON() as { kwargs: Record<string, unknown> }).kwargs;
    expect(kwargs["fetch"]).toMatchObject({ type: "not_implemented" });
  });
});

describe("ChatDatabricks: request body", () => {
  it("posts OpenAI-style messages to /serving-endpoints/{model}/invocations (name encoded)", async () => {
    const model = chatModel(server, { model: "team/my endpoint" });
    await model.invoke("hi");
    const [req] = server.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/serving-endpoints/team%2Fmy%20endpoint/invocations");
    expect(req?.headers["authorization"]).toBe(`Bearer ${TEST_TOKEN}`);
    expect(req?.body).toEqual({ messages: [{ role: "user", content: "hi" }] });
  });

  it("sends only the options that are set, never null or an empty stop", async () => {
    await chatModel(server, { stop: [] }).invoke("x");
    await chatModel(server, { temperature: 0, maxTokens: 10, n: 2, stop: ["END"] }).invoke("x");
    await chatModel(server, { n: 1 }).invoke("x");
    const [a, b, c] = server.bodies();
    expect(a).toEqual({ messages: [{ role: "user", content: "x" }] });
    expect(b).toMatchObject({ temperature: 0, max_tokens: 10, n: 2, stop: ["END"] });
    expect(c).not.toHaveProperty("n");
  });

  it("merges extraParams at the top level; named options win; call options override", async () => {
    const model = chatModel(server, {
      temperature: 0.5,
      extraParams: { top_p: 0.9, temperature: 1.5, custom_inputs: { a: 1 } },
    });
    await model.invoke("x");
    await model.invoke("x", { temperature: 0.1, maxTokens: 7, extraParams: { top_p: 0.1 } });
    const [first, second] = server.bodies();
    expect(first).toMatchObject({ top_p: 0.9, temperature: 0.5, custom_inputs: { a: 1 } });
    expect(second).toMatchObject({ top_p: 0.1, temperature: 0.1, max_tokens: 7 });
  });

  it("call-time stop replaces the instance stop (LangChain.js rule)", async () => {
    const model = chatModel(server, { stop: ["INSTANCE"] });
    await model.invoke("x");
    await model.invoke("x", { stop: ["CALL"] });
    expect(server.bodies().map((b) => b["stop"])).toEqual([["INSTANCE"], ["CALL"]]);
  });

  it("converts system, human, AI (with tool calls), tool and custom-role messages", async () => {
    await chatModel(server).invoke([
      new SystemMessage("be brief"),
      new HumanMessage({ content: "hi", name: "alice" }),
      new AIMessage({
        content: "",
        tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
      }),
      new ToolMessage({ content: "sunny", tool_call_id: "call_1" }),
      new AIMessage("It is sunny."),
      new ChatMessage({ content: "note", role: "developer" }),
    ]);
    expect(server.bodies()[0]?.["messages"]).toEqual([
      { role: "system", content: "be brief" },
      // Q13: the Foundation Model APIs do not support `name`, so it is never sent.
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      // A custom-named endpoint (an agent, perhaps) gets the tool's name: MLflow ChatAgent needs it.
      { role: "tool", content: "sunny", tool_call_id: "call_1", name: "get_weather" },
      { role: "assistant", content: "It is sunny." },
      { role: "developer", content: "note" },
    ]);
  });

  it("passes multimodal content as OpenAI parts (legacy image_url and standard image blocks)", async () => {
    await chatModel(server).invoke([
      new HumanMessage({
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: "https://x/y.png" },
          { type: "image_url", image_url: { url: "https://x/z.png", detail: "low" } },
          { type: "image", url: "https://x/w.png" },
          { type: "image", data: "AAAA", mimeType: "image/jpeg" },
          { type: "image", source_type: "base64", data: "BBBB", mime_type: "image/gif" },
        ],
      }),
    ]);
    expect(server.bodies()[0]?.["messages"]).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "https://x/y.png" } },
          { type: "image_url", image_url: { url: "https://x/z.png", detail: "low" } },
          { type: "image_url", image_url: { url: "https://x/w.png" } },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA" } },
          { type: "image_url", image_url: { url: "data:image/gif;base64,BBBB" } },
        ],
      },
    ]);
  });

  it("rejects FunctionMessage with the Python message, before any request", async () => {
    const error = await chatModel(server)
      .invoke([new FunctionMessage({ content: "x", name: "f" })])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksConfigError);
    expect((error as Error).message).toMatch(
      /^Function messages are not supported by Databricks\. /,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe("ChatDatabricks: responses", () => {
  it("returns an AIMessageChunk with usage and response metadata (incl. served-model-name)", async () => {
    server.setHandler((_req, res) =>
      json(res, chatCompletion("hello", { model: "llama" }), 200, {
        "served-model-name": "llama-v2",
      }),
    );
    const out = await chatModel(server).invoke("hi");
    expect(AIMessageChunk.isInstance(out)).toBe(true);
    expect(out.content).toBe("hello");
    expect(out.usage_metadata).toEqual({ input_tokens: 5, output_tokens: 3, total_tokens: 8 });
    expect(out.response_metadata).toMatchObject({
      model_name: "llama",
      id: "chatcmpl-1",
      finish_reason: "stop",
      served_model_name: "llama-v2",
    });
  });

  it("keeps token details when the server reports them", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        chatCompletion("x", {
          usage: {
            prompt_tokens: 10,
            completion_tokens: 4,
            total_tokens: 14,
            prompt_tokens_details: { cached_tokens: 6 },
            completion_tokens_details: { reasoning_tokens: 2 },
          },
        }),
      ),
    );
    const out = await chatModel(server).invoke("hi");
    expect(out.usage_metadata).toEqual({
      input_tokens: 10,
      output_tokens: 4,
      total_tokens: 14,
      input_token_details: { cache_read: 6 },
      output_token_details: { reasoning: 2 },
    });
  });

  it("parses tool calls; invalid JSON arguments become invalid_tool_calls", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        chatCompletion(null, {
          finish_reason: "tool_calls",
          tool_calls: [
            toolCall("call_1", "get_weather", { city: "Paris" }),
            toolCall("call_2", "get_time", "{not json"),
          ],
        }),
      ),
    );
    const out = await chatModel(server).invoke("hi");
    expect(out.content).toBe("");
    expect(out.tool_calls).toEqual([
      { id: "call_1", name: "get_weather", args: { city: "Paris" }, type: "tool_call" },
    ]);
    expect(out.invalid_tool_calls).toHaveLength(1);
    expect(out.invalid_tool_calls?.[0]).toMatchObject({
      id: "call_2",
      name: "get_time",
      args: "{not json",
      type: "invalid_tool_call",
    });
  });

  it("keeps list content (reasoning models) as content blocks, not JSON text", async () => {
    const parts = [
      { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }] },
      { type: "text", text: "answer" },
    ];
    server.setHandler((_req, res) => json(res, chatCompletion(parts)));
    const out = await chatModel(server).invoke("hi");
    expect(out.content).toEqual([
      { type: "reasoning", reasoning: "thinking" },
      { type: "text", text: "answer" },
    ]);
    expect(out.text).toBe("answer");
  });

  it("reads ChatAgent answers (messages, no choices): the assistant messages, executed calls dropped", async () => {
    server.setHandler((_req, res) =>
      json(res, {
        messages: [
          {
            role: "assistant",
            content: "",
            id: "m1",
            tool_calls: [toolCall("c1", "lookup", { q: "x" })],
          },
          { role: "tool", content: "42", tool_call_id: "c1", id: "m2" },
          { role: "assistant", content: "The answer", id: "m3" },
          { role: "assistant", content: "is 42.", id: "m4" },
        ],
        custom_outputs: { trace: "t1" },
      }),
    );
    const out = await chatModel(server).invoke("hi");
    expect(out.content).toBe("The answer\n\nis 42.");
    expect(out.id).toBe("m4");
    expect(out.tool_calls).toEqual([]);
    expect(out.additional_kwargs["custom_outputs"]).toEqual({ trace: "t1" });
    expect(out.additional_kwargs["messages"]).toHaveLength(4);
  });

  it("cuts the text at the first stop sequence client-side", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion("one two STOP three")));
    const out = await chatModel(server, { stop: ["STOP", "two"] }).invoke("x");
    expect(out.content).toBe("one ");
    expect(out.response_metadata["finish_reason"]).toBe("stop");
  });

  it("returns one generation per choice with n > 1", async () => {
    server.setHandler((_req, res) =>
      json(res, {
        model: "m",
        choices: [
          { index: 0, message: { role: "assistant", content: "a" }, finish_reason: "stop" },
          { index: 1, message: { role: "assistant", content: "b" }, finish_reason: "stop" },
        ],
      }),
    );
    const result = await chatModel(server, { n: 2 }).generate([[new HumanMessage("x")]]);
    expect(result.generations[0]?.map((g) => g.text)).toEqual(["a", "b"]);
  });

  it("a body that is not a chat answer is a DatabricksResponseError with a hint", async () => {
    server.setHandler((_req, res) => json(res, { predictions: ["x"] }));
    await expect(chatModel(server).invoke("x")).rejects.toThrow(DatabricksResponseError);
    await expect(chatModel(server).invoke("x")).rejects.toThrow(/custom MLflow model/);
  });
});

describe("ChatDatabricks: transport, retries, abort, concurrency", () => {
  it("retries 503 in the transport only (one layer: attempts = 1 + maxRetries)", async () => {
    server.setHandler((_req, res) =>
      json(res, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }, 503),
    );
    await expect(chatModel(server, { maxRetries: 2 }).invoke("x")).rejects.toMatchObject({
      status: 503,
    });
    expect(server.requests).toHaveLength(3);
  });

  it("recovers after a transient error; does not retry a 400", async () => {
    server.setHandler((_req, res, n) =>
      n === 0
        ? json(res, { error_code: "X", message: "busy" }, 503)
        : json(res, chatCompletion("ok")),
    );
    expect((await chatModel(server).invoke("x")).content).toBe("ok");
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    server.setHandler((_req, res) =>
      json(res, { error_code: "INVALID_PARAMETER_VALUE", message: "bad" }, 400),
    );
    await expect(chatModel(server).invoke("x")).rejects.toBeInstanceOf(DatabricksBadRequestError);
    expect(server.requests).toHaveLength(1);
  });

  it("per-call maxRetries overrides the instance's", async () => {
    server.setHandler((_req, res) => json(res, { message: "busy" }, 503));
    await expect(
      chatModel(server, { maxRetries: 3 }).invoke("x", { maxRetries: 0 }),
    ).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
  });

  it("an already-aborted signal rejects without a request", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      chatModel(server).invoke("x", { signal: controller.signal }),
    ).rejects.toBeInstanceOf(DatabricksAbortError);
    expect(server.requests).toHaveLength(0);
  });

  it("aborting in flight rejects promptly and closes the request", async () => {
    server.setHandler(async (_req, res) => {
      await sleep(2000);
      if (!res.destroyed) json(res, chatCompletion("late"));
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await expect(
      chatModel(server).invoke("x", { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(50);
    expect(server.inFlight()).toBe(0);
  });

  it("batch runs every input; maxConcurrency bounds requests in flight", async () => {
    // A fresh server, so the in-flight peak counts only this test's requests.
    const fresh = await startTestServer(async (req, res) => {
      await sleep(30);
      const messages = req.body["messages"] as { content: string }[];
      json(res, chatCompletion(`echo ${messages[0]?.content}`));
    });
    try {
      const model = chatModel(fresh, { maxConcurrency: 2 });
      const inputs = ["a", "b", "c", "d", "e", "f"];
      const out = await model.batch(inputs);
      expect(out.map((m) => m.content)).toEqual(inputs.map((i) => `echo ${i}`));
      expect(fresh.requests).toHaveLength(6);
      expect(fresh.maxInFlight()).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it("multi-turn conversations round-trip", async () => {
    const model = chatModel(server);
    const first = await model.invoke([new HumanMessage("hi")]);
    await model.invoke([new HumanMessage("hi"), first, new HumanMessage("again")]);
    expect(server.bodies()[1]?.["messages"]).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "again" },
    ]);
  });
});

describe("ChatDatabricks: LangSmith params", () => {
  it("getLsParams reports provider, model and sampling options (call options win)", () => {
    const model = chatModel(server, { temperature: 0, maxTokens: 100, stop: [] });
    expect(model.getLsParams({} as never)).toEqual({
      ls_provider: "databricks",
      ls_model_name: "my-endpoint",
      ls_model_type: "chat",
      ls_temperature: 0,
      ls_max_tokens: 100,
      ls_stop: [],
    });
    expect(model.getLsParams({ temperature: 1, maxTokens: 5, stop: ["x"] } as never)).toMatchObject(
      { ls_temperature: 1, ls_max_tokens: 5, ls_stop: ["x"] },
    );
  });
});
