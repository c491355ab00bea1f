/**
 * The `openai` npm client (v6, written by OpenAI, not us) against the emulator's Responses API,
 * reasoning chat endpoints and AI Gateway routes: if the emulator's shapes drifted from what a
 * real OpenAI-compatible client parses, these break (modern-serving.md §1, §3, §6).
 */
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator(); // the demo workspace, with databricks-gpt-5 and the agents
});
afterAll(async () => {
  await emulator.close();
});

const client = (path = "/serving-endpoints") =>
  new OpenAI({ baseURL: `${emulator.url}${path}`, apiKey: emulator.token, maxRetries: 0 });

const WEATHER_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather of a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};

describe("openai client: responses.create on /serving-endpoints/responses", () => {
  it("plain: output_text, reasoning item, usage", async () => {
    const response = await client().responses.create({
      model: "databricks-gpt-5",
      input: "Tell me about the sea.",
      reasoning: { effort: "low" },
    });
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.output_text).toMatch(/\S/);
    expect(response.output[0]?.type).toBe("reasoning");
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
  });

  it("stream: text deltas reassemble to the completed response's text and usage", async () => {
    const stream = await client().responses.create({
      model: "databricks-gpt-5",
      input: "Tell me about the sea.",
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const text = events
      .flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []))
      .join("");
    const completed = events.at(-1);
    expect(completed?.type).toBe("response.completed");
    if (completed?.type !== "response.completed") throw new Error("no response.completed");
    // `output_text` is the SDK's convenience on non-streamed answers only: read the message item.
    const message = completed.response.output.find((item) => item.type === "message");
    if (message?.type !== "message") throw new Error("no message item");
    expect(message.content[0]?.type === "output_text" && message.content[0].text).toBe(text);
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    expect(events[0]?.type).toBe("response.created");
  });

  it("responses.stream(): the client's accumulator rebuilds the final response from the events", async () => {
    const stream = client().responses.stream({
      model: "databricks-gpt-5",
      input: "What is the weather in Paris?",
      tools: [WEATHER_TOOL],
    });
    let reasoning = "";
    stream.on("response.reasoning_summary_text.delta", (event) => {
      reasoning += event.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    const [summary] = final.output[0]?.type === "reasoning" ? final.output[0].summary : [];
    expect(summary?.text).toBe(reasoning);
    const call = final.output[1];
    expect(call?.type === "function_call" && JSON.parse(call.arguments)).toEqual({ city: "Paris" });
  });

  it("responses.parse with a zod text format", async () => {
    const parsed = await client().responses.parse({
      model: "databricks-gpt-5",
      input: "Describe Ada Lovelace, 36.",
      text: {
        format: zodTextFormat(z.object({ name: z.string(), age: z.number() }), "person"),
      },
    });
    expect(parsed.output_parsed).toEqual({ name: expect.any(String), age: expect.any(Number) });
  });

  it("function tool round trip: function_call → function_call_output → answer", async () => {
    const openai = client();
    const input: OpenAI.Responses.ResponseInput = [
      { role: "user", content: "What is the weather in Paris?" },
    ];
    const first = await openai.responses.create({
      model: "databricks-gpt-5",
      input,
      tools: [WEATHER_TOOL],
    });
    const call = first.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("expected a function_call");
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
    const { status: _status, ...echoed } = call; // FMAPI refuses output-only fields (§3.2)
    input.push(echoed, {
      type: "function_call_output",
      call_id: call.call_id,
      output: JSON.stringify({ temp: 18 }),
    });
    const second = await openai.responses.create({
      model: "databricks-gpt-5",
      input,
      tools: [WEATHER_TOOL],
    });
    expect(second.output_text).toContain('"temp":18');
  });

  it("text.format json_schema gives JSON with the schema's properties", async () => {
    const response = await client().responses.create({
      model: "databricks-gpt-5",
      input: "Describe Ada Lovelace, 36.",
      text: {
        format: {
          type: "json_schema",
          name: "person",
          strict: true,
          schema: {
            type: "object",
            properties: { name: { type: "string" }, age: { type: "integer" } },
            required: ["name", "age"],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed = JSON.parse(response.output_text) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(["age", "name"]);
  });

  it("a ResponsesAgent endpoint answers and streams through the same route", async () => {
    const response = await client().responses.create({
      model: "responses-agent",
      input: "Tell me about the sea.",
    });
    expect(response.output_text).toMatch(/\S/);
    const stream = await client().responses.create({
      model: "responses-agent",
      input: "Tell me about the sea.",
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe("response.output_item.done");
  });
});

describe("openai client: reasoning chat endpoints", () => {
  it("Claude with thinking: reasoning and text parts in message.content", async () => {
    const completion = await client().chat.completions.create({
      model: "databricks-claude-sonnet-4-5",
      messages: [{ role: "user", content: "Tell me about the sea." }],
      max_tokens: 200,
      // @ts-expect-error Databricks' top-level `thinking` is not an OpenAI field.
      thinking: { type: "enabled", budget_tokens: 100 },
    });
    const content = completion.choices[0]?.message.content as unknown as Record<string, unknown>[];
    expect(content.map((p) => p["type"])).toEqual(["reasoning", "text"]);
    expect(content[0]).toMatchObject({
      summary: [{ type: "summary_text", signature: expect.any(String) }],
    });
  });

  it("gpt-oss: reasoning parts without signature", async () => {
    const completion = await client().chat.completions.create({
      model: "databricks-gpt-oss-120b",
      messages: [{ role: "user", content: "Tell me about the sea." }],
      reasoning_effort: "high",
    });
    const content = completion.choices[0]?.message.content as unknown as Record<string, unknown>[];
    expect(content.map((p) => p["type"])).toEqual(["reasoning", "text"]);
    expect(JSON.stringify(content[0])).not.toContain("signature");
  });
});

describe("openai client with baseURL <emulator>/ai-gateway/mlflow/v1", () => {
  it("chat, responses and embeddings", async () => {
    const gateway = client("/ai-gateway/mlflow/v1");
    const chat = await gateway.chat.completions.create({
      model: "system.ai.gpt-5",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.choices[0]?.message.content).toMatch(/\S/);
    const response = await gateway.responses.create({ model: "databricks-gpt-5", input: "hi" });
    expect(response.output_text).toMatch(/\S/);
    const embeddings = await gateway.embeddings.create({
      model: "databricks-embeddings",
      input: ["the lakehouse", "a lakehouse"],
      encoding_format: "float",
    });
    expect(embeddings.data).toHaveLength(2);
    await expect(
      gateway.responses.create({ model: "databricks-gpt-5", input: "hi", store: false }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
