/** LangChain's `createAgent` on `useResponsesApi: true`: a tool call, then a structured answer. */
import { createAgent, tool } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { chatModel, json, useTestServer } from "./helpers.js";
import { functionCallItem, messageItem, rawSse, response } from "./responses_helpers.js";

const ANSWER = '{"city":"Paris","temp":18}';

/**
 * First call: the model asks for the tool; second call: the final answer, as JSON text (provider
 * strategy, `text.format`) or as a call of the response-format tool (tool strategy).
 */
const server = useTestServer(() => (request, res, n) => {
  const tools = (request.body["tools"] ?? []) as { name: string }[];
  const formatTool = tools.find((t) => t.name !== "get_weather")?.name;
  const output =
    n % 2 === 0
      ? [functionCallItem("call_1", "get_weather", { city: "Paris" })]
      : formatTool !== undefined
        ? [functionCallItem("call_2", formatTool, JSON.parse(ANSWER))]
        : [messageItem(ANSWER, "msg_2")];
  if (request.body["stream"] !== true) return json(res, response(output));
  return rawSse(res, [
    ...output.map((item, i) => ({ type: "response.output_item.done", output_index: i, item })),
    { type: "response.completed", response: response(output) },
  ]);
});

const getWeather = tool(({ city }: { city: string }) => `{"city":"${city}","temp":18}`, {
  name: "get_weather",
  description: "Current weather in a city",
  schema: z.object({ city: z.string() }),
});

const Weather = z.object({ city: z.string(), temp: z.number() });

describe("createAgent with useResponsesApi", () => {
  for (const streaming of [false, true]) {
    it(`runs the tool and finishes with the structured response (streaming: ${streaming})`, async () => {
      const agent = createAgent({
        model: chatModel(server, { model: "databricks-gpt-5", useResponsesApi: true, streaming }),
        tools: [getWeather],
        responseFormat: Weather,
      });
      const result = await agent.invoke({ messages: [{ role: "user", content: "Paris?" }] });
      expect(result.structuredResponse).toEqual({ city: "Paris", temp: 18 });
      const [first, second] = server.bodies();
      expect(first?.["text"]).toMatchObject({ format: { type: "json_schema" } });
      expect(second?.["input"]).toEqual([
        { role: "user", content: "Paris?" },
        {
          type: "function_call",
          id: "fc_call_1",
          call_id: "call_1",
          name: "get_weather",
          arguments: '{"city":"Paris"}',
        },
        { type: "function_call_output", call_id: "call_1", output: '{"city":"Paris","temp":18}' },
      ]);
    });
  }

  it("finishes with the tool strategy on a model without native structured output", async () => {
    const agent = createAgent({
      model: chatModel(server, { model: "my-responses-agent", useResponsesApi: true }),
      tools: [getWeather],
      responseFormat: Weather,
    });
    const result = await agent.invoke({ messages: [{ role: "user", content: "Paris?" }] });
    expect(result.structuredResponse).toEqual({ city: "Paris", temp: 18 });
    expect(server.bodies()[0]?.["tool_choice"]).toBe("required");
  });
});
