import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DatabricksConfigError } from "../../src/errors.js";
import { chatCompletion, chatModel, json, useTestServer, toolCall } from "./helpers.js";

const server = useTestServer(
  () => (_req, res) =>
    json(
      res,
      chatCompletion(null, {
        finish_reason: "tool_calls",
        tool_calls: [toolCall("call_1", "get_weather", { city: "Paris" })],
      }),
    ),
);

const weatherTool = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "Weather for a city",
  schema: z.object({ city: z.string().describe("City name") }),
});

const weatherFunction = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "City name" } },
      required: ["city"],
    },
  },
};

describe("ChatDatabricks tool calling", () => {
  it("binds LangChain tools as OpenAI function tools and parses the tool call", async () => {
    const out = await chatModel(server).bindTools([weatherTool]).invoke("weather in Paris?");
    const body = server.bodies()[0] ?? {};
    const tools = body["tools"] as {
      type: string;
      function: { name: string; parameters: unknown };
    }[];
    expect(tools).toHaveLength(1);
    expect(tools[0]?.type).toBe("function");
    expect(tools[0]?.function.name).toBe("get_weather");
    expect(tools[0]?.function.parameters).toMatchObject({
      type: "object",
      properties: { city: { type: "string" } },
    });
    expect(body).not.toHaveProperty("tool_choice");
    expect(out.tool_calls).toEqual([
      { id: "call_1", name: "get_weather", args: { city: "Paris" }, type: "tool_call" },
    ]);
  });

  it("accepts OpenAI-format tools, {name, schema} tools (zod and JSON schema) and RunnableToolLike", async () => {
    const runnableTool = RunnableLambda.from(async (input: { city: string }) => input.city).asTool({
      name: "runnable_tool",
      description: "A runnable as a tool",
      schema: z.object({ city: z.string() }),
    });
    await chatModel(server)
      .bindTools([
        weatherFunction,
        { name: "zod_tool", description: "z", schema: z.object({ a: z.number() }) },
        {
          name: "json_tool",
          description: "j",
          schema: { type: "object", properties: { b: { type: "string" } } },
        },
        runnableTool,
      ])
      .invoke("x");
    const tools = server.bodies()[0]?.["tools"] as {
      function: { name: string; parameters: unknown };
    }[];
    expect(tools.map((t) => t.function.name)).toEqual([
      "get_weather",
      "zod_tool",
      "json_tool",
      "runnable_tool",
    ]);
    expect(tools[0]).toEqual(weatherFunction);
    expect(tools[1]?.function.parameters).toMatchObject({ properties: { a: { type: "number" } } });
  });

  it("maps tool_choice: any → required, a tool name → {type: function}", async () => {
    const model = chatModel(server);
    await model.bindTools([weatherTool], { tool_choice: "any" }).invoke("x");
    await model.bindTools([weatherTool], { tool_choice: "get_weather" }).invoke("x");
    await model.bindTools([weatherTool], { tool_choice: "auto" }).invoke("x");
    await model.bindTools([weatherTool], { tool_choice: "none" }).invoke("x");
    await model.bindTools([weatherTool], { tool_choice: "required" }).invoke("x");
    expect(server.bodies().map((b) => b["tool_choice"])).toEqual([
      "required",
      { type: "function", function: { name: "get_weather" } },
      "auto",
      "none",
      "required",
    ]);
  });

  it("an unknown tool name in tool_choice fails at bind time with the known names", () => {
    expect(() => chatModel(server).bindTools([weatherTool], { tool_choice: "get_wether" })).toThrow(
      DatabricksConfigError,
    );
    expect(() => chatModel(server).bindTools([weatherTool], { tool_choice: "nope" })).toThrow(
      /Tool choice "nope" was specified, but the only provided tools were \["get_weather"\]/,
    );
    expect(() =>
      chatModel(server).bindTools([weatherTool], {
        tool_choice: { type: "function", function: { name: "nope" } },
      }),
    ).toThrow(DatabricksConfigError);
  });

  it("bindTools keeps config (callbacks, tags) and can be invoked with call options", async () => {
    const starts: string[] = [];
    const bound = chatModel(server)
      .bindTools([weatherTool])
      .withConfig({
        tags: ["t1"],
        callbacks: [{ handleChatModelStart: () => void starts.push("start") }],
      });
    await bound.invoke("x", { temperature: 0.3 } as never);
    expect(starts).toEqual(["start"]);
    expect(server.bodies()[0]).toMatchObject({ temperature: 0.3 });
  });

  it("parallel tool calls come back as several tool calls", async () => {
    server.setHandler((_req, res) =>
      json(
        res,
        chatCompletion(null, {
          finish_reason: "tool_calls",
          tool_calls: [
            toolCall("call_1", "get_weather", { city: "Paris" }),
            toolCall("call_2", "get_weather", { city: "Rome" }),
          ],
        }),
      ),
    );
    const out = await chatModel(server).bindTools([weatherTool]).invoke("Paris and Rome?");
    expect(out.tool_calls?.map((c) => c.args["city"])).toEqual(["Paris", "Rome"]);
  });

  it("sends tool-message histories (with the tool result) back in the OpenAI shape", async () => {
    server.setHandler((_req, res) => json(res, chatCompletion("It is sunny in Paris.")));
    const model = chatModel(server).bindTools([weatherTool]);
    const aiCall = new AIMessage({
      content: "",
      tool_calls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
    });
    const result = await weatherTool.invoke({
      id: "call_1",
      name: "get_weather",
      args: { city: "Paris" },
      type: "tool_call",
    });
    expect(result).toBeInstanceOf(ToolMessage);
    const out = await model.invoke([new HumanMessage("weather?"), aiCall, result]);
    expect(out.content).toBe("It is sunny in Paris.");
    const messages = server.bodies()[0]?.["messages"] as Record<string, unknown>[];
    expect(messages[2]).toEqual({
      role: "tool",
      content: "sunny in Paris",
      tool_call_id: "call_1",
      name: "get_weather",
    });
  });

  it("tools can also be passed as a call option", async () => {
    await chatModel(server).invoke("x", { tools: [weatherTool], tool_choice: "get_weather" });
    expect(server.bodies()[0]).toMatchObject({
      tools: [{ type: "function", function: { name: "get_weather" } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
  });
});
