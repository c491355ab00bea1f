import OpenAI, { APIError, BadRequestError, RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { cosine, emulator } from "./helpers.js";

function client(url: string, token: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/serving-endpoints`, apiKey: token, maxRetries: 0 });
}

describe("OpenAI-compatible routes with the real openai client", () => {
  it("chat.completions.create (non-streaming)", async () => {
    const h = await emulator();
    const res = await client(h.url, h.token).chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]?.message.role).toBe("assistant");
    expect(res.choices[0]?.message.content).toBe("I am fine. Thank you for asking.");
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage?.total_tokens).toBe(
      (res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
    );
  });

  it("chat.completions.create stream with usage", async () => {
    const h = await emulator();
    const stream = await client(h.url, h.token).chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let finish: string | null = null;
    let lastUsage: unknown;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      lastUsage = chunk.usage;
    }
    expect(text).toBe("I am fine. Thank you for asking.");
    expect(chunks).toBeGreaterThan(3);
    expect(finish).toBe("stop");
    expect(lastUsage).toMatchObject({ completion_tokens: 9 });
  });

  it("tools: forced tool call, streamed arguments reassemble to valid JSON", async () => {
    const h = await emulator();
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } },
            required: ["city", "days"],
          },
        },
      },
    ];
    const c = client(h.url, h.token);
    const res = await c.chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools,
      tool_choice: "required",
    });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    const args = JSON.parse(call?.type === "function" ? call.function.arguments : "") as Record<
      string,
      unknown
    >;
    expect(args).toEqual({ city: "Paris", days: 1 });

    const stream = await c.chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      stream: true,
    });
    let streamedArgs = "";
    let argChunks = 0;
    let name = "";
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(tc.index).toBe(0);
        if (tc.function?.name) name = tc.function.name;
        if (tc.function?.arguments) {
          streamedArgs += tc.function.arguments;
          argChunks++;
        }
      }
    }
    expect(name).toBe("get_weather");
    expect(argChunks).toBeGreaterThan(1);
    expect(JSON.parse(streamedArgs)).toEqual(args);
  });

  it("tools: auto calls a mentioned tool, then answers from the tool result", async () => {
    const h = await emulator();
    const c = client(h.url, h.token);
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { location: { type: "string" } } },
        },
      },
    ];
    const unrelated = await c.chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "Tell me a joke" }],
      tools,
    });
    expect(unrelated.choices[0]?.message.tool_calls).toBeUndefined();
    const first = await c.chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "What's the weather like in Berlin?" }],
      tools,
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      location: "Berlin",
    });
    const second = await c.chat.completions.create({
      model: "databricks-llama",
      messages: [
        { role: "user", content: "What's the weather like in Berlin?" },
        {
          role: "assistant",
          content: null,
          tool_calls: first.choices[0]?.message.tool_calls ?? [],
        },
        { role: "tool", tool_call_id: call?.id ?? "", content: "18 degrees and sunny" },
      ],
      tools,
    });
    expect(second.choices[0]?.message.content).toContain("18 degrees and sunny");
  });

  it("response_format json_schema yields JSON with the required properties", async () => {
    const h = await emulator();
    const res = await client(h.url, h.token).chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "Tell me a joke" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "joke",
          schema: {
            type: "object",
            properties: {
              setup: { type: "string" },
              rating: { type: "number", minimum: 1, maximum: 10 },
              tags: { type: "array", items: { type: "string", enum: ["pun", "dad"] } },
              kind: { $ref: "#/$defs/kind" },
            },
            required: ["setup", "rating", "tags", "kind"],
            $defs: { kind: { type: "string", enum: ["short", "long"] } },
          },
        },
      },
    });
    const parsed = JSON.parse(res.choices[0]?.message.content ?? "") as Record<string, unknown>;
    expect(typeof parsed["setup"]).toBe("string");
    expect(parsed["rating"]).toBe(1);
    expect(parsed["tags"]).toEqual(["pun"]);
    expect(parsed["kind"]).toBe("short");
    const obj = await client(h.url, h.token).chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "Hi" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(obj.choices[0]?.message.content ?? "")).toHaveProperty("answer");
  });

  it("embeddings.create (default base64 encoding and float)", async () => {
    const h = await emulator();
    const c = client(h.url, h.token);
    const res = await c.embeddings.create({
      model: "databricks-embeddings",
      input: ["the cat sat on the mat", "a cat sat on a mat", "quarterly revenue report"],
    });
    expect(res.object).toBe("list");
    const [a, b, d] = res.data.map((x) => Array.from(x.embedding));
    expect(a).toHaveLength(256);
    expect(cosine(a ?? [], b ?? [])).toBeGreaterThan(cosine(a ?? [], d ?? []));
    const floats = await c.embeddings.create({
      model: "databricks-embeddings",
      input: "the cat sat on the mat",
      encoding_format: "float",
      dimensions: 32,
    });
    expect(floats.data[0]?.embedding).toHaveLength(32);
    expect(res.usage.prompt_tokens).toBe(res.usage.total_tokens);
  });

  it("completions.create, streaming and not", async () => {
    const h = await emulator();
    const c = client(h.url, h.token);
    const res = await c.completions.create({
      model: "databricks-completions",
      prompt: "How are you?",
      max_tokens: 3,
      temperature: 0,
    });
    expect(res.object).toBe("text_completion");
    expect(res.choices[0]?.text).toBe("I am fine");
    expect(res.choices[0]?.finish_reason).toBe("length");
    const stream = await c.completions.create({
      model: "databricks-completions",
      prompt: "How are you?",
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("I am fine. Thank you for asking.");
  });

  it("errors surface as openai.APIError with status", async () => {
    const h = await emulator();
    const c = client(h.url, h.token);
    const unknown = await c.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(APIError);
    expect((unknown as APIError).status).toBe(404);
    h.setFault("databricks-llama", { failNext: { count: 1, status: 429, retryAfterSeconds: 2 } });
    const limited = await c.chat.completions
      .create({ model: "databricks-llama", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as APIError).headers?.get("retry-after")).toBe("2");
    const bad = await client(h.url, "wrong")
      .chat.completions.create({
        model: "databricks-llama",
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect((bad as APIError).status).toBe(403);
  });

  it("errorMidStream in the openai shape raises APIError while iterating", async () => {
    const h = await emulator({
      faults: { "databricks-llama": { errorMidStream: { afterChunks: 2, shape: "openai" } } },
    });
    const stream = await client(h.url, h.token).chat.completions.create({
      model: "databricks-llama",
      messages: [{ role: "user", content: "How are you?" }],
      stream: true,
    });
    let seen = 0;
    const error = await (async () => {
      for await (const _chunk of stream) seen++;
    })().catch((e: unknown) => e);
    expect(seen).toBe(2);
    expect(error).toBeInstanceOf(APIError);
  });
});

/** The reasoning parts the openai client passes through untyped (modern-serving.md §1.2–§1.3). */
type ReasoningPart = {
  type: string;
  text?: string;
  summary?: { type: string; text: string; signature?: string }[];
};

function partsOf(content: unknown): ReasoningPart[] {
  return Array.isArray(content) ? (content as ReasoningPart[]) : [];
}

describe("reasoning endpoints with the real openai client", () => {
  // `thinking` is a Databricks body field the SDK does not type; it is sent as given.
  const thinking = { thinking: { type: "enabled", budget_tokens: 1024 } };

  it("Claude-like: content arrives as reasoning and text parts, signature kept", async () => {
    const h = await emulator();
    const params = {
      model: "databricks-claude-sonnet-4-5",
      messages: [{ role: "user" as const, content: "How are you?" }],
      temperature: 0,
      max_tokens: 2048,
      ...thinking,
    };
    const res = await client(h.url, h.token).chat.completions.create(params);
    expect(res.id).toMatch(/^msg_bdrk_01/);
    expect(res.model).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    const parts = partsOf(res.choices[0]?.message.content);
    const reasoning = parts.find((p) => p.type === "reasoning")?.summary?.[0];
    expect(reasoning?.text).toBe(
      'The user asks: "How are you?". I should answer briefly and plainly.',
    );
    expect(reasoning?.signature).toMatch(/^Er/);
    expect(parts.find((p) => p.type === "text")?.text).toBe("I am fine. Thank you for asking.");
  });

  it("Claude-like stream: reasoning, signature and text reassemble from array and string deltas", async () => {
    const h = await emulator();
    const params = {
      model: "databricks-claude-sonnet-4-5",
      messages: [{ role: "user" as const, content: "How are you?" }],
      temperature: 0,
      stream: true as const,
      ...thinking,
    };
    const stream = await client(h.url, h.token).chat.completions.create(params);
    let reasoning = "";
    let signature = "";
    let text = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      const content: unknown = chunk.choices[0]?.delta.content;
      if (typeof content === "string") text += content;
      for (const part of partsOf(content)) {
        if (part.type === "text") text += part.text ?? "";
        for (const s of part.summary ?? []) {
          reasoning += s.text;
          signature += s.signature ?? "";
        }
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(reasoning).toBe('The user asks: "How are you?". I should answer briefly and plainly.');
    expect(signature).toMatch(/^Er/);
    expect(text).toBe("I am fine. Thank you for asking.");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 27 });
  });

  it("gpt-oss-like: reasoning_effort accepted; parts without signature, plain and streamed", async () => {
    const h = await emulator();
    const c = client(h.url, h.token);
    const base = {
      model: "databricks-gpt-oss-120b",
      messages: [{ role: "user" as const, content: "How are you?" }],
      temperature: 0,
      reasoning_effort: "low" as const,
    };
    const res = await c.chat.completions.create(base);
    const parts = partsOf(res.choices[0]?.message.content);
    expect(parts).toEqual([
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: 'The user asks: "How are you?".' }],
      },
      { type: "text", text: "I am fine. Thank you for asking." },
    ]);
    const stream = await c.chat.completions.create({ ...base, stream: true });
    let reasoning = "";
    let text = "";
    for await (const chunk of stream) {
      const content: unknown = chunk.choices[0]?.delta.content;
      if (typeof content === "string") text += content;
      for (const part of partsOf(content)) {
        if (part.type === "text") text += part.text ?? "";
        reasoning += (part.summary ?? []).map((s) => s.text).join("");
        expect(part.summary?.every((s) => s.signature === undefined) ?? true).toBe(true);
      }
    }
    expect(reasoning).toBe('The user asks: "How are you?".');
    expect(text).toBe("I am fine. Thank you for asking.");
  });

  it("a Claude quirk surfaces as openai.BadRequestError (400)", async () => {
    const h = await emulator();
    const error = await client(h.url, h.token)
      .chat.completions.create({
        model: "databricks-claude-sonnet-4-5",
        messages: [{ role: "user", content: "How are you?" }],
        reasoning_effort: "high",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    // The exact body is checked over raw HTTP (reasoning_endpoints.test.ts); the client only
    // classifies the status, since a Databricks body has no OpenAI `error` key.
    expect(error).toBeInstanceOf(BadRequestError);
  });
});
