/**
 * LangChain v1's `createAgent` with ChatDatabricks against the emulator's default endpoints, as a
 * new user would run it: a tool the question needs plus a `responseFormat`. The agent must finish
 * (a low `recursionLimit` catches a model that keeps calling tools), run the tool exactly once
 * with the arguments the model produced, and return a `structuredResponse` that fits the schema,
 * whichever structured-output strategy `createAgent` picks from `ChatDatabricks.profile`.
 */
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { createAgent, providerStrategy, tool, toolStrategy } from "langchain";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getWeather, WeatherReport, weatherCalls } from "./weather_fixture.js";
import { z } from "zod";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";
import {
  ChatDatabricks,
  isDatabricksBadRequestError,
  type ChatDatabricksInput,
} from "langchain-databricks";

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

/** Small enough that a model calling a tool again and again fails the run. */
const RECURSION_LIMIT = 12;
const LIMIT = { recursionLimit: RECURSION_LIMIT };
const QUESTION = "What is the weather in Paris?";

beforeEach(() => {
  weatherCalls.length = 0;
});

const chatModel = (endpoint: string, fields: Partial<ChatDatabricksInput> = {}) =>
  new ChatDatabricks({ host: emulator.url, token: emulator.token, endpoint, ...fields });

/** The model and tools of an agent; each test adds its `responseFormat` (typed per strategy). */
const agentOn = (endpoint: string, fields: Partial<ChatDatabricksInput> = {}) => ({
  model: chatModel(endpoint, fields),
  tools: [getWeather],
});

/** Claude's extended thinking, with room for the budget in `max_tokens`. */
const THINKING = { thinking: { type: "enabled", budget_tokens: 1024 }, maxTokens: 2048 };

const input = { messages: [{ role: "user", content: QUESTION }] };

const aiMessages = (messages: BaseMessage[]) => messages.filter((m) => AIMessage.isInstance(m));

/**
 * The checks every run shares: one weather call, run with the model's arguments and answered by
 * a tool message; a structured response that satisfies the schema and carries the tool result.
 */
function expectFinishedRun(result: { messages: BaseMessage[]; structuredResponse: unknown }) {
  const calls = aiMessages(result.messages).flatMap((m) => m.tool_calls ?? []);
  const weather = calls.filter((c) => c.name === "get_weather");
  expect(weather).toHaveLength(1);
  expect(weatherCalls).toEqual([weather[0]?.args]);
  expect(weatherCalls).toEqual([{ city: "Paris" }]);
  const answer = result.messages.find(
    (m) => ToolMessage.isInstance(m) && m.tool_call_id === weather[0]?.id,
  );
  expect(answer?.content).toBe("It is 21 degrees and sunny in Paris.");
  const report = WeatherReport.parse(result.structuredResponse);
  expect(report).toMatchObject({ city: "Paris", temperatureC: 21 });
  expect(report.summary).toContain("21 degrees and sunny");
}

/** Tool calls of the run other than the weather tool (the `toolStrategy` tool, if used). */
const otherToolCalls = (messages: BaseMessage[]) =>
  aiMessages(messages)
    .flatMap((m) => m.tool_calls ?? [])
    .filter((c) => c.name !== "get_weather");

describe("createAgent with tools and responseFormat on the emulator", () => {
  it("databricks-llama, default strategy: providerStrategy (profile.structuredOutput)", async () => {
    const agent = createAgent({ ...agentOn("databricks-llama"), responseFormat: WeatherReport });
    const result = await agent.invoke(input, LIMIT);
    expectFinishedRun(result);
    // json_schema answer: the last AI message is the JSON itself, no extra tool call.
    expect(otherToolCalls(result.messages)).toEqual([]);
    expect(JSON.parse(aiMessages(result.messages).at(-1)?.text ?? "")).toEqual(
      result.structuredResponse,
    );
  });

  it("databricks-llama, toolStrategy: the structured-output tool ends the loop", async () => {
    const agent = createAgent({
      ...agentOn("databricks-llama"),
      responseFormat: toolStrategy(WeatherReport),
    });
    const result = await agent.invoke(input, LIMIT);
    expectFinishedRun(result);
    const [extract, ...more] = otherToolCalls(result.messages);
    expect(more).toEqual([]);
    expect(extract?.name).toMatch(/^extract-\d+$/);
    expect(extract?.args).toEqual(result.structuredResponse);
  });

  it("databricks-llama, providerStrategy", async () => {
    const agent = createAgent({
      ...agentOn("databricks-llama"),
      responseFormat: providerStrategy(WeatherReport),
    });
    const result = await agent.invoke(input, LIMIT);
    expectFinishedRun(result);
    expect(otherToolCalls(result.messages)).toEqual([]);
  });

  it("databricks-claude-sonnet-4-5 with thinking: reasoning blocks in every AI turn", async () => {
    // createAgent reads only `profile.structuredOutput`: true, so it sends `response_format`,
    // which Claude with thinking accepts (never the forced tool choice thinking refuses).
    expect(chatModel("databricks-claude-sonnet-4-5", THINKING).profile.structuredOutput).toBe(true);
    const agent = createAgent({
      ...agentOn("databricks-claude-sonnet-4-5", THINKING),
      responseFormat: WeatherReport,
    });
    const result = await agent.invoke(input, LIMIT);
    expectFinishedRun(result);
    expect(otherToolCalls(result.messages)).toEqual([]);
    for (const message of aiMessages(result.messages)) {
      expect(message.contentBlocks.map((b) => b.type)).toContain("reasoning");
    }
  });

  it("databricks-gpt-oss-120b (always reasons)", async () => {
    const agent = createAgent({
      ...agentOn("databricks-gpt-oss-120b"),
      responseFormat: WeatherReport,
    });
    const result = await agent.invoke(input, LIMIT);
    expectFinishedRun(result);
    const [, last] = aiMessages(result.messages);
    expect(last?.contentBlocks.map((b) => b.type)).toEqual(["reasoning", "text"]);
  });

  it('streams (streamMode "values"): the last state has the structured response', async () => {
    const agent = createAgent({
      ...agentOn("databricks-llama"),
      responseFormat: toolStrategy(WeatherReport),
    });
    let last: { messages: BaseMessage[]; structuredResponse?: unknown } | undefined;
    const stream = await agent.stream(input, { ...LIMIT, streamMode: "values" });
    for await (const state of stream) last = state;
    if (last === undefined) throw new Error("no state streamed");
    expectFinishedRun({ messages: last.messages, structuredResponse: last.structuredResponse });
  });

  it.each([
    ["databricks-gpt-oss-120b", {}],
    ["databricks-claude-sonnet-4-5", THINKING],
  ])(
    'streams (streamMode "messages") on %s: model tokens, then the JSON answer',
    async (endpoint, fields) => {
      const agent = createAgent({ ...agentOn(endpoint, fields), responseFormat: WeatherReport });
      const nodes = new Set<string>();
      let text = "";
      const stream = await agent.stream(input, { ...LIMIT, streamMode: "messages" });
      for await (const [chunk, metadata] of stream) {
        nodes.add(String(metadata.langgraph_node));
        if (chunk.getType() === "ai") text += chunk.text;
      }
      expect(nodes).toEqual(new Set(["model_request", "tools"]));
      expect(WeatherReport.parse(JSON.parse(text))).toMatchObject({ city: "Paris" });
      expect(weatherCalls).toEqual([{ city: "Paris" }]);
    },
  );

  it("two tools the question needs are each run once, then the structured-output tool", async () => {
    const localTimes: string[] = [];
    const getLocalTime = tool(
      ({ city }: { city: string }) => {
        localTimes.push(city);
        return `It is 14:05 in ${city}.`;
      },
      {
        name: "get_local_time",
        description: "The local time of a city.",
        schema: z.object({ city: z.string() }),
      },
    );
    const agent = createAgent({
      model: chatModel("databricks-llama"),
      tools: [getWeather, getLocalTime],
      responseFormat: toolStrategy(WeatherReport),
    });
    const question = "What is the weather and the time in Paris?";
    const result = await agent.invoke({ messages: [{ role: "user", content: question }] }, LIMIT);
    expectFinishedRun(result);
    expect(localTimes).toEqual(["Paris"]);
    expect(result.structuredResponse.summary).toContain("It is 14:05 in Paris.");
  });

  it("a question no tool is needed for is answered at once, the tool never runs", async () => {
    const agent = createAgent({ ...agentOn("databricks-llama"), responseFormat: WeatherReport });
    const question = "Tell me a joke";
    const result = await agent.invoke({ messages: [{ role: "user", content: question }] }, LIMIT);
    expect(weatherCalls).toEqual([]);
    expect(result.messages.map((m) => m.getType())).toEqual(["human", "ai"]);
    expect(WeatherReport.safeParse(result.structuredResponse).success).toBe(true);
  });
});

describe("Claude with thinking refuses a forced tool choice (the emulator reproduces it)", () => {
  const claude = () => chatModel("databricks-claude-sonnet-4-5", THINKING);

  it("withStructuredOutput without a method uses response_format and succeeds", async () => {
    const report = await claude()
      .withStructuredOutput(WeatherReport)
      .invoke("Report the weather in Paris: 21 degrees and sunny.");
    expect(WeatherReport.parse(report).city).toBe("Paris");
  });

  it("forcing functionCalling gets the server's refusal as a DatabricksBadRequestError", async () => {
    const error = await claude()
      .withStructuredOutput(WeatherReport, { method: "functionCalling" })
      .invoke("Report the weather in Paris.")
      .catch((e: unknown) => e);
    expect(isDatabricksBadRequestError(error)).toBe(true);
    expect((error as Error).message).toContain("tool_choice forces tool use");
  });

  it("toolStrategy with thinking fails the same way, so the profile steers createAgent away", async () => {
    expect(claude().profile.toolChoice).toBe(false);
    const agent = createAgent({
      ...agentOn("databricks-claude-sonnet-4-5", THINKING),
      responseFormat: toolStrategy(WeatherReport),
    });
    await expect(agent.invoke(input, LIMIT)).rejects.toThrow(/tool_choice forces tool use/);
  });
});
