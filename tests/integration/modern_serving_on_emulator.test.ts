/**
 * Today's serving surfaces end to end: ChatDatabricks (and DatabricksEmbeddings) against the
 * emulator's new default endpoints (`databricks-gpt-5`, `databricks-gpt-5-codex`,
 * `responses-agent`, `chat-agent`), the Responses API, agent streams, and the AI Gateway routes.
 * The client and the emulator were written separately from the same reference; these tests are
 * where they have to agree.
 */
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { AIMessageChunk, UsageMetadata } from "@langchain/core/messages";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getWeather, WeatherReport, weatherCalls } from "./weather_fixture.js";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";
import {
  ChatDatabricks,
  DatabricksEmbeddings,
  isDatabricksAuthenticationError,
  isDatabricksResponsesApiOnlyError,
  type ChatDatabricksInput,
} from "langchain-databricks";

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({
    ...(await import("databricks-serving-emulator")).defaultEmulatorOptions(),
    endpoints: [
      ...((await import("databricks-serving-emulator")).defaultEmulatorOptions().endpoints ?? []),
      // The agents' behaviour switches, on endpoints of their own.
      {
        name: "looping-agent",
        task: "agent/v1/responses",
        backend: { type: "ngram" },
        agentCycles: 2,
        traceIdFrame: true,
      },
      {
        name: "tool-running-agent",
        task: "agent/v2/chat",
        backend: { type: "ngram" },
        executedTools: true,
      },
      {
        name: "databricks-gpt-5-long-ids",
        task: "llm/v1/chat",
        endpointType: "FOUNDATION_MODEL_API",
        backend: { type: "ngram" },
        family: "gpt",
        longStreamingIds: true,
        responsesEventLines: true,
      },
    ],
  });
});
afterAll(() => emulator.close());

const chat = (endpoint: string, fields: Partial<ChatDatabricksInput> = {}) =>
  new ChatDatabricks({ host: emulator.url, token: emulator.token, endpoint, ...fields });

/** `usage_metadata` (typed `never` by core 1.4 under `exactOptionalPropertyTypes`). */
const usageOf = (message: BaseMessage) =>
  (message as { usage_metadata?: UsageMetadata }).usage_metadata;

async function streamed(model: ChatDatabricks, input: string | BaseMessage[]) {
  let merged: AIMessageChunk | undefined;
  let chunks = 0;
  for await (const chunk of await model.stream(input)) {
    merged = merged ? merged.concat(chunk) : chunk;
    chunks += 1;
  }
  if (!merged) throw new Error("no chunks");
  return { merged, chunks };
}

async function runAgent(model: ChatDatabricks) {
  weatherCalls.length = 0;
  const agent = createAgent({ model, tools: [getWeather], responseFormat: WeatherReport });
  const result = await agent.invoke(
    { messages: [{ role: "user", content: "What is the weather in Paris?" }] },
    { recursionLimit: 12 },
  );
  expect(weatherCalls).toEqual([{ city: "Paris" }]);
  const report = WeatherReport.parse(result.structuredResponse);
  expect(report).toMatchObject({ city: "Paris", temperatureC: 21 });
  return result;
}

describe("createAgent with a tool and responseFormat on each new default endpoint", () => {
  it("databricks-gpt-5 on chat completions", async () => {
    await runAgent(chat("databricks-gpt-5"));
  });

  it("databricks-gpt-5 on the Responses API, with reasoning items in the answer", async () => {
    const result = await runAgent(chat("databricks-gpt-5", { useResponsesApi: true }));
    const first = result.messages.find((m: BaseMessage) => AIMessage.isInstance(m)) as AIMessage;
    expect(first.contentBlocks.some((b) => b.type === "reasoning")).toBe(true);
  });

  it("databricks-gpt-5-codex on the Responses API (it refuses chat completions)", async () => {
    await runAgent(chat("databricks-gpt-5-codex", { useResponsesApi: true }));
    const error = await chat("databricks-gpt-5-codex")
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(isDatabricksResponsesApiOnlyError(error)).toBe(true);
    expect((error as Error).message).toContain("useResponsesApi: true");
  });

  it("responses-agent (ResponsesAgent) through the Responses API", async () => {
    await runAgent(chat("responses-agent", { useResponsesApi: true }));
  });

  it("chat-agent (ChatAgent) through its invocations", async () => {
    await runAgent(chat("chat-agent"));
  });
});

describe("Responses API: ChatDatabricks and the emulator agree", () => {
  it("invoke and stream give the same answer, with usage from response.completed", async () => {
    const model = chat("databricks-gpt-5", { useResponsesApi: true, reasoningEffort: "low" });
    const answer = await model.invoke("Tell me about Paris");
    const { merged, chunks } = await streamed(model, "Tell me about Paris");
    expect(chunks).toBeGreaterThan(2);
    expect(merged.text).toBe(answer.text);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(usageOf(merged)?.output_tokens).toBe(usageOf(answer)?.output_tokens);
    expect(usageOf(answer)?.output_token_details?.reasoning).toBeGreaterThan(0);
  });

  it("a tool round trip: the client's echoed items pass the emulator's FMAPI id rules", async () => {
    const model = chat("databricks-gpt-5", { useResponsesApi: true }).bindTools([getWeather]);
    const question = new HumanMessage("What is the weather in Paris?");
    const call = await model.invoke([question]);
    expect(call.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
    const result = new ToolMessage({
      content: "It is 21 degrees and sunny in Paris.",
      tool_call_id: call.tool_calls?.[0]?.id ?? "",
    });
    const answer = await model.invoke([question, call, result]);
    expect(answer.text).toContain("21 degrees");
  });

  it("streams with 190-character ids and event: lines, and the next turn sends ids of 64 or less", async () => {
    const model = chat("databricks-gpt-5-long-ids", { useResponsesApi: true });
    const { merged } = await streamed(model, "Tell me about Paris");
    expect(merged.text.length).toBeGreaterThan(0);
    // The streamed output items carry ids over 64 characters (§3.5) and the emulator refuses
    // input ids over 64: the follow-up succeeding shows the client cut the ids it echoed.
    const output = merged.response_metadata["output"] as { type: string; id: string }[];
    expect(output.map((item) => item.type)).toContain("message");
    for (const item of output) expect(item.id.length).toBeGreaterThan(64);
    const next = await model.invoke([
      new HumanMessage("Tell me about Paris"),
      merged,
      new HumanMessage("And Rome?"),
    ]);
    expect(next.text.length).toBeGreaterThan(0);
  });

  it("an agent's multi-cycle stream: server-run tools are not reported, the trace id frame is read", async () => {
    const model = chat("looping-agent", {
      useResponsesApi: true,
      customInputs: { user: "u1" },
      returnTrace: true,
    });
    const answer = await model.invoke("Tell me about Paris");
    const { merged } = await streamed(model, "Tell me about Paris");
    expect(merged.text).toBe(answer.text);
    expect(merged.tool_calls).toEqual([]);
    expect(answer.tool_calls).toEqual([]);
    expect(merged.response_metadata["custom_outputs"]).toEqual({ user: "u1" });
    expect(answer.response_metadata["custom_outputs"]).toEqual({ user: "u1" });
    expect(merged.response_metadata["trace_id"]).toMatch(/^tr-/);
    expect(answer.response_metadata["trace_id"]).toMatch(/^tr-/);
  });
});

describe("ChatAgent: tools the agent ran itself", () => {
  it("are in additional_kwargs.messages, never in tool_calls (invoke and stream)", async () => {
    const model = chat("tool-running-agent");
    const answer = await model.invoke("What is the weather in Paris?");
    const { merged } = await streamed(model, "What is the weather in Paris?");
    expect(answer.tool_calls).toEqual([]);
    expect(merged.tool_calls).toEqual([]);
    expect(merged.text).toBe(answer.text);
    const roles = (messages: unknown) => (messages as { role: string }[]).map((m) => m.role);
    expect(roles(answer.additional_kwargs["messages"])).toContain("tool");
    expect(roles(merged.additional_kwargs["messages"])).toEqual(
      roles(answer.additional_kwargs["messages"]),
    );
  });
});

describe("AI Gateway routes", () => {
  it("chat, Responses and embeddings reach /ai-gateway/mlflow/v1 with the endpoint in model", async () => {
    emulator.resetStats();
    const viaChat = await chat("databricks-llama", { useAiGateway: true }).invoke(
      "Tell me about Paris",
    );
    const viaResponses = await chat("databricks-gpt-5", {
      useAiGateway: true,
      useResponsesApi: true,
    }).invoke("Tell me about Paris");
    const embeddings = new DatabricksEmbeddings({
      host: emulator.url,
      token: emulator.token,
      endpoint: "databricks-embeddings",
      useAiGateway: true,
    });
    const vectors = await embeddings.embedDocuments(["a", "b"]);
    expect(viaChat.text.length).toBeGreaterThan(0);
    expect(viaResponses.text.length).toBeGreaterThan(0);
    expect(vectors).toHaveLength(2);
  });

  it("a bad token on the gateway (400 Invalid Token) is a DatabricksAuthenticationError", async () => {
    const error = await new ChatDatabricks({
      host: emulator.url,
      token: "dapi-wrong-token",
      endpoint: "databricks-llama",
      useAiGateway: true,
    })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(isDatabricksAuthenticationError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, lc_error_code: "MODEL_AUTHENTICATION" });
    expect(JSON.stringify(error)).not.toContain("dapi-wrong-token");
  });

  it("tools bound with strict still work on the gateway (the client never sends strict there)", async () => {
    const model = chat("databricks-gpt-5", { useAiGateway: true }).bindTools([getWeather], {
      strict: true,
    });
    const call = await model.invoke("What is the weather in Paris?");
    expect(call.tool_calls?.[0]?.name).toBe("get_weather");
  });
});
