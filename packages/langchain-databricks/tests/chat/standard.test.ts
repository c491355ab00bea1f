/**
 * Port of LangChain's chat-model standard unit suite (`ChatModelUnitTests`, which is not published
 * to npm) plus the applicable integration checks (`ChatModelIntegrationTests`) run against a
 * loopback server. Checks that do not apply are listed with the reason, as `skipTestMessage` does.
 */
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ChatDatabricks } from "../../src/chat_models.js";
import {
  chatCompletion,
  chatModel,
  json,
  sse,
  useTestServer,
  TEST_TOKEN,
  textChunks,
  toolCall,
} from "./helpers.js";

const server = useTestServer(
  () => (req, res) =>
    req.body["stream"]
      ? sse(res, textChunks(["Hello", " there"]))
      : json(res, chatCompletion("Hello there")),
);

/** The suite's constructor arguments, with `stop` for its `stopSequences` and ms for `timeout`. */
const standardArgs = () => ({
  model: "my-endpoint",
  host: server.url,
  token: TEST_TOKEN,
  temperature: 0,
  maxTokens: 100,
  timeout: 60_000,
  stop: [] as string[],
  maxRetries: 2,
});

const weatherTool = tool(async () => "sunny", {
  name: "get_weather",
  description: "Weather",
  schema: z.object({ city: z.string() }),
});

describe("standard unit checks (ChatModelUnitTests)", () => {
  it("testChatModelInit", () => {
    expect(new ChatDatabricks(standardArgs())).toBeDefined();
  });

  it("testChatModelInitApiKey (as `token`, the Databricks credential)", () => {
    expect(new ChatDatabricks({ ...standardArgs(), token: "test" })).toBeDefined();
  });

  it("testChatModelInitStreaming", () => {
    const model = new ChatDatabricks({ ...standardArgs(), streaming: true });
    expect(model.streaming).toBe(true);
  });

  it("testChatModelWithBindTools", () => {
    expect(new ChatDatabricks(standardArgs()).bindTools([weatherTool])).toBeDefined();
  });

  it("testChatModelWithStructuredOutput", () => {
    const model = new ChatDatabricks(standardArgs());
    expect(model.withStructuredOutput).toBeDefined();
    expect(model.withStructuredOutput(z.object({ a: z.string() }))).toBeDefined();
  });

  it("testStandardParams", () => {
    const params = new ChatDatabricks(standardArgs()).getLsParams({} as never);
    expect(Object.keys(params).toSorted()).toEqual(
      [
        "ls_provider",
        "ls_model_name",
        "ls_model_type",
        "ls_temperature",
        "ls_max_tokens",
        "ls_stop",
      ].toSorted(),
    );
    expect(params).toMatchObject({ ls_model_type: "chat", ls_temperature: 0, ls_max_tokens: 100 });
    expect(Array.isArray(params.ls_stop)).toBe(true);
  });

  it("testInvokeThrowsWithAbortedSignal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      new ChatDatabricks(standardArgs()).invoke("hi", { signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });

  it("testStreamReturnsEarlyWithAbortedSignal", async () => {
    const controller = new AbortController();
    controller.abort();
    let count = 0;
    try {
      for await (const _ of await new ChatDatabricks(standardArgs()).stream("hi", {
        signal: controller.signal,
      })) {
        count += 1;
      }
    } catch {
      // Throwing is an accepted outcome of the standard check.
    }
    expect(count).toBe(0);
  });
});

describe("standard integration checks (ChatModelIntegrationTests) on a loopback server", () => {
  it("testInvoke", async () => {
    const out = await chatModel(server).invoke("Hello");
    expect(out.content).toBe("Hello there");
  });

  it("testStream", async () => {
    let text = "";
    let n = 0;
    for await (const c of await chatModel(server).stream("Hello")) {
      text += String(c.content);
      n += 1;
    }
    expect(n).toBeGreaterThan(1);
    expect(text).toBe("Hello there");
  });

  it("testBatch", async () => {
    const out = await chatModel(server).batch(["a", "b"]);
    expect(out.map((m) => m.content)).toEqual(["Hello there", "Hello there"]);
  });

  it("testStreamEvents", async () => {
    const names: string[] = [];
    for await (const e of chatModel(server).streamEvents("Hello", { version: "v2" }))
      names.push(e.event);
    expect(names[0]).toBe("on_chat_model_start");
    expect(names.at(-1)).toBe("on_chat_model_end");
    expect(names).toContain("on_chat_model_stream");
  });

  it("testConversation (multi-turn)", async () => {
    const model = chatModel(server);
    const first = await model.invoke([new HumanMessage("hi")]);
    const second = await model.invoke([
      new HumanMessage("hi"),
      first,
      new HumanMessage("how are you?"),
    ]);
    expect(second.content).toBe("Hello there");
    expect(server.bodies()[1]?.["messages"]).toHaveLength(3);
  });

  it("testUsageMetadata and testUsageMetadataStreaming", async () => {
    const out = await chatModel(server).invoke("x");
    expect(out.usage_metadata).toMatchObject({
      input_tokens: 5,
      output_tokens: 3,
      total_tokens: 8,
    });
    server.setHandler((_req, res) =>
      sse(res, [
        ...textChunks(["a"]),
        { choices: [], usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 } },
      ]),
    );
    let merged: Awaited<ReturnType<ChatDatabricks["invoke"]>> | undefined;
    for await (const c of await chatModel(server).stream("x"))
      merged = merged ? merged.concat(c) : c;
    expect(merged?.usage_metadata).toMatchObject({
      input_tokens: 2,
      output_tokens: 1,
      total_tokens: 3,
    });
  });

  it("testStopSequence", async () => {
    await chatModel(server).invoke("x", { stop: ["Pass"] });
    expect(server.bodies()[0]?.["stop"]).toEqual(["Pass"]);
    const out = await chatModel(server, { stop: ["there"] }).invoke("x");
    expect(out.content).toBe("Hello ");
  });

  it("testToolCalling / testToolCallingWithOpenAIFormat / testParallelToolCalling / testStreamTools", async () => {
    server.setHandler((req, res) =>
      req.body["stream"]
        ? sse(res, [
            {
              choices: [
                {
                  index: 0,
                  delta: {
                    tool_calls: [
                      {
                        index: 0,
                        id: "c1",
                        function: { name: "get_weather", arguments: '{"city":"A"}' },
                      },
                    ],
                  },
                },
              ],
            },
            {
              choices: [
                {
                  index: 0,
                  delta: {
                    tool_calls: [
                      {
                        index: 1,
                        id: "c2",
                        function: { name: "get_weather", arguments: '{"city":"B"}' },
                      },
                    ],
                  },
                },
              ],
            },
          ])
        : json(
            res,
            chatCompletion(null, {
              tool_calls: [
                toolCall("c1", "get_weather", { city: "A" }),
                toolCall("c2", "get_weather", { city: "B" }),
              ],
            }),
          ),
    );
    const openAIFormat = {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    };
    for (const bound of [
      chatModel(server).bindTools([weatherTool]),
      chatModel(server).bindTools([openAIFormat]),
    ]) {
      const out = await bound.invoke("weather in A and B");
      expect(out.tool_calls?.map((t) => t.args)).toEqual([{ city: "A" }, { city: "B" }]);
      let merged: Awaited<ReturnType<typeof bound.invoke>> | undefined;
      for await (const c of await bound.stream("weather")) merged = merged ? merged.concat(c) : c;
      expect(merged?.tool_calls?.map((t) => t.id)).toEqual(["c1", "c2"]);
    }
  });

  it("testWithStructuredOutput / testWithStructuredOutputIncludeRaw", async () => {
    server.setHandler((_req, res) =>
      json(res, chatCompletion(null, { tool_calls: [toolCall("c1", "extract", { a: "x" })] })),
    );
    const schema = z.object({ a: z.string() });
    expect(await chatModel(server).withStructuredOutput(schema).invoke("x")).toEqual({ a: "x" });
    const raw = await chatModel(server)
      .withStructuredOutput(schema, { includeRaw: true })
      .invoke("x");
    expect(raw.parsed).toEqual({ a: "x" });
  });
});

/**
 * Standard checks not ported, with the reason (the equivalent of `skipTestMessage`):
 * - testCacheComplexMessageTypes: LangChain's cache is model-agnostic (keyed by the serialised
 *   prompt and `_identifyingParams`), nothing Databricks-specific to test.
 * - testAudioInputs / testFileInputs (standard audio and file content blocks): Databricks chat
 *   endpoints document text and image parts only; such blocks are passed through unchanged.
 * - testModelCanUseToolUseAIMessage with a real model / few-shot quality checks: they measure a
 *   model's behaviour, not the integration; the wire shape is covered in tools.test.ts.
 */
