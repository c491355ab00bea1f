/**
 * The README's examples, run as written against the emulator (host and token from the
 * environment), so the documentation cannot drift from what the package does.
 */
import type { UsageMetadata } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defaultEmulatorOptions, startEmulator } from "databricks-serving-emulator";
import type { EmulatorHandle } from "databricks-serving-emulator";
import { ChatDatabricks, Databricks, DatabricksEmbeddings } from "langchain-databricks";
import { serveDriverProxyApp } from "langchain-databricks/driver-proxy";

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    endpoints: [
      ...(defaultEmulatorOptions().endpoints ?? []),
      { name: "my-embedder", backend: { type: "hashing-embedder" } },
    ],
    log: () => undefined,
  });
  vi.stubEnv("DATABRICKS_HOST", emulator.url);
  vi.stubEnv("DATABRICKS_TOKEN", emulator.token);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator.close();
});

describe("README: ChatDatabricks", () => {
  let chat: ChatDatabricks;
  beforeAll(() => {
    chat = new ChatDatabricks({ model: "databricks-llama", temperature: 0.2, maxTokens: 256 });
  });

  it("invokes with a system and a human message", async () => {
    const reply = await chat.invoke([
      ["system", "You are terse."],
      ["human", "What is a lakehouse?"],
    ]);
    expect(reply.text).toMatch(/\S/);
    // @langchain/core 1.4 types usage_metadata as `never` under exactOptionalPropertyTypes.
    const usage = reply.usage_metadata as UsageMetadata | undefined;
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams tokens and then one usage chunk", async () => {
    const chunks = [];
    for await (const chunk of await chat.stream("Tell me a story")) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.filter((c) => c.usage_metadata !== undefined)).toHaveLength(1);
  });

  it("binds a tool with tool_choice any", async () => {
    const getWeather = tool(async ({ city }) => `Sunny in ${city}`, {
      name: "get_weather",
      description: "Weather for a city",
      schema: z.object({ city: z.string() }),
    });
    const withTools = chat.bindTools([getWeather], { tool_choice: "any" });
    const reply = await withTools.invoke("Weather in Paris?");
    expect(reply.tool_calls?.[0]).toMatchObject({ name: "get_weather", type: "tool_call" });
    expect(typeof reply.tool_calls?.[0]?.args["city"]).toBe("string");
  });

  it("returns structured output with jsonSchema and with includeRaw", async () => {
    const Trip = z.object({ city: z.string(), days: z.number() });
    const trip = await chat
      .withStructuredOutput(Trip, { method: "jsonSchema" })
      .invoke("3 days in Rome");
    expect(Trip.parse(trip)).toEqual(trip);
    const raw = await chat
      .withStructuredOutput(Trip, { includeRaw: true })
      .invoke("3 days in Rome");
    expect(Trip.parse(raw.parsed)).toEqual(raw.parsed);
    expect(raw.raw).toBeDefined();
  });
});

describe("README: DatabricksEmbeddings", () => {
  it("embeds documents and queries, also from a custom model", async () => {
    const embeddings = new DatabricksEmbeddings({ endpoint: "databricks-embeddings" });
    const vectors = await embeddings.embedDocuments(["first text", "second text"]);
    expect(vectors).toHaveLength(2);
    const query = await embeddings.embedQuery("a question");
    expect(query.length).toBe(vectors[0]?.length);
    const custom = new DatabricksEmbeddings({
      endpoint: "my-embedder",
      inputFormat: "dataframe_records",
      inputColumn: "text",
    });
    expect(await custom.embedDocuments(["a", "b", "c"])).toHaveLength(3);
  });
});

describe("README: emulator and driver proxy app", () => {
  it("the emulator snippet, including a retried fault", async () => {
    const llm = new Databricks({
      host: emulator.url,
      token: emulator.token,
      endpointName: "dolly",
      retryBaseDelayMs: 10,
    });
    expect(await llm.invoke("How are you?")).toBe("I am fine. Thank you for asking.");
    emulator.setFault("dolly", { failNext: { count: 2, status: 503 } });
    expect(await llm.invoke("How are you?")).toBe("I am fine. Thank you for asking.");
    emulator.clearFaults("dolly");
  });

  it("the serveDriverProxyApp snippet", async () => {
    const app = await serveDriverProxyApp({
      model: async (prompt) => `You asked: ${prompt}`,
      port: 0,
      log: () => undefined,
    });
    try {
      const res = await fetch(app.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "How are you?", stop: ["."], temperature: 0.1 }),
      });
      expect(await res.json()).toBe("You asked: How are you?");
    } finally {
      await app.close();
    }
  });
});
