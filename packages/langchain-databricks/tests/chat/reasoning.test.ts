/**
 * Reasoning models on chat completions (modern-serving §1.2–§1.4): reasoning out (invoke and
 * stream), reasoning sent back in a tool loop, the `thinking` and `reasoningEffort` options, and
 * the `Databricks` LLM reading only the answer text. Wire shapes are the recorded ones.
 */
import {
  AIMessage as OldestAIMessage,
  AIMessageChunk as OldestAIMessageChunk,
} from "@langchain/core-oldest/messages";
import {
  AIMessageChunk,
  HumanMessage,
  ToolMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { DatabricksConfigError } from "../../src/errors.js";
import { DatabricksEmbeddings } from "../../src/embeddings.js";
import { Databricks } from "../../src/llms.js";
import { toLangChainContent } from "../../src/utils/chat_outputs.js";
import { toWireMessage } from "../../src/utils/messages.js";
import {
  reasoningBlocksOf,
  StreamBlockIndexer,
  toWireReasoningPart,
  wireText,
} from "../../src/utils/reasoning.js";
import {
  chatCompletion,
  chatModel,
  chunk,
  json,
  sse,
  TEST_TOKEN,
  useTestServer,
} from "./helpers.js";

/** §1.2: the captured Claude 3.7 answer with thinking and a tool call. */
const CLAUDE_ANSWER = {
  id: "msg_bdrk_01LYsYW3RFFdEPVAUedC8u9Z",
  object: "chat.completion",
  created: 1747060157,
  model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  choices: [
    {
      index: 0,
      finish_reason: "tool_calls",
      logprobs: null,
      message: {
        role: "assistant",
        refusal: null,
        annotations: null,
        audio: null,
        function_call: null,
        content: [
          {
            type: "reasoning",
            summary: [
              { type: "summary_text", text: "The user wants …", signature: "ErcBCkgIAxAB…" },
            ],
          },
          { type: "text", text: "I'll get the current weather for Tokyo." },
        ],
        tool_calls: [
          {
            id: "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Tokyo"}' },
          },
        ],
      },
    },
  ],
  usage: {
    prompt_tokens: 703,
    completion_tokens: 231,
    total_tokens: 934,
    completion_tokens_details: null,
    prompt_tokens_details: null,
  },
  service_tier: null,
  system_fingerprint: null,
};

/** §1.4: the assistant turn goose sends back (thinking with signature, redacted thinking, text). */
const REPLAYED_TURN = {
  role: "assistant",
  content: [
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "<thinking>", signature: "<sig>" }],
    },
    { type: "reasoning", summary: [{ type: "summary_encrypted_text", data: "<redacted blob>" }] },
    { type: "text", text: "answer" },
  ],
  tool_calls: [
    {
      id: "toolu_bdrk_…",
      type: "function",
      function: { name: "get_weather", arguments: '{"location":"Tokyo"}' },
    },
  ],
};

/** A streamed reasoning part as §1.3 shows it (`signature: ""` on text pieces). */
function thought(text: string, signature = ""): Record<string, unknown> {
  return { type: "reasoning", summary: [{ type: "summary_text", text, signature }] };
}

/**
 * The §1.4 turn streamed with awkward cuts: the thinking split over deltas, the signature in two
 * signature-only fragments, redacted data next to the first text, a string delta, the tool call
 * beside array content and then beside `null`, an empty delta, and a final `choices: []` usage chunk.
 */
const REPLAYED_TURN_STREAM: unknown[] = [
  chunk({ role: "assistant", content: [thought("<thin")] }),
  chunk({ content: [thought("king")] }),
  chunk({ content: [thought(">")] }),
  chunk({ content: [thought("", "<s")] }),
  chunk({ content: [thought("", "ig>")] }),
  chunk({
    content: [
      { type: "reasoning", summary: [{ type: "summary_encrypted_text", data: "<redacted blob>" }] },
      { type: "text", text: "ans" },
    ],
  }),
  chunk({ content: "wer" }),
  chunk({
    content: [{ type: "text", text: "" }],
    tool_calls: [
      {
        index: 0,
        id: "toolu_bdrk_…",
        type: "function",
        function: { name: "get_weather", arguments: '{"loca' },
      },
    ],
  }),
  chunk({ content: null, tool_calls: [{ index: 0, function: { arguments: 'tion":"Tokyo"}' } }] }),
  chunk({}, { finish_reason: "tool_calls" }),
  {
    id: "chatcmpl-s",
    object: "chat.completion.chunk",
    choices: [],
    usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
  },
];

const server = useTestServer(() => (_req, res) => json(res, CLAUDE_ANSWER));

async function aggregate(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk> {
  let merged: AIMessageChunk | undefined;
  for await (const c of stream) merged = merged ? merged.concat(c) : c;
  if (!merged) throw new Error("no chunks");
  return merged;
}

/** Content blocks without the streaming `index`, to compare a streamed and an invoked answer. */
function blocksOf(message: BaseMessage): Record<string, unknown>[] {
  return message.contentBlocks.map((block) => {
    const { index: _index, ...rest } = block as Record<string, unknown>;
    return rest;
  });
}

function toolResult(): ToolMessage {
  return new ToolMessage({ content: '{"temp":18}', tool_call_id: "toolu_bdrk_…" });
}

describe("reasoning converters", () => {
  it("turn each summary entry into a standard reasoning block, keeping signature and data", () => {
    expect(
      reasoningBlocksOf({
        type: "reasoning",
        summary: [
          { type: "summary_text", text: "a", signature: "S" },
          { type: "summary_encrypted_text", data: "D" },
          { type: "summary_text", text: "b", signature: "" },
          "junk",
        ],
      }),
    ).toEqual([
      { type: "reasoning", reasoning: "a", signature: "S" },
      { type: "reasoning", reasoning: "", encrypted_data: "D" },
      { type: "reasoning", reasoning: "b" },
    ]);
    expect(reasoningBlocksOf({ type: "reasoning" })).toEqual([]);
  });

  it("send blocks back as the wire parts they came from", () => {
    for (const part of REPLAYED_TURN.content.slice(0, 2)) {
      const [block] = reasoningBlocksOf(part);
      expect(toWireReasoningPart({ ...block, index: 3 })).toEqual(part);
    }
    // A block already in the wire shape is sent as is (without a streaming index).
    const raw = { type: "reasoning", summary: [{ type: "summary_text", text: "x" }], index: 1 };
    expect(toWireReasoningPart(raw)).toEqual({
      type: "reasoning",
      summary: [{ type: "summary_text", text: "x" }],
    });
  });

  it("read wire content as answer text only", () => {
    expect(wireText("plain")).toBe("plain");
    expect(wireText(null)).toBe("");
    expect(wireText(undefined)).toBe("");
    expect(wireText(REPLAYED_TURN.content)).toBe("answer");
    expect(wireText(["a", { type: "text", text: "b" }, { type: "image_url" }])).toBe("ab");
  });

  it("keep text and image parts of a list, translating reasoning parts", () => {
    const image = { type: "image_url", image_url: { url: "data:image/png;base64,AA" } };
    expect(toLangChainContent([thought("t", "S"), { type: "text", text: "x" }, image])).toEqual([
      { type: "reasoning", reasoning: "t", signature: "S" },
      { type: "text", text: "x" },
      image,
    ]);
  });

  it("index streamed pieces so that concat rebuilds each block", () => {
    const indexer = new StreamBlockIndexer();
    expect(indexer.reasoning(thought("a"))).toEqual([
      { type: "reasoning", reasoning: "a", index: 0 },
    ]);
    expect(indexer.reasoning(thought("", "S1"))[0]?.index).toBe(0);
    // A second signature fragment still belongs to the signed block.
    expect(indexer.reasoning(thought("", "S2"))[0]?.index).toBe(0);
    // New thinking after a signature is a new block.
    expect(indexer.reasoning(thought("b"))[0]?.index).toBe(1);
    expect(indexer.text("x")).toEqual({ type: "text", text: "x", index: 2 });
    expect(indexer.text("y")["index"]).toBe(2);
    expect(indexer.other({ type: "image_url" })["index"]).toBe(3);
    expect(indexer.reasoning(thought("c"))[0]?.index).toBe(4);
    expect(indexer.text("z")["index"]).toBe(5);
  });
});

describe("ChatDatabricks reasoning out", () => {
  it("invoke: answer in text, reasoning blocks with the signature, tool calls kept", async () => {
    const out = await chatModel(server).invoke("Weather in Tokyo?");
    expect(out.text).toBe("I'll get the current weather for Tokyo.");
    expect(out.contentBlocks).toEqual([
      { type: "reasoning", reasoning: "The user wants …", signature: "ErcBCkgIAxAB…" },
      { type: "text", text: "I'll get the current weather for Tokyo." },
      {
        type: "tool_call",
        id: "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
        name: "get_weather",
        args: { location: "Tokyo" },
      },
    ]);
    expect(out.tool_calls).toEqual([
      {
        id: "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
        name: "get_weather",
        args: { location: "Tokyo" },
        type: "tool_call",
      },
    ]);
    expect(out.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("gpt-oss answers (no signature) and redacted thinking never show as text", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion(REPLAYED_TURN.content)));
    const out = await chatModel(server).invoke("hi");
    expect(out.text).toBe("answer");
    expect(JSON.stringify(out.text)).not.toContain("redacted");
    const reasoning = out.contentBlocks.filter((b) => b.type === "reasoning");
    expect(reasoning).toEqual([
      { type: "reasoning", reasoning: "<thinking>", signature: "<sig>" },
      { type: "reasoning", reasoning: "", encrypted_data: "<redacted blob>" },
    ]);
  });

  it("the stored content also works with @langchain/core 1.0.0 (text, concat)", async () => {
    const out = await chatModel(server).invoke("hi");
    const old = new OldestAIMessage({ content: out.content as never });
    expect(old.text).toBe("I'll get the current weather for Tokyo.");
    expect(old.content).toEqual(out.content);
    const a = new OldestAIMessageChunk({
      content: [{ type: "reasoning", reasoning: "a", index: 0 }] as never,
    });
    const b = new OldestAIMessageChunk({
      content: [{ type: "reasoning", reasoning: "", signature: "S", index: 0 }] as never,
    });
    expect(a.concat(b).content).toEqual([
      { type: "reasoning", reasoning: "a", signature: "S", index: 0 },
    ]);
  });
});

describe("ChatDatabricks reasoning streams", () => {
  it("aggregates an awkwardly cut stream into the non-streamed answer", async () => {
    server.setHandler((_req, res) =>
      json(res, chatCompletion(REPLAYED_TURN.content, { tool_calls: REPLAYED_TURN.tool_calls })),
    );
    const invoked = await chatModel(server).invoke("hi");
    server.setHandler((_req, res) => sse(res, REPLAYED_TURN_STREAM));
    const streamed = await aggregate(await chatModel(server).stream("hi"));
    expect(streamed.text).toBe("answer");
    expect(streamed.text).toBe(invoked.text);
    expect(blocksOf(streamed)).toEqual(blocksOf(invoked));
    expect(streamed.tool_calls).toEqual(invoked.tool_calls);
    expect(streamed.tool_calls?.[0]?.args).toEqual({ location: "Tokyo" });
    expect(streamed.usage_metadata).toMatchObject({
      input_tokens: 20,
      output_tokens: 8,
      total_tokens: 28,
    });
    expect(streamed.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("keeps a tool call that arrives beside a reasoning-only array", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({ role: "assistant", content: [thought("Need the weather.")] }),
        chunk({
          content: [thought("", "SIG")],
          tool_calls: [
            {
              index: 0,
              id: "toolu_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"location":"Paris"}' },
            },
          ],
        }),
        chunk({}, { finish_reason: "tool_calls" }),
      ]),
    );
    const streamed = await aggregate(await chatModel(server).stream("hi"));
    expect(streamed.text).toBe("");
    expect(blocksOf(streamed)).toEqual([
      { type: "reasoning", reasoning: "Need the weather.", signature: "SIG" },
      { type: "tool_call", id: "toolu_1", name: "get_weather", args: { location: "Paris" } },
    ]);
  });

  it("plain string streams stay strings", async () => {
    server.setHandler((_req, res) =>
      sse(res, [chunk({ role: "assistant", content: "Hel" }), chunk({ content: "lo" })]),
    );
    const streamed = await aggregate(await chatModel(server).stream("hi"));
    expect(streamed.content).toBe("Hello");
  });

  it("cuts the answer text at a stop sequence, not the reasoning", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({ content: [thought("STOP is in my thoughts")] }),
        chunk({ content: [{ type: "text", text: "one ST" }] }),
        chunk({ content: "OP two" }),
      ]),
    );
    const streamed = await aggregate(await chatModel(server).stream("hi", { stop: ["STOP"] }));
    expect(streamed.text).toBe("one ");
    expect(blocksOf(streamed)[0]).toEqual({
      type: "reasoning",
      reasoning: "STOP is in my thoughts",
    });
  });
});

describe("ChatDatabricks reasoning in", () => {
  it("a tool loop sends the invoked turn back with its reasoning parts unchanged", async () => {
    const model = chatModel(server, { model: "databricks-claude-3-7-sonnet" });
    const question = new HumanMessage("Weather in Tokyo?");
    const first = await model.invoke([question]);
    server.setHandler((_req, res) => json(res, chatCompletion("It is 18°C.")));
    const tool = new ToolMessage({
      content: '{"temp":18}',
      tool_call_id: "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy",
    });
    const second = await model.invoke([question, first, tool]);
    expect(second.text).toBe("It is 18°C.");
    const { role, content, tool_calls } = CLAUDE_ANSWER.choices[0]!.message;
    expect(server.bodies()[1]?.["messages"]).toEqual([
      { role: "user", content: "Weather in Tokyo?" },
      { role, content, tool_calls },
      { role: "tool", content: '{"temp":18}', tool_call_id: "toolu_bdrk_01LMiseooSF8SyS9cUgheyUy" },
    ]);
  });

  it("an aggregated stream is sent back in the §1.4 wire shape", async () => {
    server.setHandler((_req, res) => sse(res, REPLAYED_TURN_STREAM));
    const streamed = await aggregate(await chatModel(server).stream("hi"));
    expect(toWireMessage(streamed)).toEqual(REPLAYED_TURN);
    server.setHandler((_req, res) => json(res, chatCompletion("done")));
    await chatModel(server).invoke([new HumanMessage("hi"), streamed, toolResult()]);
    expect((server.bodies()[1]?.["messages"] as unknown[])[1]).toEqual(REPLAYED_TURN);
  });

  it("an AIMessage built from the converted content round-trips too", () => {
    const message = new AIMessageChunk({
      content: toLangChainContent(REPLAYED_TURN.content) as never,
      tool_calls: [
        { id: "toolu_bdrk_…", name: "get_weather", args: { location: "Tokyo" }, type: "tool_call" },
      ],
    });
    expect(toWireMessage(message)).toEqual(REPLAYED_TURN);
  });
});

describe("thinking and reasoningEffort", () => {
  it("send thinking as is and reasoningEffort as reasoning_effort, per instance", async () => {
    const thinking = { type: "enabled", budget_tokens: 2048 };
    await chatModel(server, { thinking, maxTokens: 4096 }).invoke("hi");
    await chatModel(server, { model: "databricks-gpt-oss-120b", reasoningEffort: "high" }).invoke(
      "hi",
    );
    const [first, second] = server.bodies();
    expect(first).toMatchObject({ thinking, max_tokens: 4096 });
    expect(first).not.toHaveProperty("reasoning_effort");
    expect(second).toMatchObject({ reasoning_effort: "high" });
    expect(second).not.toHaveProperty("thinking");
  });

  it("a call's options override the instance's, streaming included", async () => {
    const model = chatModel(server, { thinking: { type: "adaptive" }, reasoningEffort: "low" });
    await model.invoke("hi", {
      thinking: { type: "enabled", budget_tokens: 1024 },
      reasoningEffort: "medium",
    });
    server.setHandler((_req, res) => sse(res, [chunk({ content: "x" })]));
    await aggregate(await model.stream("hi", { reasoningEffort: "high" }));
    const [first, second] = server.bodies();
    expect(first).toMatchObject({
      thinking: { type: "enabled", budget_tokens: 1024 },
      reasoning_effort: "medium",
    });
    expect(second).toMatchObject({ thinking: { type: "adaptive" }, reasoning_effort: "high" });
  });

  it("Claude endpoints get reasoningEffort as thinking, never reasoning_effort", async () => {
    const claude = chatModel(server, { model: "databricks-Claude-sonnet-4-5" });
    await claude.invoke("hi", { reasoningEffort: "low" });
    await chatModel(server, {
      model: "databricks-claude-opus-4-1",
      reasoningEffort: "high",
    }).invoke("hi");
    await claude.invoke("hi", {
      reasoningEffort: "high",
      thinking: { type: "enabled", budget_tokens: 9000 },
    });
    const bodies = server.bodies();
    expect(bodies.map((b) => b["thinking"])).toEqual([
      { type: "enabled", budget_tokens: 1024 },
      { type: "enabled", budget_tokens: 4096 },
      { type: "enabled", budget_tokens: 9000 },
    ]);
    for (const body of bodies) expect(body).not.toHaveProperty("reasoning_effort");
  });

  it("an effort Claude has no budget for is refused before any request", async () => {
    expect(() =>
      chatModel(server, { model: "databricks-claude-sonnet-4", reasoningEffort: "max" }),
    ).toThrow(DatabricksConfigError);
    const claude = chatModel(server, { model: "databricks-claude-sonnet-4" });
    await expect(claude.invoke("hi", { reasoningEffort: "minimal" })).rejects.toThrow(
      /reasoningEffort "minimal" has no Claude equivalent/,
    );
    expect(server.requests).toHaveLength(0);
    // With an explicit thinking the effort is not translated, so nothing is refused.
    chatModel(server, {
      model: "databricks-claude-sonnet-4",
      reasoningEffort: "max",
      thinking: { type: "adaptive" },
    });
  });

  it("other classes refuse the options", () => {
    const connection = { host: server.url, token: TEST_TOKEN, endpoint: "e" };
    expect(() => new Databricks({ ...connection, thinking: {} } as never)).toThrow(
      /Databricks does not use `thinking`: it is an option of ChatDatabricks/,
    );
    expect(
      () => new DatabricksEmbeddings({ ...connection, reasoningEffort: "low" } as never),
    ).toThrow(/does not use `reasoningEffort`/);
  });
});

describe("Databricks LLM on a reasoning chat endpoint", () => {
  const llm = () =>
    new Databricks({
      host: server.url,
      token: TEST_TOKEN,
      endpointName: "databricks-claude-3-7-sonnet",
      task: "llm/v1/chat",
    });

  it("invoke returns only the answer text", async () => {
    expect(await llm().invoke("Weather in Tokyo?")).toBe("I'll get the current weather for Tokyo.");
  });

  it("stream yields only the answer text", async () => {
    server.setHandler((_req, res) => sse(res, REPLAYED_TURN_STREAM));
    const pieces: string[] = [];
    for await (const piece of await llm().stream("hi")) pieces.push(piece);
    expect(pieces.join("")).toBe("answer");
  });
});
