/**
 * The Responses API on `POST /serving-endpoints/responses` for OpenAI-like (`gpt` family)
 * endpoints: request rules, the §3.3 answer, the §3.4 stream and its switches
 * (modern-serving.md §3; docs/PROTOCOL.md §9.23).
 */
import { describe, expect, it } from "vitest";
import type { EmulatorHandle } from "../src/index.js";
import { emulator, postJson, sseData } from "./helpers.js";

type Json = Record<string, unknown>;

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  description: "Current weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** A gpt-like endpoint with `longStreamingIds` on. */
const LONG_IDS_ENDPOINT = {
  name: "gpt-long",
  task: "llm/v1/chat",
  endpointType: "FOUNDATION_MODEL_API",
  family: "gpt",
  longStreamingIds: true,
} as const;

async function responses(h: EmulatorHandle, body: Json): Promise<{ status: number; body: Json }> {
  const res = await postJson(h, "/serving-endpoints/responses", body);
  return { status: res.status, body: (await res.json()) as Json };
}

async function events(h: EmulatorHandle, body: Json): Promise<Json[]> {
  const res = await postJson(h, "/serving-endpoints/responses", { ...body, stream: true });
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const data = sseData(await res.text());
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((d) => JSON.parse(d) as Json);
}

function outputText(response: Json): string {
  const output = response["output"] as Json[];
  const message = output.find((i) => i["type"] === "message");
  return ((message?.["content"] as Json[])[0]?.["text"] as string) ?? "";
}

describe("POST /serving-endpoints/responses (gpt family)", () => {
  it("answers the §3.3 response: reasoning item, then a message; usage with details", async () => {
    const h = await emulator();
    const { status, body } = await responses(h, {
      model: "databricks-gpt-5",
      input: "Tell me about the sea.",
      instructions: "Be brief.",
      metadata: { run: "r1" },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: "response",
      model: "databricks-gpt-5",
      status: "completed",
      error: null,
      incomplete_details: null,
      metadata: { run: "r1" },
    });
    expect(body["id"]).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(typeof body["created_at"]).toBe("number");
    const output = body["output"] as Json[];
    expect(output.map((i) => i["type"])).toEqual(["reasoning", "message"]);
    expect(output[0]).toMatchObject({
      id: expect.stringMatching(/^rs_/),
      summary: [{ type: "summary_text", text: expect.stringContaining("The user asks") }],
      encrypted_content: null,
    });
    expect(output[1]).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", annotations: [], logprobs: null }],
    });
    expect(outputText(body)).not.toBe("");
    const usage = body["usage"] as Json;
    expect(Object.keys(usage).sort()).toEqual([
      "input_tokens",
      "input_tokens_details",
      "output_tokens",
      "output_tokens_details",
      "total_tokens",
    ]);
    expect(usage["input_tokens_details"]).toEqual({ cached_tokens: 0 });
    const reasoning = (usage["output_tokens_details"] as Json)["reasoning_tokens"];
    expect(reasoning).toBeGreaterThan(0);
    expect(usage["total_tokens"]).toBe(
      Number(usage["input_tokens"]) + Number(usage["output_tokens"]),
    );
    for (const item of output) expect(String(item["id"]).length).toBeLessThanOrEqual(64);
  });

  it("reasoning.effort changes the summary; unsupported efforts are refused; encrypted_content on include", async () => {
    const h = await emulator();
    const summary = async (effort: string) =>
      (
        (
          (await responses(h, { model: "databricks-gpt-5", input: "hi", reasoning: { effort } }))
            .body["output"] as Json[]
        )[0]?.["summary"] as Json[]
      )[0]?.["text"] as string;
    expect((await summary("high")).length).toBeGreaterThan((await summary("minimal")).length);
    const bad = await responses(h, {
      model: "databricks-gpt-5",
      input: "hi",
      reasoning: { effort: "max" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error_code: "BAD_REQUEST",
      message:
        "Unsupported value: 'reasoning.effort' does not support \"max\" with this model. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
    });
    const included = await responses(h, {
      model: "databricks-gpt-5",
      input: "hi",
      include: ["reasoning.encrypted_content"],
    });
    expect((included.body["output"] as Json[])[0]?.["encrypted_content"]).toMatch(/^gAAAAA/);
  });

  it("flat tools: a function_call item, then the round trip with function_call_output", async () => {
    const h = await emulator();
    const first = await responses(h, {
      model: "databricks-gpt-5",
      input: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
      parallel_tool_calls: true,
    });
    const call = (first.body["output"] as Json[]).find((i) => i["type"] === "function_call");
    expect(call).toMatchObject({
      id: expect.stringMatching(/^fc_/),
      call_id: expect.stringMatching(/^call_/),
      name: "get_weather",
      status: "completed",
    });
    expect(JSON.parse(String(call?.["arguments"]))).toEqual({ city: "Paris" });
    const second = await responses(h, {
      model: "databricks-gpt-5",
      input: [
        { role: "user", content: "What is the weather in Paris?" },
        {
          type: "function_call",
          id: call?.["id"],
          call_id: call?.["call_id"],
          name: "get_weather",
          arguments: call?.["arguments"],
        },
        { type: "function_call_output", call_id: call?.["call_id"], output: '{"temp":18}' },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(second.status).toBe(200);
    expect(outputText(second.body)).toContain('{"temp":18}');
  });

  it("text.format json_schema: the flat OpenAI form and the nested form both work", async () => {
    const h = await emulator();
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
    };
    for (const format of [
      { type: "json_schema", name: "person", schema, strict: true },
      { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
    ]) {
      const { status, body } = await responses(h, {
        model: "databricks-gpt-5",
        input: "Describe Ada, 36.",
        text: { format },
      });
      expect(status).toBe(200);
      const parsed = JSON.parse(outputText(body)) as Json;
      expect(Object.keys(parsed).sort()).toEqual(["age", "name"]);
    }
  });

  it("max_output_tokens cuts the answer: status incomplete, incomplete_details.reason", async () => {
    const h = await emulator();
    const { body } = await responses(h, {
      model: "databricks-gpt-5",
      input: "Tell me a long story about the sea and the wind.",
      max_output_tokens: 2,
    });
    expect(body["status"]).toBe("incomplete");
    expect(body["incomplete_details"]).toEqual({ reason: "max_output_tokens" });
    expect((body["output"] as Json[]).at(-1)?.["status"]).toBe("incomplete");
  });

  it("Q6: unknown top-level fields (custom_inputs included) are refused with the Go decoder text", async () => {
    const h = await emulator();
    for (const field of ["foo", "custom_inputs", "messages"]) {
      const { status, body } = await responses(h, {
        model: "databricks-gpt-5",
        input: "hi",
        [field]: {},
      });
      expect(status).toBe(400);
      expect(body).toEqual({
        error_code: "BAD_REQUEST",
        message: `json: unknown field "${field}"`,
      });
    }
  });

  it("§3.2/§3.5: input items with status, null fields, long ids or wrong prefixes are refused", async () => {
    const h = await emulator();
    const refuse = async (item: Json, message: string) => {
      const { status, body } = await responses(h, {
        model: "databricks-gpt-5",
        input: [{ role: "user", content: "hi" }, item],
      });
      expect(status).toBe(400);
      expect(body).toEqual({ error_code: "BAD_REQUEST", message });
    };
    const assistant = (extra: Json) => ({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "ok" }],
      ...extra,
    });
    await refuse(assistant({ status: "completed" }), 'input[1]: json: unknown field "status"');
    await refuse(
      { type: "function_call", call_id: "call_1", name: "f", arguments: "{}", namespace: null },
      'input[1]: json: unknown field "namespace"',
    );
    const long = `msg_${"a".repeat(61)}`;
    await refuse(
      assistant({ id: long }),
      "Invalid 'input[1].id': string too long. Expected a string with maximum length 64, but got a string with length 65 instead.",
    );
    await refuse(
      assistant({ id: "item_1" }),
      "Invalid 'input[1].id': 'item_1'. Expected an ID that begins with 'msg'.",
    );
    await refuse(
      { type: "function_call", id: "call_1", call_id: "call_1", name: "f", arguments: "{}" },
      "Invalid 'input[1].id': 'call_1'. Expected an ID that begins with 'fc'.",
    );
    await refuse(
      { type: "function_call", call_id: "call_1", name: "f" },
      "Missing required parameter: 'input[1].arguments'.",
    );
    // Exactly 64 characters, the right prefixes and no output-only fields: accepted.
    const ok = await responses(h, {
      model: "databricks-gpt-5",
      input: [
        { role: "user", content: [{ type: "input_text", text: "hi" }] },
        assistant({ id: `msg_${"a".repeat(60)}` }),
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "t" }] },
        { role: "developer", content: "Be brief." },
        { role: "user", content: "again" },
      ],
    });
    expect(ok.status).toBe(200);
  });

  it("endpoints that are neither gpt nor agents: 400 'not supported'; the model must exist", async () => {
    const h = await emulator();
    for (const model of ["databricks-llama", "databricks-claude-sonnet-4-5", "dolly"]) {
      const { status, body } = await responses(h, { model, input: "hi" });
      expect(status).toBe(400);
      expect(body).toEqual({
        error_code: "BAD_REQUEST",
        message: `Model ${model} is not supported by the Responses API. The Responses API is only compatible with OpenAI pay per token foundation models and external models.`,
      });
    }
    expect((await responses(h, { model: "nope", input: "hi" })).status).toBe(404);
  });

  it("Q15: the codex endpoint answers Responses but refuses chat completions", async () => {
    const h = await emulator();
    expect((await responses(h, { model: "databricks-gpt-5-codex", input: "hi" })).status).toBe(200);
    const message =
      "Model databricks-gpt-5-codex only supports the Responses API. Please use /serving-endpoints/responses instead.";
    for (const [path, body] of [
      ["/serving-endpoints/chat/completions", { model: "databricks-gpt-5-codex" }],
      ["/serving-endpoints/databricks-gpt-5-codex/invocations", {}],
    ] as const) {
      const res = await postJson(h, path, { ...body, messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error_code: "BAD_REQUEST", message });
    }
  });
});

describe("Responses streaming (§3.4)", () => {
  it("full event sequence; increasing sequence numbers; done text equals the deltas", async () => {
    const h = await emulator();
    const list = await events(h, { model: "databricks-gpt-5", input: "Tell me about the sea." });
    const types = list.map((e) => e["type"]);
    expect(types.slice(0, 3)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
    ]);
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.reasoning_summary_text.delta");
    const messageTypes = types.slice(types.lastIndexOf("response.output_item.added"));
    expect([...new Set(messageTypes)]).toEqual([
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(list.map((e) => e["sequence_number"])).toEqual(list.map((_, i) => i));
    const created = list[0]?.["response"] as Json;
    expect(created).toMatchObject({ status: "in_progress", output: [] });
    const deltas = list.filter((e) => e["type"] === "response.output_text.delta");
    for (const d of deltas) {
      expect(Object.keys(d).sort()).toEqual([
        "content_index",
        "delta",
        "item_id",
        "logprobs",
        "output_index",
        "sequence_number",
        "type",
      ]);
    }
    const streamed = deltas.map((d) => d["delta"]).join("");
    const done = list.filter((e) => e["type"] === "response.output_item.done").at(-1);
    expect(outputText({ output: [done?.["item"]] })).toBe(streamed);
    expect(list.find((e) => e["type"] === "response.output_text.done")?.["text"]).toBe(streamed);
    const completed = list.at(-1)?.["response"] as Json;
    expect(completed["status"]).toBe("completed");
    expect(completed["usage"]).toMatchObject({ output_tokens: expect.any(Number) });
    expect(outputText(completed)).toBe(streamed);
    // Default: every id stays within 64 characters.
    expect(String(created["id"]).length).toBeLessThanOrEqual(64);
    for (const e of list)
      if (typeof e["item_id"] === "string") expect(e["item_id"].length).toBeLessThanOrEqual(64);
  });

  it("function calls stream as added, argument deltas, arguments.done and output_item.done", async () => {
    const h = await emulator();
    const list = await events(h, {
      model: "databricks-gpt-5",
      input: "What is the weather in Paris?",
      tools: [WEATHER_TOOL],
    });
    const added = list.find(
      (e) =>
        e["type"] === "response.output_item.added" &&
        (e["item"] as Json)["type"] === "function_call",
    );
    expect(added?.["item"]).toMatchObject({ arguments: "", status: "in_progress" });
    const args = list
      .filter((e) => e["type"] === "response.function_call_arguments.delta")
      .map((e) => e["delta"])
      .join("");
    expect(JSON.parse(args)).toEqual({ city: "Paris" });
    expect(
      list.find((e) => e["type"] === "response.function_call_arguments.done")?.["arguments"],
    ).toBe(args);
    const done = list.filter((e) => e["type"] === "response.output_item.done").at(-1);
    expect(done?.["item"]).toMatchObject({
      type: "function_call",
      arguments: args,
      status: "completed",
    });
  });

  it("longStreamingIds: ~192-character response, item and part-level ids; part ids differ from the item id", async () => {
    const h = await emulator({ endpoints: [LONG_IDS_ENDPOINT] });
    const list = await events(h, { model: "gpt-long", input: "Hello there" });
    const id = String((list[0]?.["response"] as Json)["id"]);
    expect(id).toMatch(/^resp_01c6/);
    expect(id.length).toBe(192);
    const delta = list.find((e) => e["type"] === "response.output_text.delta");
    const item = list.filter((e) => e["type"] === "response.output_item.done").at(-1)?.[
      "item"
    ] as Json;
    expect(String(delta?.["item_id"])).toMatch(/^msg_01c6/);
    expect(String(delta?.["item_id"]).length).toBeGreaterThan(64);
    // §3.4 rule 4: the part-level id is not the item's id.
    expect(delta?.["item_id"]).not.toBe(item["id"]);
    // §3.5: the output item ids a client echoes back are long too, with their prefix.
    expect(String(item["id"])).toMatch(/^msg_01c6/);
    expect(String(item["id"]).length).toBe(192);
    // The non-streaming path keeps short ids.
    const plain = await responses(h, { model: "gpt-long", input: "Hello there" });
    expect(String(plain.body["id"]).length).toBeLessThanOrEqual(64);
    for (const i of plain.body["output"] as Json[])
      expect(String(i["id"]).length).toBeLessThanOrEqual(64);
  });

  it("longStreamingIds: reasoning, message and function_call ids over 64 in output_item.added/done and response.completed", async () => {
    const h = await emulator({ endpoints: [LONG_IDS_ENDPOINT] });
    for (const body of [
      { model: "gpt-long", input: "Hello there" },
      { model: "gpt-long", input: "What is the weather in Paris?", tools: [WEATHER_TOOL] },
    ]) {
      const list = await events(h, body);
      const itemsOf = (type: string) =>
        list.filter((e) => e["type"] === type).map((e) => e["item"] as Json);
      const added = itemsOf("response.output_item.added");
      const done = itemsOf("response.output_item.done");
      const completed = (list.at(-1)?.["response"] as Json)["output"] as Json[];
      expect(added.map((i) => i["id"])).toEqual(done.map((i) => i["id"]));
      expect(completed.map((i) => i["id"])).toEqual(done.map((i) => i["id"]));
      const prefix = { reasoning: "rs_", message: "msg_", function_call: "fc_" };
      for (const item of done) {
        const id = String(item["id"]);
        expect(id.startsWith(prefix[item["type"] as keyof typeof prefix])).toBe(true);
        expect(id.length).toBeGreaterThan(64);
        // call_id pairs with function_call_output and is not an item id: it stays as issued.
        if (item["type"] === "function_call")
          expect(String(item["call_id"]).length).toBeLessThanOrEqual(64);
      }
      if (body.tools !== undefined) expect(done.map((i) => i["type"])).toContain("function_call");
    }
  });

  it("longStreamingIds: echoing the streamed output items unchanged is refused (400), cut to 64 accepted", async () => {
    const h = await emulator({ endpoints: [LONG_IDS_ENDPOINT] });
    const list = await events(h, { model: "gpt-long", input: "Hello there" });
    const output = (list.at(-1)?.["response"] as Json)["output"] as Json[];
    // The next turn, echoing the items as a client would: without the output-only `status` and
    // null fields (§3.5), the ids as streamed or cut to 64.
    const nextTurn = (cut: boolean) => {
      const echoed = output.map((item) => {
        const { status: _status, encrypted_content: _encrypted, ...rest } = item;
        const id = String(item["id"]);
        return { ...rest, id: cut ? id.slice(0, 64) : id };
      });
      const turns = [{ role: "user", content: "Hello there" }, ...echoed];
      return responses(h, {
        model: "gpt-long",
        input: [...turns, { role: "user", content: "More" }],
      });
    };
    const refused = await nextTurn(false);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("maximum length 64");
    const accepted = await nextTurn(true);
    expect(accepted.status).toBe(200);
  });

  it("responsesEventLines: an event line naming each frame's type", async () => {
    const h = await emulator({
      endpoints: [
        { name: "gpt-lines", task: "llm/v1/chat", family: "gpt", responsesEventLines: true },
      ],
    });
    const res = await postJson(h, "/serving-endpoints/responses", {
      model: "gpt-lines",
      input: "hi",
      stream: true,
    });
    const frames = (await res.text()).split("\n\n").filter((f) => f !== "");
    expect(frames.at(-1)).toBe("data: [DONE]");
    for (const frame of frames.slice(0, -1)) {
      const [event, data] = frame.split("\n");
      const type = (JSON.parse(String(data).slice("data: ".length)) as Json)["type"];
      expect(event).toBe(`event: ${String(type)}`);
    }
  });
});

describe("GPT-5 on chat completions (§1.1)", () => {
  it("string content; reasoning_effort minimal..high; reasoning tokens in the usage details", async () => {
    const h = await emulator();
    const chat = (extra: Json) =>
      postJson(h, "/serving-endpoints/chat/completions", {
        model: "databricks-gpt-5",
        messages: [{ role: "user", content: "hi" }],
        ...extra,
      });
    for (const effort of ["minimal", "low", "medium", "high"]) {
      const res = await chat({ reasoning_effort: effort });
      const body = (await res.json()) as Json;
      const choice = (body["choices"] as Json[])[0] as Json;
      expect(typeof (choice["message"] as Json)["content"]).toBe("string");
      expect(body["usage"]).toMatchObject({
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: expect.any(Number) },
      });
    }
    const bad = await chat({ reasoning_effort: "max" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json)["message"]).toContain(
      "'reasoning_effort' does not support",
    );
  });

  it("streamOptions: reject refuses stream_options; ignore drops the trailing usage chunk", async () => {
    const h = await emulator({
      endpoints: [
        {
          name: "rejecting",
          task: "llm/v1/chat",
          endpointType: "FOUNDATION_MODEL_API",
          streamOptions: "reject",
        },
        {
          name: "ignoring",
          task: "llm/v1/chat",
          endpointType: "FOUNDATION_MODEL_API",
          streamOptions: "ignore",
        },
        { name: "default", task: "llm/v1/chat", endpointType: "FOUNDATION_MODEL_API" },
      ],
    });
    const call = (model: string) =>
      postJson(h, "/serving-endpoints/chat/completions", {
        model,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        stream_options: { include_usage: true },
      });
    const rejected = await call("rejecting");
    expect(rejected.status).toBe(400);
    expect(await rejected.json()).toEqual({
      error_code: "BAD_REQUEST",
      message: 'json: unknown field "stream_options"',
    });
    const lastChunk = async (model: string) => {
      const data = sseData(await (await call(model)).text());
      return JSON.parse(data.at(-2) ?? "{}") as Json;
    };
    expect(await lastChunk("default")).toMatchObject({ choices: [] });
    expect(((await lastChunk("ignoring"))["choices"] as Json[]).length).toBe(1);
  });
});

describe("errors in the middle of a Responses stream (§3.4 rule 6)", () => {
  it("errorMidStream: a Responses error event, or the AgentServer's bare error then [DONE]", async () => {
    const h = await emulator({
      faults: {
        "databricks-gpt-5": { errorMidStream: { afterChunks: 2, shape: "responses" } },
        "responses-agent": { errorMidStream: { afterChunks: 1, shape: "agent-server" } },
      },
    });
    const model = await postJson(h, "/serving-endpoints/responses", {
      model: "databricks-gpt-5",
      input: "hi",
      stream: true,
    });
    const modelData = sseData(await model.text());
    expect(modelData).toHaveLength(3);
    expect(JSON.parse(modelData[2] ?? "")).toEqual({
      type: "error",
      code: "server_error",
      message: "The model failed while streaming.",
      param: null,
      sequence_number: 2,
    });
    const agent = await postJson(h, "/serving-endpoints/responses-agent/invocations", {
      input: "hi",
      stream: true,
    });
    const agentData = sseData(await agent.text());
    expect(agentData.slice(1)).toEqual([
      JSON.stringify({ error: "The model failed while streaming." }),
      "[DONE]",
    ]);
  });
});
