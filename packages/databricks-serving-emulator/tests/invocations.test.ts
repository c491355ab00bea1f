import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { emulator, postJson, sseData } from "./helpers.js";

const REQUIRED =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}";

describe("custom model invocations (MLflow scoring rules)", () => {
  it("dataframe_records with a prompt column → one string per record; stop and temperature honoured", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/dolly/invocations", {
      dataframe_records: [
        { prompt: "How are you?", temperature: 0 },
        { prompt: "How are you?", temperature: 0, stop: ["."] },
        { prompt: "How are you?", temperature: 0, max_tokens: 2 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("served-model-name")).toBe("dolly-1");
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("server")).toBe("databricks");
    expect(await res.json()).toEqual({
      predictions: ["I am fine. Thank you for asking.", "I am fine", "I am"],
    });
  });

  it("params, dataframe_split, instances, inputs and the sdk-js /api alias", async () => {
    const h = await emulator();
    const path = "/serving-endpoints/dolly/invocations";
    const viaParams = await postJson(h, path, {
      dataframe_records: [{ prompt: "How are you?" }],
      params: { temperature: 0, stop: ["."] },
    });
    expect(await viaParams.json()).toEqual({ predictions: ["I am fine"] });
    const split = await postJson(h, path, {
      dataframe_split: { columns: ["prompt", "temperature"], data: [["How are you?", 0]] },
    });
    expect(await split.json()).toEqual({ predictions: ["I am fine. Thank you for asking."] });
    const instances = await postJson(h, path, {
      instances: ["How are you?"],
      params: { temperature: 0 },
    });
    expect(await instances.json()).toEqual({ predictions: ["I am fine. Thank you for asking."] });
    const inputs = await postJson(h, path, {
      inputs: { prompt: ["How are you?", "Hello"] },
      params: { temperature: 0 },
    });
    expect(((await inputs.json()) as { predictions: string[] }).predictions).toHaveLength(2);
    const alias = await postJson(h, "/api/serving-endpoints/dolly/invocations", {
      name: "dolly",
      dataframe_records: [{ prompt: "How are you?", temperature: 0 }],
    });
    expect(await alias.json()).toEqual({ predictions: ["I am fine. Thank you for asking."] });
  });

  it("text/csv input", async () => {
    const h = await emulator();
    const res = await postJson(
      h,
      "/serving-endpoints/dolly/invocations",
      'prompt,temperature\n"How are you?",0\n',
      {
        "Content-Type": "text/csv",
      },
    );
    expect(await res.json()).toEqual({ predictions: ["I am fine. Thank you for asking."] });
  });

  it("unified LLM input is answered unwrapped", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/dolly/invocations", {
      prompt: "How are you?",
      temperature: 0,
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body["predictions"]).toBeUndefined();
    expect(body).toMatchObject({
      object: "text_completion",
      choices: [{ text: "I am fine. Thank you for asking." }],
    });
    const chat = await postJson(h, "/serving-endpoints/dolly/invocations", {
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
    });
    expect(await chat.json()).toMatchObject({ object: "chat.completion" });
  });

  it("exactly-one-of errors, top-level list, non-object and bad JSON use MLflow's texts", async () => {
    const h = await emulator();
    const path = "/serving-endpoints/dolly/invocations";
    const none = await postJson(h, path, { foo: 1 });
    expect(none.status).toBe(400);
    expect(none.headers.get("x-databricks-reason-phrase")).toContain(
      "The input must be a JSON dictionary",
    );
    const noneBody = (await none.json()) as { error_code: string; message: string };
    expect(noneBody.error_code).toBe("BAD_REQUEST");
    expect(noneBody.message).toMatch(
      new RegExp(
        `^${REQUIRED.replace(/[{}()]/g, "\\$&")}\\. Received dictionary with input fields: \\[\\]\\. IMPORTANT: The MLflow Model scoring protocol has changed`,
      ),
    );
    const two = await postJson(h, path, { instances: [], dataframe_records: [] });
    expect(((await two.json()) as { message: string }).message).toContain(
      "Received dictionary with input fields: ['instances', 'dataframe_records']",
    );
    const list = await postJson(h, path, [{ prompt: "x" }]);
    expect(list.status).toBe(400);
    expect(await list.json()).toEqual({
      error_code: "BAD_REQUEST",
      message: `Invalid input. ${REQUIRED}. Received a list.`,
    });
    const scalar = await postJson(h, path, "42");
    expect(((await scalar.json()) as { message: string }).message).toBe(
      `Invalid input. ${REQUIRED}. Received unexpected input type '<class 'int'>.`,
    );
    const broken = await postJson(h, path, "{not json");
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(
      /^Invalid input\. Ensure that input is a valid JSON formatted string\. Error: 'JSONDecodeError\(/,
    );
    const noText = await postJson(h, path, { dataframe_records: [{ x: 1 }] });
    const noTextBody = (await noText.json()) as Record<string, string>;
    expect(noTextBody["message"]).toMatch(
      /^Encountered an unexpected error while evaluating the model/,
    );
    expect(noTextBody["stack_trace"]).toContain("Traceback");
  });

  it("415 content-type rules (text/plain bodies)", async () => {
    const h = await emulator();
    const path = "/serving-endpoints/dolly/invocations";
    const body = { dataframe_records: [{ prompt: "hi" }] };
    const latin = await postJson(h, path, body, {
      "Content-Type": "application/json; charset=latin-1",
    });
    expect(latin.status).toBe(415);
    expect(latin.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await latin.text()).toBe("The scoring server only supports UTF-8");
    const param = await postJson(h, path, body, {
      "Content-Type": "application/json; format=pandas-split",
    });
    expect(await param.text()).toMatch(
      /^Unrecognized content type parameters: format\. IMPORTANT:/,
    );
    const xml = await postJson(h, path, body, { "Content-Type": "application/xml" });
    expect(xml.status).toBe(415);
    expect(await xml.text()).toBe(
      "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'application/xml'.",
    );
    const utf8 = await postJson(h, path, body, {
      "Content-Type": "application/json; charset=UTF-8",
    });
    expect(utf8.status).toBe(200);
    const fm = await postJson(
      h,
      "/serving-endpoints/databricks-llama/invocations",
      { messages: [] },
      { "Content-Type": "text/plain" },
    );
    expect(fm.status).toBe(415);
    expect(await fm.json()).toMatchObject({ error_code: "UNSUPPORTED_MEDIA_TYPE" });
  });

  it("llama2/chat custom models answer candidates; agents answer their own shapes", async () => {
    const h = await emulator({
      endpoints: [
        { name: "llama2", task: "llama2/chat" },
        { name: "agent", task: "agent/v2/chat", backend: { type: "echo" } },
        { name: "responses", task: "agent/v1/responses", backend: { type: "echo" } },
      ],
    });
    const llama = await postJson(h, "/serving-endpoints/llama2/invocations", {
      dataframe_records: [{ prompt: "How are you?", temperature: 0 }],
    });
    expect(await llama.json()).toEqual({
      predictions: [{ candidates: [{ text: "I am fine. Thank you for asking." }] }],
    });
    const agent = await postJson(h, "/serving-endpoints/agent/invocations", {
      messages: [{ role: "user", content: "ping" }],
    });
    const agentBody = (await agent.json()) as {
      messages: { role: string; content: string; id: string }[];
    };
    expect(agentBody.messages[0]).toMatchObject({ role: "assistant", content: "ping" });
    expect(agentBody.messages[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    const agentStream = await postJson(h, "/serving-endpoints/agent/invocations", {
      messages: [{ role: "user", content: "one two" }],
      stream: true,
    });
    const deltas = sseData(await agentStream.text());
    expect(deltas.at(-1)).toBe("[DONE]");
    expect(JSON.parse(deltas[0] ?? "")).toMatchObject({
      delta: { role: "assistant", content: "one" },
    });
    const responses = await postJson(h, "/serving-endpoints/responses/invocations", {
      input: "hello",
    });
    expect(await responses.json()).toMatchObject({
      object: "response",
      output: [
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "hello" }] },
      ],
    });
  });
});

describe("foundation-model invocations", () => {
  it("chat rejects prompt with the Go decoder message; stop null is rejected", async () => {
    const h = await emulator();
    const res = await postJson(h, "/serving-endpoints/databricks-llama/invocations", {
      prompt: "How are you?",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error_code: "BAD_REQUEST",
      message: 'Bad request: json: unknown field "prompt"',
    });
    const records = await postJson(h, "/serving-endpoints/databricks-llama/invocations", {
      dataframe_records: [],
    });
    expect(((await records.json()) as { message: string }).message).toBe(
      'Bad request: json: unknown field "dataframe_records"',
    );
    const stopNull = await postJson(h, "/serving-endpoints/databricks-llama/invocations", {
      messages: [{ role: "user", content: "hi" }],
      stop: null,
    });
    expect(await stopNull.json()).toEqual({
      error_code: "INVALID_PARAMETER_VALUE",
      message: "stop was not of type List[String]: null",
    });
    const stopString = await postJson(h, "/serving-endpoints/databricks-llama/invocations", {
      messages: [{ role: "user", content: "hi" }],
      stop: ".",
    });
    expect(await stopString.json()).toEqual({
      error_code: "INVALID_PARAMETER_VALUE",
      message: 'stop was not of type List[String]: "."',
    });
    const badJson = await postJson(h, "/serving-endpoints/databricks-llama/invocations", "{");
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/^Malformed JSON/);
  });

  it("Q6 chat: unknown top-level fields (agent ones too) are refused on every family; OpenAI fields pass", async () => {
    const h = await emulator();
    const messages = [{ role: "user", content: "hi" }];
    const chatModels = [
      "databricks-llama",
      "databricks-claude-sonnet-4-5",
      "databricks-gpt-oss-120b",
      "databricks-gpt-5",
    ];
    for (const model of chatModels) {
      for (const field of ["foo_bar", "custom_inputs", "context", "databricks_options", "inputs"]) {
        for (const [path, extra] of [
          [`/serving-endpoints/${model}/invocations`, {}],
          ["/serving-endpoints/chat/completions", { model }],
        ] as const) {
          const res = await postJson(h, path, { ...extra, messages, [field]: { a: 1 } });
          expect(res.status).toBe(400);
          // The chat route's own capture keeps the decoder's `Bad request: ` prefix.
          expect(await res.json()).toEqual({
            error_code: "BAD_REQUEST",
            message: `Bad request: json: unknown field "${field}"`,
          });
        }
      }
    }
    // What an OpenAI client sends (langchain's ChatOpenAI, the openai SDK) is decoded.
    const openAI = {
      model: "databricks-llama",
      messages,
      max_tokens: 20,
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 5,
      n: 1,
      stop: ["."],
      stream: false,
      logprobs: false,
      top_logprobs: 0,
      presence_penalty: 0,
      frequency_penalty: 0,
      seed: 1,
      user: "u1",
      logit_bias: {},
      metadata: { run: "r1" },
      service_tier: "auto",
      parallel_tool_calls: false,
      response_format: { type: "text" },
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: "none",
    };
    const accepted = await postJson(h, "/serving-endpoints/chat/completions", openAI);
    expect(accepted.status).toBe(200);
    // The family rules still refuse what a family does not take (Q4 on Claude).
    const claude = await postJson(h, "/serving-endpoints/chat/completions", {
      model: "databricks-claude-sonnet-4-5",
      messages,
      parallel_tool_calls: true,
    });
    expect(((await claude.json()) as { message: string }).message).toBe(
      "parallel_tool_calls: Extra inputs are not permitted",
    );
    // Agents and custom models accept any field.
    for (const [path, body] of [
      ["/serving-endpoints/chat-agent/invocations", { messages, foo_bar: 1, custom_inputs: {} }],
      ["/serving-endpoints/dolly/invocations", { inputs: { prompt: ["hi"] }, foo_bar: 1 }],
    ] as const) {
      expect((await postJson(h, path, body)).status).toBe(200);
    }
  });

  it("chat: content parts, n distinct choices, stop, SSE framing with cumulative usage", async () => {
    const h = await emulator();
    const path = "/serving-endpoints/databricks-llama/invocations";
    const res = await postJson(h, path, {
      messages: [
        { role: "system", content: "Be nice." },
        { role: "user", content: [{ type: "text", text: "How are you?" }] },
      ],
      n: 3,
      temperature: 0,
      stop: ["Thank"],
    });
    const body = (await res.json()) as {
      choices: { index: number; message: { content: string } }[];
    };
    expect(body.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(body.choices[0]?.message.content).toBe("I am fine. ");
    expect(new Set(body.choices.map((c) => c.message.content)).size).toBe(3);

    const stream = await postJson(h, path, {
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
      stream: true,
    });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await stream.text();
    expect(text).not.toMatch(/^event:/m);
    const frames = sseData(text);
    expect(frames.at(-1)).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f) as {
          object: string;
          usage: { completion_tokens: number };
          choices: { delta: { content?: string } }[];
        },
    );
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    const usages = chunks.map((c) => c.usage.completion_tokens);
    expect(usages).toEqual(usages.toSorted((a, b) => a - b));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "I am fine. Thank you for asking.",
    );
  });

  it("embeddings and completions through invocations", async () => {
    const h = await emulator();
    const emb = await postJson(h, "/serving-endpoints/databricks-embeddings/invocations", {
      input: ["a", "b"],
    });
    const embBody = (await emb.json()) as {
      object: string;
      data: { index: number; object: string; embedding: number[] }[];
      usage: Record<string, number>;
    };
    expect(embBody.object).toBe("list");
    expect(embBody.data.map((d) => [d.index, d.object])).toEqual([
      [0, "embedding"],
      [1, "embedding"],
    ]);
    expect(embBody.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const comp = await postJson(h, "/serving-endpoints/databricks-completions/invocations", {
      prompt: ["How are you?", "Hello"],
      n: 2,
      max_tokens: 4,
    });
    const compBody = (await comp.json()) as { choices: { index: number; text: string }[] };
    expect(compBody.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    const wrong = await postJson(h, "/serving-endpoints/databricks-completions/invocations", {
      messages: [],
    });
    expect(((await wrong.json()) as { message: string }).message).toBe(
      'Bad request: json: unknown field "messages"',
    );
  });

  it("body size limits: 413 past 4 MiB for foundation models, per-endpoint override", async () => {
    const h = await emulator({
      endpoints: [
        { name: "small", maxRequestBytes: 1000 },
        { name: "databricks-llama", task: "llm/v1/chat", endpointType: "FOUNDATION_MODEL_API" },
      ],
    });
    const big = JSON.stringify({
      messages: [{ role: "user", content: "x".repeat(4 * 1024 * 1024) }],
    });
    const res = await postJson(h, "/serving-endpoints/databricks-llama/invocations", big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error_code: "REQUEST_ENTITY_TOO_LARGE" });
    const small = await postJson(h, "/serving-endpoints/small/invocations", {
      dataframe_records: [{ prompt: "y".repeat(2000) }],
    });
    expect(small.status).toBe(413);
    const ok = await postJson(h, "/serving-endpoints/small/invocations", {
      dataframe_records: [{ prompt: "hi" }],
    });
    expect(ok.status).toBe(200);
  });

  // Found by tests/fuzz.test.ts: the emulator read (and waited for) up to 4x the limit before
  // answering, so a body that never ended never got its 413.
  it("answers 413 as soon as a body crosses the limit, declared or streamed, and closes", async () => {
    const h = await emulator({ endpoints: [{ name: "small", maxRequestBytes: 1024 }] });
    for (const declared of [true, false]) {
      const answer = await new Promise<{ status: number; connection: string | undefined }>(
        (resolve, reject) => {
          const req = httpRequest(
            `${h.url}/serving-endpoints/small/invocations`,
            {
              method: "POST",
              agent: false,
              headers: {
                Authorization: `Bearer ${h.token}`,
                "Content-Type": "application/json",
                ...(declared ? { "Content-Length": "2000" } : { "Transfer-Encoding": "chunked" }),
              },
            },
            (res) => {
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
              req.destroy();
            },
          );
          req.on("error", reject);
          // The body is never finished: only an answer that does not wait for it arrives.
          if (!declared) req.write("a".repeat(1025));
          else req.flushHeaders();
        },
      );
      expect(answer).toEqual({ status: 413, connection: "close" });
    }
  });

  it("NOT_READY endpoints answer 503 until made ready", async () => {
    const h = await emulator({ endpoints: [{ name: "warming", state: "NOT_READY" }] });
    const res = await postJson(h, "/serving-endpoints/warming/invocations", {
      dataframe_records: [{ prompt: "hi" }],
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
    h.setEndpointState("warming", "READY");
    const again = await postJson(h, "/serving-endpoints/warming/invocations", {
      dataframe_records: [{ prompt: "hi" }],
    });
    expect(again.status).toBe(200);
  });
});
