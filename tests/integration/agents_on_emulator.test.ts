/**
 * Agent endpoints end to end: ChatDatabricks' `customInputs`, `context` and `returnTrace` against
 * the emulator's ChatAgent (`agent/v2/chat`) and ResponsesAgent (`agent/v1/responses`) endpoints,
 * which echo `custom_inputs` as `custom_outputs` and return a trace when asked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorHandle } from "databricks-serving-emulator";
import { ChatDatabricks } from "langchain-databricks";

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startEmulator({
    endpoints: [
      { name: "chat-agent", task: "agent/v2/chat", backend: { type: "echo" } },
      { name: "responses-agent", task: "agent/v1/responses", backend: { type: "echo" } },
    ],
  });
});
afterAll(() => emulator.close());

const agent = (fields: ConstructorParameters<typeof ChatDatabricks>[0]) =>
  new ChatDatabricks({ host: emulator.url, token: emulator.token, ...fields });

describe("ChatAgent endpoint", () => {
  it("invoke: custom_inputs come back as custom_outputs, with the trace when asked", async () => {
    const chat = agent({ endpoint: "chat-agent", customInputs: { user: "u1" }, returnTrace: true });
    const answer = await chat.invoke("ping");
    expect(answer.text).toBe("ping");
    expect(answer.response_metadata["custom_outputs"]).toEqual({ user: "u1" });
    expect(answer.response_metadata["trace_id"]).toMatch(/^tr-[0-9a-f]{32}$/);
    expect(answer.response_metadata["databricks_output"]).toMatchObject({
      trace: { info: { trace_id: answer.response_metadata["trace_id"] } },
    });
  });

  it("stream: the last chunk carries custom_outputs and the trace id", async () => {
    const chat = agent({ endpoint: "chat-agent" });
    let text = "";
    let metadata: Record<string, unknown> = {};
    const stream = await chat.stream("one two three", {
      customInputs: { turn: 2 },
      returnTrace: true,
    });
    for await (const chunk of stream) {
      text += chunk.text;
      metadata = { ...metadata, ...chunk.response_metadata };
    }
    expect(text).toBe("one two three");
    expect(metadata["custom_outputs"]).toEqual({ turn: 2 });
    expect(metadata["trace_id"]).toMatch(/^tr-/);
  });

  it("without returnTrace no trace is sent back", async () => {
    const answer = await agent({ endpoint: "chat-agent" }).invoke("ping");
    expect(answer.response_metadata).not.toHaveProperty("trace_id");
    expect(answer.response_metadata).not.toHaveProperty("custom_outputs");
  });
});

describe("ResponsesAgent endpoint (raw HTTP)", () => {
  it("echoes custom_inputs and returns a trace with databricks_options.return_trace", async () => {
    const response = await fetch(`${emulator.url}/serving-endpoints/responses-agent/invocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        input: [{ role: "user", content: "hello" }],
        custom_inputs: { k: "v" },
        databricks_options: { return_trace: true },
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body["custom_outputs"]).toEqual({ k: "v" });
    expect(body).toHaveProperty("databricks_output.trace.info.trace_id");
  });
});
