/**
 * Agent endpoints (ResponsesAgent §3.4/§9, ChatAgent §4.1), the AI Gateway MLflow routes (§6, §9),
 * the serving path errors and the config switches of these features.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEmulatorConfig, type EmulatorHandle } from "../src/index.js";
import { emulator, get, postJson, sseData } from "./helpers.js";

type Json = Record<string, unknown>;

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};

async function frames(h: EmulatorHandle, path: string, body: Json): Promise<Json[]> {
  const res = await postJson(h, path, { ...body, stream: true });
  expect(res.status).toBe(200);
  const data = sseData(await res.text());
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((d) => JSON.parse(d) as Json);
}

function itemText(item: Json | undefined): string {
  return String(((item?.["content"] as Json[] | undefined)?.[0] ?? {})["text"] ?? "");
}

const agents = () =>
  emulator({
    endpoints: [
      { name: "responses-agent", task: "agent/v1/responses", backend: { type: "ngram" } },
      { name: "v2-agent", task: "agent/v2/responses", backend: { type: "echo" } },
      {
        name: "cycling-agent",
        task: "agent/v1/responses",
        agentCycles: 3,
        traceIdFrame: true,
        backend: { type: "echo" },
      },
      { name: "chat-agent", task: "agent/v2/chat", backend: { type: "echo" } },
      { name: "tool-agent", task: "agent/v2/chat", executedTools: true, backend: { type: "echo" } },
    ],
  });

describe("ResponsesAgent (agent/v1/responses)", () => {
  it("invocations and /serving-endpoints/responses: same answer, extras at the top level", async () => {
    const h = await agents();
    const body = {
      input: [{ role: "user", content: "hello" }],
      custom_inputs: { k: "v" },
      context: { conversation_id: "c1", user_id: "u1" },
      databricks_options: { return_trace: true },
    };
    for (const res of [
      await postJson(h, "/serving-endpoints/v2-agent/invocations", body),
      await postJson(h, "/serving-endpoints/responses", { ...body, model: "v2-agent" }),
    ]) {
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Json;
      expect(answer).toMatchObject({
        object: "response",
        status: "completed",
        custom_outputs: { k: "v" },
        databricks_output: { trace: { info: { trace_id: expect.stringMatching(/^tr-/) } } },
      });
      expect(itemText((answer["output"] as Json[])[0])).toBe("hello");
    }
  });

  it("streams MLflow frames: {type, item_id, delta} then output_item.done with the same text", async () => {
    const h = await agents();
    const list = await frames(h, "/serving-endpoints/responses-agent/invocations", {
      input: "Tell me about the sea.",
      custom_inputs: { turn: 2 },
      databricks_options: { return_trace: true },
    });
    const deltas = list.slice(0, -1);
    for (const d of deltas) expect(Object.keys(d).sort()).toEqual(["delta", "item_id", "type"]);
    expect(new Set(deltas.map((d) => d["type"]))).toEqual(new Set(["response.output_text.delta"]));
    const done = list.at(-1) as Json;
    expect(done["type"]).toBe("response.output_item.done");
    expect(itemText(done["item"] as Json)).toBe(deltas.map((d) => d["delta"]).join(""));
    expect((done["item"] as Json)["id"]).toBe(deltas[0]?.["item_id"]);
    expect(done["custom_outputs"]).toEqual({ turn: 2 });
    expect(done).toHaveProperty("databricks_output.trace.info.trace_id");
  });

  it("client tools: the backend's decision comes back as a function_call item for the caller", async () => {
    const h = await agents();
    const request = { input: "What is the weather in Paris?", tools: [WEATHER_TOOL] };
    const res = await postJson(h, "/serving-endpoints/responses-agent/invocations", request);
    const output = ((await res.json()) as Json)["output"] as Json[];
    expect(output).toEqual([
      expect.objectContaining({ type: "function_call", name: "get_weather", status: "completed" }),
    ]);
    const list = await frames(h, "/serving-endpoints/responses", {
      ...request,
      model: "responses-agent",
    });
    expect(list).toEqual([
      {
        type: "response.output_item.done",
        item: expect.objectContaining({ type: "function_call", name: "get_weather" }),
      },
    ]);
  });

  it("agentCycles: executed tools as function_call + function_call_output pairs, several cycles", async () => {
    const h = await agents();
    const res = await postJson(h, "/serving-endpoints/cycling-agent/invocations", {
      input: "find it",
    });
    const output = ((await res.json()) as Json)["output"] as Json[];
    expect(output.map((i) => i["type"])).toEqual([
      "function_call",
      "function_call_output",
      "function_call",
      "function_call_output",
      "message",
    ]);
    expect(output[1]?.["call_id"]).toBe(output[0]?.["call_id"]);
    expect(output[0]?.["name"]).toBe("search_knowledge_base");

    const list = await frames(h, "/serving-endpoints/cycling-agent/invocations", {
      input: "find it",
      custom_inputs: { a: 1 },
    });
    const types = list.map((e) => e["type"] ?? "(typeless)");
    expect(types.filter((t) => t === "response.created")).toHaveLength(3);
    expect(types.filter((t) => t === "response.completed")).toHaveLength(3);
    const bare = list.filter((e) => e["type"] === "function_call_output");
    expect(bare).toHaveLength(2);
    expect(Object.keys(bare[0] ?? {}).sort()).toEqual(["call_id", "output", "type"]);
    // Each bare output follows its cycle's response.completed.
    expect(types[types.indexOf("function_call_output") - 1]).toBe("response.completed");
    const completed = list.filter((e) => e["type"] === "response.completed").at(-1);
    expect(completed?.["custom_outputs"]).toEqual({ a: 1 });
    expect(list.at(-1)).toEqual({ trace_id: expect.stringMatching(/^tr-[0-9a-f]{32}$/) });
  });

  it("x-mlflow-return-trace-id: true (§5.2): metadata.trace_id, or a typeless frame before [DONE]", async () => {
    const h = await agents();
    const header = { "x-mlflow-return-trace-id": "True" };
    const routes = [
      ["/serving-endpoints/responses-agent/invocations", {}],
      ["/serving-endpoints/responses", { model: "responses-agent" }],
    ] as const;
    for (const [path, model] of routes) {
      const body = { ...model, input: "hello", metadata: { run: "r1" } };
      const plain = await postJson(h, path, body, header);
      expect(plain.status).toBe(200);
      const answer = (await plain.json()) as Json;
      // Merged into the request's metadata, as the AgentServer does.
      expect(answer["metadata"]).toEqual({ run: "r1", trace_id: expect.stringMatching(/^tr-/) });
      const res = await postJson(h, path, { ...body, stream: true }, header);
      const data = sseData(await res.text());
      expect(data.at(-1)).toBe("[DONE]");
      expect(JSON.parse(String(data.at(-2)))).toEqual({
        trace_id: expect.stringMatching(/^tr-[0-9a-f]{32}$/),
      });
    }
    // With return_trace too, both name the same trace.
    const traced = { input: "hello", databricks_options: { return_trace: true } };
    const path = "/serving-endpoints/responses-agent/invocations";
    const answer = (await (await postJson(h, path, traced, header)).json()) as Json;
    expect((answer["metadata"] as Json)["trace_id"]).toBe(
      ((answer["databricks_output"] as Json)["trace"] as { info: Json }).info["trace_id"],
    );
    const list = await frames(h, path, traced);
    expect(list.at(-1)).toHaveProperty("type", "response.output_item.done");
    const streamed = await postJson(h, path, { ...traced, stream: true }, header);
    const data = sseData(await streamed.text()).slice(0, -1);
    const done = JSON.parse(String(data.at(-2))) as Json;
    expect(JSON.parse(String(data.at(-1)))).toEqual({
      trace_id: (done["databricks_output"] as { trace: { info: Json } }).trace.info["trace_id"],
    });
    // Without the header (and without traceIdFrame): no trace id anywhere.
    const without = (await (await postJson(h, path, { input: "hello" })).json()) as Json;
    expect(without["metadata"]).toEqual({});
  });

  it("x-mlflow-return-trace-id is ignored by model endpoints", async () => {
    const h = await emulator();
    const header = { "x-mlflow-return-trace-id": "true" };
    const body = { model: "databricks-gpt-5", input: "hello" };
    const res = await postJson(h, "/serving-endpoints/responses", body, header);
    expect(((await res.json()) as Json)["metadata"]).toEqual({});
    const streamed = await postJson(
      h,
      "/serving-endpoints/responses",
      { ...body, stream: true },
      header,
    );
    const data = sseData(await streamed.text());
    expect(JSON.parse(String(data.at(-2)))).toHaveProperty("type", "response.completed");
  });
});

describe("ChatAgent (agent/v2/chat)", () => {
  it("validates messages with MLflow's texts", async () => {
    const h = await agents();
    const cases: [Json, string][] = [
      [{ role: "user" }, "Either 'content' or 'tool_calls' must be provided."],
      [
        { role: "tool", content: "18", tool_call_id: "call_1" },
        "Both 'name' and 'tool_call_id' must be provided for tool messages.",
      ],
    ];
    for (const [message, text] of cases) {
      const res = await postJson(h, "/serving-endpoints/chat-agent/invocations", {
        messages: [message],
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error_code: "BAD_REQUEST", message: text });
    }
  });

  it("executedTools: assistant tool_calls, the tool message, then the answer, unique ids", async () => {
    const h = await agents();
    const res = await postJson(h, "/serving-endpoints/chat/completions", {
      model: "tool-agent",
      messages: [{ role: "user", content: "ping" }],
    });
    const body = (await res.json()) as Json;
    expect(body).not.toHaveProperty("choices");
    const messages = body["messages"] as Json[];
    expect(messages.map((m) => m["role"])).toEqual(["assistant", "tool", "assistant"]);
    const call = (messages[0]?.["tool_calls"] as Json[])[0] as Json;
    expect(messages[0]?.["content"]).toBe("");
    expect(messages[1]).toMatchObject({
      name: "search_knowledge_base",
      tool_call_id: call["id"],
      content: expect.stringContaining("result"),
    });
    expect(messages[2]?.["content"]).toBe("ping");
    expect(new Set(messages.map((m) => m["id"])).size).toBe(3);

    const list = await frames(h, "/serving-endpoints/tool-agent/invocations", {
      messages: [{ role: "user", content: "one two" }],
    });
    for (const chunk of list) {
      expect(chunk["id"]).toEqual(expect.any(String));
      expect((chunk["delta"] as Json)["id"]).toEqual(expect.any(String));
    }
    expect(list.map((c) => (c["delta"] as Json)["role"])).toEqual([
      "assistant",
      "tool",
      "assistant",
      "assistant",
    ]);
    expect(
      list
        .slice(2)
        .map((c) => (c["delta"] as Json)["content"])
        .join(""),
    ).toBe("one two");
    expect(new Set(list.slice(2).map((c) => (c["delta"] as Json)["id"])).size).toBe(1);
  });

  it("client tools the backend calls come back unexecuted on the final message", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/chat-agent/invocations", {
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [{ type: "function", function: WEATHER_TOOL }],
    });
    const messages = ((await res.json()) as Json)["messages"] as Json[];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      role: "assistant",
      content: "",
      tool_calls: [{ type: "function", function: { name: "get_weather" } }],
    });
  });

  it("return_trace and custom_outputs: top level when answered, on the last chunk only when streamed", async () => {
    const h = await agents();
    const body = {
      messages: [{ role: "user", content: "Tell me about the sea and the wind." }],
      custom_inputs: { k: "v" },
      databricks_options: { return_trace: true },
    };
    const res = await postJson(h, "/serving-endpoints/tool-agent/invocations", body);
    expect(await res.json()).toMatchObject({
      custom_outputs: { k: "v" },
      databricks_output: {
        trace: { info: { trace_id: expect.stringMatching(/^tr-/) } },
        databricks_request_id: expect.any(String),
      },
    });
    const chunks = await frames(h, "/serving-endpoints/tool-agent/invocations", body);
    const last = chunks.at(-1) as Json;
    expect(Object.keys(last).sort()).toEqual([
      "custom_outputs",
      "databricks_output",
      "delta",
      "id",
    ]);
    expect(last).toHaveProperty("databricks_output.trace.info.trace_id");
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk).not.toHaveProperty("databricks_output");
      expect(chunk).not.toHaveProperty("custom_outputs");
    }
  });
});

describe("AI Gateway (/ai-gateway/mlflow/v1)", () => {
  const gateway = (h: EmulatorHandle, route: string, body: Json) =>
    postJson(h, `/ai-gateway/mlflow/v1/${route}`, body);

  it("chat, embeddings and responses, by endpoint name or system.ai.<name>", async () => {
    const h = await emulator();
    const chat = await gateway(h, "chat/completions", {
      model: "system.ai.claude-sonnet-4-5",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as Json)["object"]).toBe("chat.completion");
    const embeddings = await gateway(h, "embeddings", {
      model: "databricks-embeddings",
      input: ["a", "b"],
    });
    expect(((await embeddings.json()) as Json)["data"]).toHaveLength(2);
    const responses = await gateway(h, "responses", { model: "system.ai.gpt-5", input: "hi" });
    expect(((await responses.json()) as Json)["object"]).toBe("response");
    // The Supervisor's allow-list includes Claude.
    const claude = await gateway(h, "responses", {
      model: "databricks-claude-sonnet-4-5",
      input: "hi",
    });
    expect(claude.status).toBe(200);
    const missing = await gateway(h, "chat/completions", { model: "system.ai.nope", messages: [] });
    expect(missing.status).toBe(404);
  });

  it("store and tool strict are refused by presence", async () => {
    const h = await emulator();
    const extra = (field: string) => ({
      error_code: "BAD_REQUEST",
      message: `${field}: Extra inputs are not permitted`,
    });
    const strictChat = await gateway(h, "chat/completions", {
      model: "databricks-gpt-5",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { ...WEATHER_TOOL, strict: false } }],
    });
    expect(strictChat.status).toBe(400);
    expect(await strictChat.json()).toEqual(extra("tools.0.custom.strict"));
    const strictResponses = await gateway(h, "responses", {
      model: "databricks-gpt-5",
      input: "hi",
      tools: [{ ...WEATHER_TOOL, strict: true }],
    });
    expect(await strictResponses.json()).toEqual(extra("tools.0.custom.strict"));
    const store = await gateway(h, "responses", {
      model: "databricks-gpt-5",
      input: "hi",
      store: false,
    });
    expect(await store.json()).toEqual(extra("store"));
  });

  it("Supervisor rules: sampling with tools, function names, call/output pairing", async () => {
    const h = await emulator();
    const refuse = async (body: Json, message: string) => {
      const res = await gateway(h, "responses", { model: "databricks-gpt-5", ...body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error_code: "BAD_REQUEST", message });
    };
    await refuse(
      { input: "hi", tools: [WEATHER_TOOL], temperature: 0.2 },
      "Parameter not supported when tools are provided",
    );
    await refuse(
      { input: "hi", tools: [{ ...WEATHER_TOOL, name: "get.weather" }] },
      "function tool 'get.weather' must match ^[a-zA-Z0-9_-]{1,64}$",
    );
    await refuse(
      { input: [{ type: "function_call_output", call_id: "call_9", output: "x" }] },
      "No tool call found for function call output with call_id call_9.",
    );
    await refuse(
      {
        input: [
          { role: "user", content: "hi" },
          { type: "function_call", call_id: "call_9", name: "get_weather", arguments: "{}" },
        ],
      },
      "No tool output found for function call call_9.",
    );
    // Without tools, temperature is fine.
    expect(
      (await gateway(h, "responses", { model: "databricks-gpt-5", input: "hi", temperature: 0.2 }))
        .status,
    ).toBe(200);
  });

  it("GET answers JSON; other gateway paths 404 Invalid path; a bad token is 400 Invalid Token", async () => {
    const h = await emulator();
    const probe = await get(h, "/ai-gateway/mlflow/v1/chat/completions");
    expect(probe.status).toBe(405);
    expect(probe.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await probe.json()).toMatchObject({ error_code: "BAD_REQUEST" });
    for (const path of ["/ai-gateway/open-responses", "/ai-gateway/mlflow/v1/models"]) {
      const res = await postJson(h, path, {});
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error_code: "ENDPOINT_NOT_FOUND",
        message: "Invalid path",
      });
    }
    const bad = await fetch(`${h.url}/ai-gateway/mlflow/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
      body: "{}",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe("Invalid Token");
  });
});

describe("serving paths", () => {
  it("unknown /serving-endpoints/<x>/<y> → 404 with the path text; served-models invocations work", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/databricks-llama/predict", {});
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(
      "Path must be of form /serving-endpoints/<endpoint_name>/invocations or /serving-endpoints/<endpoint_name>/served-models/<served_model_name>/invocations",
    );
    const served = await postJson(
      h,
      "/serving-endpoints/databricks-llama/served-models/databricks-llama/invocations",
      { messages: [{ role: "user", content: "hi" }] },
    );
    expect(served.status).toBe(200);
    const other = await postJson(
      h,
      "/serving-endpoints/databricks-llama/served-models/other/invocations",
      { messages: [{ role: "user", content: "hi" }] },
    );
    expect(other.status).toBe(404);
  });
});

describe("config switches", () => {
  it("loadEmulatorConfig reads the Responses and agent switches and rejects bad values", () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-switches-"));
    const file = (name: string, endpoint: Json) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ endpoints: [{ name: "e", ...endpoint }] }));
      return path;
    };
    const switches = {
      responsesOnly: true,
      longStreamingIds: true,
      responsesEventLines: true,
      traceIdFrame: true,
      executedTools: true,
      streamOptions: "reject",
      agentCycles: 2,
    };
    expect(loadEmulatorConfig(file("good.json", switches)).endpoints?.[0]).toEqual({
      name: "e",
      ...switches,
    });
    expect(() => loadEmulatorConfig(file("b1.json", { longStreamingIds: "yes" }))).toThrow(
      "endpoints[0].longStreamingIds: must be a boolean",
    );
    expect(() => loadEmulatorConfig(file("b2.json", { streamOptions: "drop" }))).toThrow(
      "endpoints[0].streamOptions: must be reject or ignore",
    );
    expect(() => loadEmulatorConfig(file("b3.json", { agentCycles: 0 }))).toThrow(
      "endpoints[0].agentCycles: must be a positive integer",
    );
  });
});
