import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEmulatorConfig, type EmulatorHandle, type EndpointConfig } from "../src/index.js";
import { emulator, postJson, sseData } from "./helpers.js";

const CLAUDE = "databricks-claude-sonnet-4-5";
const GPT_OSS = "databricks-gpt-oss-120b";
const CLAUDE_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const THINKING = { type: "enabled", budget_tokens: 1024 };
const HELLO = [{ role: "user", content: "How are you?" }];
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

type Json = Record<string, unknown>;
type Part = { type: string; text?: string; summary?: Json[] };
type Chunk = {
  id: string;
  model: string;
  choices: { delta: Json; finish_reason: string | null }[];
};

function invoke(h: EmulatorHandle, name: string, body: Json): Promise<Response> {
  return postJson(h, `/serving-endpoints/${name}/invocations`, body);
}

async function expectError(res: Response, body: Json): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual(body);
}

/** Claude-like endpoint with the given switches, added to the default workspace. */
async function claudeWith(switches: Partial<EndpointConfig>): Promise<EmulatorHandle> {
  const h = await emulator();
  h.addEndpoint({
    name: "claude-x",
    task: "llm/v1/chat",
    endpointType: "FOUNDATION_MODEL_API",
    family: "claude",
    providerModel: CLAUDE_MODEL,
    ...switches,
  });
  return h;
}

async function streamChunks(res: Response): Promise<{ chunks: Chunk[]; last: string }> {
  expect(res.status).toBe(200);
  const data = sseData(await res.text());
  return {
    chunks: data.slice(0, -1).map((d) => JSON.parse(d) as Chunk),
    last: data[data.length - 1] ?? "",
  };
}

describe("Claude-like endpoint (databricks-claude-sonnet-4-5)", () => {
  it("with thinking: content is [reasoning with signature, text]; Bedrock id and provider model", async () => {
    const h = await emulator();
    const res = await invoke(h, CLAUDE, {
      messages: HELLO,
      max_tokens: 2048,
      thinking: THINKING,
      temperature: 0,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("served-model-name")).toBe(CLAUDE);
    const body = (await res.json()) as {
      id: string;
      model: string;
      choices: { message: { content: Part[] }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(body.id).toMatch(/^msg_bdrk_01[0-9A-Za-z]{22}$/);
    expect(body.model).toBe(CLAUDE_MODEL);
    const content = body.choices[0]?.message.content ?? [];
    expect(content.map((p) => p.type)).toEqual(["reasoning", "text"]);
    const summary = content[0]?.summary?.[0] as { type: string; text: string; signature: string };
    expect(summary.type).toBe("summary_text");
    expect(summary.text).toBe(
      'The user asks: "How are you?". I should answer briefly and plainly.',
    );
    expect(summary.signature).toMatch(/^Er[A-Za-z0-9+/=]{80,}$/);
    expect(content[1]).toEqual({ type: "text", text: "I am fine. Thank you for asking." });
    expect(body.choices[0]?.finish_reason).toBe("stop");
    // Reasoning is billed as output: 9 answer tokens plus the summary's 18.
    expect(body.usage).toEqual({ prompt_tokens: 4, completion_tokens: 27, total_tokens: 31 });
  });

  it("without thinking (or thinking disabled): a plain string, as on any chat endpoint", async () => {
    const h = await emulator();
    for (const extra of [{}, { thinking: { type: "disabled" } }]) {
      const res = await invoke(h, CLAUDE, { messages: HELLO, temperature: 0, ...extra });
      const body = (await res.json()) as { id: string; choices: { message: Json }[] };
      expect(body.id).toMatch(/^msg_bdrk_01/);
      expect(body.choices[0]?.message).toEqual({
        role: "assistant",
        content: "I am fine. Thank you for asking.",
      });
    }
  });

  it("same shapes on /serving-endpoints/chat/completions, with toolu_bdrk_ tool-call ids", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/chat/completions", {
      model: CLAUDE,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      thinking: THINKING,
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: string;
      choices: {
        message: { content: Part[]; tool_calls: { id: string; function: Json }[] };
        finish_reason: string;
      }[];
    };
    expect(body.model).toBe(CLAUDE_MODEL);
    const message = body.choices[0]?.message;
    expect(message?.content.map((p) => p.type)).toEqual(["reasoning"]);
    expect(message?.content[0]?.summary?.[0]?.["text"]).toContain("get_weather");
    expect(message?.tool_calls[0]?.id).toMatch(/^toolu_bdrk_01[0-9A-Za-z]{22}$/);
    expect(message?.tool_calls[0]?.function).toEqual({
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("redactedThinking adds a summary_encrypted_text part after the signed summary", async () => {
    const h = await claudeWith({ redactedThinking: true });
    const res = await invoke(h, "claude-x", { messages: HELLO, thinking: THINKING });
    const body = (await res.json()) as { choices: { message: { content: Part[] } }[] };
    const content = body.choices[0]?.message.content ?? [];
    expect(content.map((p) => [p.type, p.summary?.[0]?.["type"] ?? null])).toEqual([
      ["reasoning", "summary_text"],
      ["reasoning", "summary_encrypted_text"],
      ["text", null],
    ]);
    expect(content[1]?.summary?.[0]?.["data"]).toMatch(/^EmwKAhgB[A-Za-z0-9+/=]+$/);
  });

  it('streams reasoning fragments with signature "", a signature-only fragment, text, finish, usage, [DONE]', async () => {
    const h = await emulator();
    const res = await invoke(h, CLAUDE, {
      messages: HELLO,
      thinking: THINKING,
      temperature: 0,
      stream: true,
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { chunks, last } = await streamChunks(res);
    expect(last).toBe("[DONE]");
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.id).toMatch(/^msg_bdrk_01/);
    expect(chunks.every((c) => c.model === CLAUDE_MODEL)).toBe(true);
    expect(chunks[0]?.choices[0]?.delta["role"]).toBe("assistant");
    let reasoning = "";
    let signatures: string[] = [];
    let text = "";
    const kinds: string[] = [];
    for (const chunk of chunks.slice(0, -1)) {
      const content = chunk.choices[0]?.delta["content"];
      if (typeof content === "string") {
        kinds.push("string");
        text += content;
        continue;
      }
      for (const part of (content ?? []) as Part[]) {
        kinds.push(part.type);
        if (part.type === "text") text += part.text ?? "";
        for (const s of part.summary ?? []) {
          reasoning += String(s["text"]);
          signatures.push(String(s["signature"]));
        }
      }
    }
    signatures = signatures.filter((s) => s !== "");
    expect(reasoning).toBe('The user asks: "How are you?". I should answer briefly and plainly.');
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatch(/^Er/);
    expect(text).toBe("I am fine. Thank you for asking.");
    // Order: reasoning fragments, the signature-only fragment, one text part, then strings.
    const firstText = kinds.indexOf("text");
    expect(kinds.slice(0, firstText).every((k) => k === "reasoning")).toBe(true);
    expect(kinds.slice(firstText + 1).every((k) => k === "string")).toBe(true);
    const signatureChunk = chunks[firstText - 1]?.choices[0]?.delta["content"] as Part[];
    expect(signatureChunk[0]?.summary?.[0]?.["text"]).toBe("");
    const finish = chunks[chunks.length - 2];
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 27, total_tokens: 31 },
    });
  });

  it("streams a redacted part and a tool call after the reasoning", async () => {
    const h = await claudeWith({ redactedThinking: true });
    const res = await invoke(h, "claude-x", {
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      thinking: THINKING,
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
      stream: true,
    });
    const { chunks } = await streamChunks(res);
    const parts = chunks.flatMap(
      (c) =>
        (Array.isArray(c.choices[0]?.delta["content"])
          ? c.choices[0]?.delta["content"]
          : []) as Part[],
    );
    expect(parts.some((p) => p.summary?.[0]?.["type"] === "summary_encrypted_text")).toBe(true);
    const calls = chunks.flatMap(
      (c) => (c.choices[0]?.delta["tool_calls"] ?? []) as { id?: string; function?: Json }[],
    );
    expect(calls.find((c) => c.id !== undefined)?.id).toMatch(/^toolu_bdrk_01/);
    expect(calls.map((c) => c.function?.["arguments"] ?? "").join("")).toBe('{"city":"Paris"}');
    expect(chunks[chunks.length - 2]?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("accepts reasoning parts sent back with their signature (§1.4) and, by default, without", async () => {
    const h = await emulator();
    const first = (await (
      await invoke(h, CLAUDE, { messages: HELLO, thinking: THINKING })
    ).json()) as { choices: { message: Json }[] };
    const assistant = first.choices[0]?.message ?? {};
    const turn = [...HELLO, assistant, { role: "user", content: "And tomorrow?" }];
    const signed = await invoke(h, CLAUDE, { messages: turn, thinking: THINKING });
    expect(signed.status).toBe(200);
    const unsigned = {
      role: "assistant",
      content: [
        { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }] },
        { type: "text", text: "answer" },
      ],
    };
    const res = await invoke(h, CLAUDE, { messages: [...HELLO, unsigned, ...HELLO] });
    expect(res.status).toBe(200);
  });

  it("unsignedReasoning: reject refuses a reasoning part whose signature was dropped", async () => {
    const h = await claudeWith({ unsignedReasoning: "reject" });
    const unsigned = {
      role: "assistant",
      content: [
        { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }] },
        { type: "text", text: "answer" },
      ],
    };
    await expectError(await invoke(h, "claude-x", { messages: [...HELLO, unsigned, ...HELLO] }), {
      error_code: "BAD_REQUEST",
      message: '{"message":"messages.1.content.0.thinking.signature: Field required"}',
    });
  });
});

describe("Claude quirks, exact bodies", () => {
  const call = { id: "toolu_bdrk_01x", type: "function", function: { name: "f", arguments: "{}" } };

  it('Q1: assistant tool_calls next to "", [] or an empty text part', async () => {
    const h = await emulator();
    for (const content of ["", [], [{ type: "text", text: "" }]]) {
      const messages = [
        ...HELLO,
        { role: "assistant", content, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "42" },
      ];
      await expectError(await invoke(h, CLAUDE, { messages }), {
        error_code: "BAD_REQUEST",
        message: '{"message":"messages: text content blocks must be non-empty"}',
      });
    }
    // The documented client fixes pass: a single space, or no content at all.
    for (const content of [" ", null]) {
      const messages = [
        ...HELLO,
        { role: "assistant", content, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "42" },
      ];
      expect((await invoke(h, CLAUDE, { messages })).status).toBe(200);
    }
  });

  it("Q3 reject: strict refused by presence (strict: false too), naming the tool index", async () => {
    const h = await claudeWith({ strictMode: "reject" });
    const strictTool = { ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, strict: false } };
    await expectError(
      await invoke(h, "claude-x", { messages: HELLO, tools: [WEATHER_TOOL, strictTool] }),
      {
        error_code: "BAD_REQUEST",
        message: "tools.1.custom.strict: Extra inputs are not permitted",
      },
    );
  });

  it("Q3 grammar (the default): a few strict tools pass, many exceed the 300MB grammar", async () => {
    const h = await emulator();
    const strictTool = (i: number) => ({
      type: "function",
      function: { ...WEATHER_TOOL.function, name: `tool_${i}`, strict: true },
    });
    const few = await invoke(h, CLAUDE, { messages: HELLO, tools: [strictTool(0)] });
    expect(few.status).toBe(200);
    const many = Array.from({ length: 100 }, (_, i) => strictTool(i));
    const size = (JSON.stringify(WEATHER_TOOL.function.parameters).length * 100 * 0.05).toFixed(1);
    await expectError(await invoke(h, CLAUDE, { messages: HELLO, tools: many }), {
      error_code: "BAD_REQUEST",
      message: `Compiled grammar size (${size}MB) exceeds maximum allowed size (300MB)`,
    });
  });

  it("Q3 ignore: strict accepted whatever the tools", async () => {
    const h = await claudeWith({ strictMode: "ignore" });
    const many = Array.from({ length: 100 }, (_, i) => ({
      type: "function",
      function: { ...WEATHER_TOOL.function, name: `tool_${i}`, strict: true },
    }));
    expect((await invoke(h, "claude-x", { messages: HELLO, tools: many })).status).toBe(200);
  });

  it("Q4: parallel_tool_calls → Extra inputs are not permitted", async () => {
    const h = await emulator();
    await expectError(
      await invoke(h, CLAUDE, {
        messages: HELLO,
        tools: [WEATHER_TOOL],
        parallel_tool_calls: false,
      }),
      { error_code: "BAD_REQUEST", message: "parallel_tool_calls: Extra inputs are not permitted" },
    );
  });

  it("thinking with a forced tool choice → 400 (Claude only calls tools freely while thinking)", async () => {
    const h = await emulator();
    const message = JSON.stringify({
      message: "Thinking may not be enabled when tool_choice forces tool use.",
    });
    for (const toolChoice of [
      "required",
      { type: "function", function: { name: "get_weather" } },
    ]) {
      await expectError(
        await invoke(h, CLAUDE, {
          messages: HELLO,
          thinking: THINKING,
          tools: [WEATHER_TOOL],
          tool_choice: toolChoice,
        }),
        { error_code: "BAD_REQUEST", message },
      );
    }
    const forcedWithoutThinking = await invoke(h, CLAUDE, {
      messages: HELLO,
      tools: [WEATHER_TOOL],
      tool_choice: "required",
    });
    expect(forcedWithoutThinking.status).toBe(200);
  });

  it("Q8: reasoning_effort → 400", async () => {
    const h = await emulator();
    await expectError(await invoke(h, CLAUDE, { messages: HELLO, reasoning_effort: "high" }), {
      error_code: "BAD_REQUEST",
      message: "reasoning_effort: Extra inputs are not permitted",
    });
  });

  it("thinking.budget_tokens must stay below max_tokens", async () => {
    const h = await emulator();
    await expectError(
      await invoke(h, CLAUDE, {
        messages: HELLO,
        max_tokens: 1024,
        thinking: { type: "enabled", budget_tokens: 1024 },
      }),
      {
        error_code: "BAD_REQUEST",
        message: "`max_tokens` must be greater than `thinking.budget_tokens`.",
      },
    );
  });

  it("the other default endpoints keep ignoring these fields", async () => {
    const h = await emulator();
    const res = await invoke(h, "databricks-llama", {
      messages: [...HELLO, { role: "assistant", content: "", tool_calls: [call] }, ...HELLO],
      tools: [{ ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, strict: true } }],
      parallel_tool_calls: false,
      temperature: 0,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; model: string; choices: { message: Json }[] };
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe("databricks-llama");
    expect(typeof body.choices[0]?.message["content"]).toBe("string");
  });
});

describe("gpt-oss-like endpoint (databricks-gpt-oss-120b)", () => {
  it("always reasons: [reasoning without signature, text]; the endpoint name as model", async () => {
    const h = await emulator();
    const res = await invoke(h, GPT_OSS, { messages: HELLO, temperature: 0 });
    const body = (await res.json()) as {
      id: string;
      model: string;
      choices: { message: { content: Part[] } }[];
    };
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe(GPT_OSS);
    expect(body.choices[0]?.message.content).toEqual([
      {
        type: "reasoning",
        summary: [
          {
            type: "summary_text",
            text: 'The user asks: "How are you?". I should answer briefly and plainly.',
          },
        ],
      },
      { type: "text", text: "I am fine. Thank you for asking." },
    ]);
  });

  it("reasoning_effort low / high changes the reasoning; other values are refused", async () => {
    const h = await emulator();
    const summaryOf = async (effort: string) => {
      const res = await invoke(h, GPT_OSS, { messages: HELLO, reasoning_effort: effort });
      const body = (await res.json()) as { choices: { message: { content: Part[] } }[] };
      return body.choices[0]?.message.content[0]?.summary?.[0]?.["text"];
    };
    expect(await summaryOf("low")).toBe('The user asks: "How are you?".');
    expect(await summaryOf("high")).toBe(
      'The user asks: "How are you?". I should answer briefly and plainly. Let me check the answer once more before replying.',
    );
    await expectError(await invoke(h, GPT_OSS, { messages: HELLO, reasoning_effort: "max" }), {
      error_code: "INVALID_PARAMETER_VALUE",
      message: 'reasoning_effort must be one of "low", "medium", "high", got "max".',
    });
  });

  it("streams reasoning deltas without signature, one delta with reasoning and text, then usage", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/chat/completions", {
      model: GPT_OSS,
      messages: HELLO,
      temperature: 0,
      stream: true,
    });
    const { chunks, last } = await streamChunks(res);
    expect(last).toBe("[DONE]");
    const arrays = chunks
      .map((c) => c.choices[0]?.delta["content"])
      .filter((c): c is Part[] => Array.isArray(c));
    const summaries = arrays.flat().flatMap((p) => p.summary ?? []);
    expect(summaries.every((s) => !("signature" in s))).toBe(true);
    expect(summaries.map((s) => s["text"]).join("")).toBe(
      'The user asks: "How are you?". I should answer briefly and plainly.',
    );
    const mixed = arrays.filter((a) => a.length === 2);
    expect(mixed).toHaveLength(1);
    expect(mixed[0]?.map((p) => p.type)).toEqual(["reasoning", "text"]);
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 4 } });
  });
});

describe("family config", () => {
  it("loadEmulatorConfig reads family and switches, and rejects bad values", () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-family-"));
    const good = join(dir, "good.json");
    const endpoint = {
      name: "c",
      task: "llm/v1/chat",
      family: "claude",
      providerModel: "anthropic.claude-x",
      strictMode: "reject",
      redactedThinking: true,
      unsignedReasoning: "reject",
    };
    writeFileSync(good, JSON.stringify({ endpoints: [endpoint] }));
    expect(loadEmulatorConfig(good).endpoints).toEqual([endpoint]);
    for (const [key, value, text] of [
      ["family", "mistral", "family: must be one of claude, gpt-oss, gpt"],
      ["strictMode", "drop", "strictMode: must be one of reject, grammar, ignore"],
      ["redactedThinking", "yes", "redactedThinking: must be a boolean"],
      ["unsignedReasoning", "maybe", "unsignedReasoning: must be accept or reject"],
      ["providerModel", "", "providerModel: must be a non-empty string"],
    ] as const) {
      const bad = join(dir, `${key}.json`);
      writeFileSync(bad, JSON.stringify({ endpoints: [{ name: "c", [key]: value }] }));
      expect(() => loadEmulatorConfig(bad)).toThrow(`endpoints[0].${text}`);
    }
  });
});

describe("Claude prompt caching (Q18)", () => {
  const cached = (ttl?: string) => [
    {
      role: "system",
      content: [
        {
          type: "text",
          text: "You are a weather assistant for travellers in Europe.",
          cache_control: { type: "ephemeral", ...(ttl === undefined ? {} : { ttl }) },
        },
      ],
    },
    { role: "user", content: "How are you?" },
  ];
  const usageOf = async (h: EmulatorHandle, name: string, messages: Json[]) =>
    ((await (await invoke(h, name, { messages })).json()) as Json)["usage"] as Json;

  it("a cache_control breakpoint is written once, then read; prompt_tokens includes it by default", async () => {
    const h = await emulator();
    const first = await usageOf(h, CLAUDE, cached());
    expect(first).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 10,
      cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 0 },
    });
    const second = await usageOf(h, CLAUDE, cached());
    expect(second).toMatchObject({ cache_read_input_tokens: 10, cache_creation_input_tokens: 0 });
    expect(second["prompt_tokens"]).toBe(14);
    expect(second["total_tokens"]).toBe(
      Number(second["prompt_tokens"]) + Number(second["completion_tokens"]),
    );
    // No breakpoint, no cache fields.
    expect(await usageOf(h, CLAUDE, HELLO)).not.toHaveProperty("cache_read_input_tokens");
  });

  it("cacheTokensInPrompt: false takes the cached tokens out of prompt_tokens; ttl 1h", async () => {
    const h = await claudeWith({ cacheTokensInPrompt: false });
    const first = await usageOf(h, "claude-x", cached("1h"));
    expect(first).toMatchObject({
      prompt_tokens: 4,
      cache_creation_input_tokens: 10,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 10 },
    });
    expect(await usageOf(h, "claude-x", cached("1h"))).toMatchObject({
      prompt_tokens: 4,
      cache_read_input_tokens: 10,
    });
  });
});
