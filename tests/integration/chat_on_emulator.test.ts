/**
 * ChatDatabricks and DatabricksEmbeddings against the package's workspace emulator: its strict
 * Foundation-Model request parser accepts our bodies, and its faults exercise the transport.
 */
import type { AIMessageChunk, UsageMetadata } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ChatDatabricks } from "langchain-databricks";
import {
  startEmulator,
  type BackendRequest,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { DatabricksEmbeddings } from "langchain-databricks";
import { DatabricksAPIError, DatabricksConnectionError } from "langchain-databricks";

let emulator: EmulatorHandle;

/** Calls the first tool when tools are given, answers JSON when a response format is asked. */
function toolBackend(request: BackendRequest) {
  const [first] = request.tools;
  if (first) {
    return {
      choices: [
        { toolCalls: [{ id: "call_1", name: first.name, arguments: { city: "Paris", days: 3 } }] },
      ],
    };
  }
  if (request.responseFormat) return JSON.stringify({ city: "Paris", days: 3 });
  return "plain answer";
}

beforeAll(async () => {
  emulator = await startEmulator({
    endpoints: [
      {
        name: "chat",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
      },
      {
        name: "tools",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "function", fn: toolBackend },
      },
      { name: "embed", task: "llm/v1/embeddings", endpointType: "FOUNDATION_MODEL_API" },
    ],
  });
});
afterAll(async () => emulator.close());
beforeEach(() => {
  emulator.clearFaults();
  emulator.resetStats();
});

const chat = (model = "chat", fields: Record<string, unknown> = {}) =>
  new ChatDatabricks({
    model,
    host: emulator.url,
    token: emulator.token,
    retryBaseDelayMs: 1,
    ...fields,
  });
const requestsTo = (name: string) => emulator.stats().endpoints[name]?.requests ?? 0;

async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk[]> {
  const out: AIMessageChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe("against the emulator", () => {
  it("invoke returns text and usage", async () => {
    const out = await chat().invoke("Tell me about rivers", { maxTokens: 20 });
    expect(typeof out.content).toBe("string");
    expect(String(out.content).length).toBeGreaterThan(0);
    // @langchain/core 1.4 types `usage_metadata` as `never` under exactOptionalPropertyTypes.
    const usage = (out as { usage_metadata?: UsageMetadata | undefined }).usage_metadata;
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it("stream yields several chunks and exactly one usage chunk", async () => {
    const chunks = await collect(
      await chat("chat", { maxTokens: 30 }).stream("Tell me about rivers"),
    );
    expect(chunks.filter((c) => c.content !== "").length).toBeGreaterThan(1);
    expect(chunks.filter((c) => c.usage_metadata)).toHaveLength(1);
  });

  it("retries failures before the first byte (invoke and stream)", async () => {
    emulator.setFault("chat", { failNext: { count: 2, status: 503 } });
    await chat().invoke("hi");
    expect(requestsTo("chat")).toBe(3);
    emulator.resetStats();
    emulator.setFault("chat", { failNext: { count: 1, status: 429, retryAfterSeconds: 0 } });
    await collect(await chat().stream("hi"));
    expect(requestsTo("chat")).toBe(2);
  });

  it("a stream cut after some chunks raises and is not restarted", async () => {
    emulator.setFault("chat", { cutStreamAfterChunks: 2 });
    const error = await collect(
      await chat("chat", { maxTokens: 40 }).stream("Tell me about rivers"),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect(requestsTo("chat")).toBe(1);
  });

  for (const shape of ["databricks", "openai"] as const) {
    it(`an error frame mid-stream (${shape} shape) is a DatabricksAPIError`, async () => {
      emulator.setFault("chat", { errorMidStream: { afterChunks: 1, shape } });
      const error = await collect(await chat("chat", { maxTokens: 40 }).stream("rivers")).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatabricksAPIError);
      expect(requestsTo("chat")).toBe(1);
    });
  }

  it("tool calling and structured output pass the strict FM request parser", async () => {
    const weather = tool(async () => "sunny", {
      name: "get_weather",
      description: "Weather",
      schema: z.object({ city: z.string() }),
    });
    const out = await chat("tools").bindTools([weather], { tool_choice: "any" }).invoke("weather?");
    expect(out.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
    const schema = z.object({ city: z.string(), days: z.number() });
    for (const method of ["functionCalling", "jsonMode", "jsonSchema"] as const) {
      expect(await chat("tools").withStructuredOutput(schema, { method }).invoke("plan")).toEqual({
        city: "Paris",
        days: 3,
      });
    }
    const merged = (
      await collect(await chat("tools").bindTools([weather]).stream("weather?"))
    ).reduce((a, b) => a.concat(b));
    expect(merged.tool_calls?.[0]).toMatchObject({
      name: "get_weather",
      args: { city: "Paris", days: 3 },
    });
  });

  it("embeddings: 45 texts → 3 batched requests, order preserved", async () => {
    const embeddings = new DatabricksEmbeddings({
      endpoint: "embed",
      host: emulator.url,
      token: emulator.token,
      maxConcurrency: 3,
    });
    const texts = Array.from({ length: 45 }, (_, i) => `document ${i}`);
    const all = await embeddings.embedDocuments(texts);
    expect(all).toHaveLength(45);
    expect(requestsTo("embed")).toBe(3);
    expect(await embeddings.embedQuery("document 17")).toEqual(all[17]);
  });
});
