/** Agent endpoints: `customInputs` / `context` in, `custom_outputs` back in `response_metadata`. */
import { describe, expect, it } from "vitest";
import { DatabricksConfigError } from "../../src/errors.js";
import { chatCompletion, chatModel, chunk, json, sse, useTestServer } from "./helpers.js";

/** What an agent endpoint returns with `databricks_options: {return_trace: true}` (§5.2). */
const databricksOutput = {
  trace: { info: { trace_id: "tr-0123abcd" }, data: { spans: [] } },
  databricks_request_id: "req-1",
};

const server = useTestServer(() => (request, res) => {
  const body = request.body;
  const outputs = { echoed: body["custom_inputs"] ?? null, context: body["context"] ?? null };
  const options = body["databricks_options"] as { return_trace?: boolean } | undefined;
  const traced = options?.return_trace === true ? { databricks_output: databricksOutput } : {};
  if (body["stream"] === true) {
    void sse(res, [
      chunk({ role: "assistant", content: "Hi" }),
      { ...chunk({}, { finish_reason: "stop" }), custom_outputs: outputs, ...traced },
      // An MLflow AgentServer's typeless last frame.
      ...(options?.return_trace === true ? [{ trace_id: "tr-from-agent-server" }] : []),
    ]);
    return;
  }
  json(res, { ...chatCompletion("Hi"), custom_outputs: outputs, ...traced });
});

describe("customInputs and context", () => {
  it("are sent as custom_inputs and context, the call's replacing the instance's", async () => {
    const chat = chatModel(server, {
      customInputs: { user: "instance" },
      context: { conversation_id: "c1" },
    });
    await chat.invoke("hi");
    await chat.invoke("hi", { customInputs: { user: "call" }, context: { user_id: "u2" } });
    expect(server.bodies().map((b) => [b["custom_inputs"], b["context"]])).toEqual([
      [{ user: "instance" }, { conversation_id: "c1" }],
      [{ user: "call" }, { user_id: "u2" }],
    ]);
    await chatModel(server).invoke("hi");
    expect(server.bodies()[2]).not.toHaveProperty("custom_inputs");
    expect(server.bodies()[2]).not.toHaveProperty("context");
  });

  it("custom_outputs come back in response_metadata on invoke and on the last stream chunk", async () => {
    const chat = chatModel(server, { customInputs: { k: 1 } });
    const answer = await chat.invoke("hi");
    expect(answer.response_metadata["custom_outputs"]).toEqual({ echoed: { k: 1 }, context: null });
    const chunks = [];
    for await (const piece of await chat.stream("hi", { context: { user_id: "u" } })) {
      chunks.push(piece);
    }
    expect(chunks.at(-1)?.response_metadata["custom_outputs"]).toEqual({
      echoed: { k: 1 },
      context: { user_id: "u" },
    });
    expect(
      chunks.slice(0, -1).every((c) => c.response_metadata["custom_outputs"] === undefined),
    ).toBe(true);
  });

  it("returnTrace sends databricks_options.return_trace and reads the trace id back", async () => {
    const chat = chatModel(server, {
      returnTrace: true,
      extraParams: { databricks_options: { x: 1 } },
    });
    const answer = await chat.invoke("hi");
    expect(server.bodies()[0]?.["databricks_options"]).toEqual({ x: 1, return_trace: true });
    expect(answer.response_metadata["trace_id"]).toBe("tr-0123abcd");
    expect(answer.response_metadata["databricks_output"]).toEqual(databricksOutput);
    let last: Record<string, unknown> = {};
    for await (const piece of await chat.stream("hi")) last = piece.response_metadata;
    // The stream's final typeless frame carries the latest trace id.
    expect(last["trace_id"]).toBe("tr-from-agent-server");
    expect(last["databricks_output"]).toEqual(databricksOutput);
    const untraced = await chatModel(server).invoke("hi", { returnTrace: false });
    expect(untraced.response_metadata).not.toHaveProperty("trace_id");
    expect(server.bodies().at(-1)).not.toHaveProperty("databricks_options");
  });

  it("are ChatDatabricks options only", async () => {
    const { Databricks } = await import("../../src/llms.js");
    expect(
      () =>
        new Databricks({
          host: server.url,
          token: "dapi-x-000000000",
          endpoint: "e",
          customInputs: {},
        } as never),
    ).toThrow(DatabricksConfigError);
  });
});
