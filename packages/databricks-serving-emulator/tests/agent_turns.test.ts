/**
 * The `ngram` backend inside an agent loop (`backends/tool_policy.ts`): each needed tool is called
 * once, tool results are used in the answer, and the structured-output tool (LangChain's
 * `toolStrategy`) or `response_format` ends the loop.
 */
import { describe, expect, it } from "vitest";
import {
  createNgramBackend,
  type BackendChoice,
  type BackendMessage,
  type BackendRequest,
  type BackendTool,
} from "../src/index.js";

const WEATHER: BackendTool = {
  name: "get_weather",
  description: "Current weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const TIME: BackendTool = {
  name: "get_local_time",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const REPORT_SCHEMA = {
  type: "object",
  properties: {
    city: { type: "string" },
    temperature: { type: "number" },
    summary: { type: "string" },
  },
  required: ["city", "temperature", "summary"],
};
/** What LangChain's `toolStrategy` sends for a schema without a title or description. */
const EXTRACT: BackendTool = {
  name: "extract-1",
  description: "Tool for extracting structured output from the model's response.",
  parameters: REPORT_SCHEMA,
};
const QUESTION = "What is the weather in Paris?";

function chat(messages: BackendMessage[], extra: Partial<BackendRequest> = {}): BackendRequest {
  return {
    kind: "chat",
    endpoint: "t",
    prompt: messages.findLast((m) => m.role === "user")?.content ?? "",
    messages,
    input: [],
    n: 1,
    stop: [],
    tools: [WEATHER],
    toolChoice: "auto",
    body: {},
    ...extra,
  };
}

async function answer(request: BackendRequest): Promise<BackendChoice> {
  const out = await createNgramBackend({}).generate?.(request);
  if (typeof out !== "object" || Array.isArray(out)) throw new Error("unexpected output");
  const choice = out.choices?.[0];
  if (choice === undefined) throw new Error("no choice");
  return choice;
}

/** The conversation after the model's choice was run as a tool that answered `result`. */
function afterTool(
  messages: BackendMessage[],
  choice: BackendChoice,
  result: string,
): BackendMessage[] {
  const call = choice.toolCalls?.[0];
  if (call === undefined) throw new Error(`expected a tool call, got ${JSON.stringify(choice)}`);
  const id = call.id ?? "call";
  return [
    ...messages,
    { role: "assistant", content: "", toolCalls: [{ ...call, id }] },
    { role: "tool", content: result, toolCallId: id },
  ];
}

const user = (content: string): BackendMessage => ({ role: "user", content });
const argsOf = (choice: BackendChoice): unknown =>
  JSON.parse(String(choice.toolCalls?.[0]?.arguments));

describe("ngram in an agent loop", () => {
  it("auto: calls the mentioned tool once, then answers with its result", async () => {
    const first = await answer(chat([user(QUESTION)]));
    expect(first.toolCalls?.[0]?.name).toBe("get_weather");
    expect(argsOf(first)).toEqual({ city: "Paris" });
    const second = await answer(chat(afterTool([user(QUESTION)], first, "21 degrees, sunny")));
    expect(second.toolCalls).toBeUndefined();
    expect(second.text).toBe("Here is what I found: 21 degrees, sunny");
  });

  it("auto: calls every needed tool in turn, then answers with all the results", async () => {
    const question = "What is the weather and the time in Paris?";
    let messages = [user(question)];
    const called: string[] = [];
    for (const result of ["21 degrees.", "It is noon."]) {
      const choice = await answer(chat(messages, { tools: [WEATHER, TIME] }));
      called.push(choice.toolCalls?.[0]?.name ?? "");
      messages = afterTool(messages, choice, result);
    }
    expect(called).toEqual(["get_weather", "get_local_time"]);
    const last = await answer(chat(messages, { tools: [WEATHER, TIME] }));
    expect(last.text).toBe("Here is what I found: 21 degrees. It is noon.");
  });

  it("a new user turn needs the tool again; a result without a tool_call_id still counts", async () => {
    const first = await answer(chat([user(QUESTION)]));
    const turn = afterTool([user(QUESTION)], first, "21 degrees");
    const again = await answer(chat([...turn, user("And the weather in Berlin?")]));
    expect(argsOf(again)).toEqual({ city: "Berlin" });
    const anonymous = turn.map(({ toolCallId: _id, ...m }) => m);
    expect((await answer(chat(anonymous))).text).toContain("21 degrees");
  });

  it("required (toolStrategy): the real tool first, then the structured-output tool", async () => {
    const tools = [WEATHER, EXTRACT];
    const first = await answer(chat([user(QUESTION)], { tools, toolChoice: "required" }));
    expect(first.toolCalls?.[0]?.name).toBe("get_weather");
    const messages = afterTool([user(QUESTION)], first, "It is 21 degrees and sunny in Paris.");
    const second = await answer(chat(messages, { tools, toolChoice: "required" }));
    expect(second.toolCalls?.[0]?.name).toBe("extract-1");
    expect(argsOf(second)).toEqual({
      city: "Paris",
      temperature: 21,
      summary: "Here is what I found: It is 21 degrees and sunny in Paris.",
    });
  });

  it("required: an output tool with an ordinary name is found as the tool not called yet", async () => {
    const report: BackendTool = { name: "WeatherReport", parameters: REPORT_SCHEMA };
    const tools = [WEATHER, TIME, report];
    const first = await answer(chat([user(QUESTION)], { tools, toolChoice: "required" }));
    const messages = afterTool([user(QUESTION)], first, "21 degrees");
    const second = await answer(chat(messages, { tools, toolChoice: "required" }));
    expect(second.toolCalls?.[0]?.name).toBe("WeatherReport");
  });

  it("the output tool answers at once when no other tool is needed", async () => {
    const request = chat([user("Tell me a joke")], { tools: [WEATHER, EXTRACT] });
    expect((await answer(request)).toolCalls?.[0]?.name).toBe("extract-1");
    const plain = await answer(chat([user("Tell me a joke")]));
    expect(plain.toolCalls).toBeUndefined();
    // A titled schema keeps LangChain's default description, which marks it as the output tool.
    const titled = { ...EXTRACT, name: "WeatherReport" };
    const first = await answer(chat([user(QUESTION)], { tools: [WEATHER, titled] }));
    const messages = afterTool([user(QUESTION)], first, "21 degrees");
    const second = await answer(chat(messages, { tools: [WEATHER, titled] }));
    expect(second.toolCalls?.[0]?.name).toBe("WeatherReport");
  });

  it("forced choices stay forced: a named tool or a lone required tool is called again", async () => {
    const first = await answer(chat([user(QUESTION)]));
    const messages = afterTool([user(QUESTION)], first, "21 degrees");
    for (const toolChoice of [{ name: "get_weather" }, "required"] as const) {
      const again = await answer(chat(messages, { toolChoice }));
      expect(again.toolCalls?.[0]?.name).toBe("get_weather");
    }
  });

  it("response_format after the tools: JSON built from the results (JSON fields first)", async () => {
    const responseFormat = { type: "json_schema", schema: REPORT_SCHEMA } as const;
    const first = await answer(chat([user(QUESTION)], { responseFormat }));
    expect(first.toolCalls?.[0]?.name).toBe("get_weather");
    const result = JSON.stringify({ temperature: 18.5, summary: "Mild and cloudy" });
    const messages = afterTool([user(QUESTION)], first, result);
    const second = await answer(chat(messages, { responseFormat }));
    expect(JSON.parse(second.text ?? "")).toEqual({
      city: "Paris",
      temperature: 18.5,
      summary: "Mild and cloudy",
    });
    const object = await answer(chat(messages, { responseFormat: { type: "json_object" } }));
    expect(JSON.parse(object.text ?? "")).toEqual({ answer: `Here is what I found: ${result}` });
  });

  it("a number from a result is used only where the schema allows it", async () => {
    const schema = {
      type: "object",
      properties: { temperature: { type: "integer", maximum: 10 }, score: { type: "number" } },
    };
    const first = await answer(chat([user(QUESTION)]));
    const messages = afterTool([user(QUESTION)], first, "It is 21.5 degrees.");
    const out = await answer(chat(messages, { responseFormat: { type: "json_schema", schema } }));
    expect(JSON.parse(out.text ?? "")).toEqual({ temperature: 1, score: 21.5 });
  });
});
