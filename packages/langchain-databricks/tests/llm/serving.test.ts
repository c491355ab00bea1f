import { afterEach, describe, expect, it } from "vitest";
import { Databricks } from "../../src/llms.js";
import { DatabricksResponseError } from "../../src/errors.js";
import type { LoopbackServer } from "../helpers/loopback.js";
import { predictions, startFakeWorkspace, TOKEN } from "./fake_workspace.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const invocations = (s: LoopbackServer) => s.requests.filter((r) => r.url.endsWith("/invocations"));
const metadataCalls = (s: LoopbackServer) => s.requests.filter((r) => r.method === "GET");

describe("serving endpoints: envelopes by endpoint type and task", () => {
  it("custom model: dataframe_records envelope, predictions list, metadata read once", async () => {
    server = await startFakeWorkspace({
      endpoints: { dolly: { answer: () => predictions("I am fine.") } },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "dolly" });
    expect(await llm.invoke("How are you?")).toBe("I am fine.");
    expect(await llm.invoke("Again?")).toBe("I am fine.");
    expect(metadataCalls(server)).toHaveLength(1);
    expect(metadataCalls(server)[0]?.url).toBe("/api/2.0/serving-endpoints/dolly");
    expect(invocations(server)[0]?.json).toEqual({
      dataframe_records: [{ prompt: "How are you?" }],
    });
  });

  it("custom model: a single (non-list) prediction is accepted", async () => {
    server = await startFakeWorkspace({
      endpoints: { one: { answer: () => ({ predictions: "single" }) } },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "one" });
    expect(await llm.invoke("x")).toBe("single");
  });

  it("custom model: a non-string prediction is a clear error naming the type", async () => {
    server = await startFakeWorkspace({
      endpoints: { obj: { answer: () => predictions({ answer: "x" }) } },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "obj",
      maxRetries: 0,
    });
    await expect(llm.invoke("x")).rejects.toThrow(
      /received an object with keys \[answer\].*transformOutputFn/,
    );
    await expect(llm.invoke("x")).rejects.toBeInstanceOf(DatabricksResponseError);
  });

  it("custom model: empty predictions list is a clear error", async () => {
    server = await startFakeWorkspace({ endpoints: { empty: { answer: () => predictions() } } });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "empty" });
    await expect(llm.invoke("x")).rejects.toThrow('empty "predictions"');
  });

  it("llm/v1/completions foundation endpoint: raw body with sampling params, choices[0].text", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        comp: {
          task: "llm/v1/completions",
          endpointType: "FOUNDATION_MODEL_API",
          answer: () => ({ choices: [{ index: 0, text: "Paris.", finish_reason: "stop" }] }),
        },
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "comp",
      temperature: 0.1,
      maxTokens: 50,
      n: 1,
      stop: ["INST"],
      extraParams: { top_p: 0.9 },
    });
    expect(await llm.invoke("hello", { stop: ["X"], modelKwargs: { top_k: 3 } })).toBe("Paris.");
    // Python reference order: prompt, temperature, n, stop, max_tokens, extra params, call kwargs;
    // the call's stop replaces the instance's in place.
    expect(invocations(server)[0]?.body).toBe(
      JSON.stringify({
        prompt: "hello",
        temperature: 0.1,
        n: 1,
        stop: ["X"],
        max_tokens: 50,
        top_p: 0.9,
        top_k: 3,
      }),
    );
  });

  it("llm/v1/chat foundation endpoint: prompt becomes messages (langchain#10318)", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        chat: {
          task: "llm/v1/chat",
          endpointType: "FOUNDATION_MODEL_API",
          answer: (body) =>
            "prompt" in body
              ? { error: "unknown field prompt" }
              : { choices: [{ index: 0, message: { role: "assistant", content: "Hi there" } }] },
        },
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "chat",
      maxTokens: 8,
    });
    expect(await llm.invoke("Hello")).toBe("Hi there");
    expect(invocations(server)[0]?.json).toEqual({
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 8,
    });
  });

  it("llm/v1/chat: a transformInputFn that builds messages is sent as is", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        chat: {
          task: "llm/v1/chat",
          endpointType: "EXTERNAL_MODEL",
          answer: () => ({ choices: [{ message: { role: "assistant", content: "ok" } }] }),
        },
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "chat",
      transformInputFn: async ({ prompt, ...rest }) => ({
        ...rest,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: prompt },
        ],
      }),
    });
    await llm.invoke("Q");
    expect(invocations(server)[0]?.json).toEqual({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Q" },
      ],
    });
  });

  it("explicit task skips the metadata request", async () => {
    server = await startFakeWorkspace({
      endpoints: { comp: { answer: () => ({ choices: [{ text: "t" }] }) } },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "comp",
      task: "llm/v1/completions",
    });
    expect(await llm.invoke("p")).toBe("t");
    expect(metadataCalls(server)).toHaveLength(0);
    expect(invocations(server)[0]?.json).toEqual({ prompt: "p" });
  });

  it.each([
    ["custom", { dataframe_records: [{ prompt: "p" }] }],
    ["llama2/chat", { dataframe_records: [{ prompt: "p" }] }],
  ])("explicit task %s uses the custom-model envelope", async (task, expected) => {
    server = await startFakeWorkspace({
      endpoints: {
        e: {
          answer: () =>
            task === "llama2/chat"
              ? predictions({ candidates: [{ text: "llama says" }] })
              : predictions("custom says"),
        },
      },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "e", task });
    expect(await llm.invoke("p")).toBe(task === "llama2/chat" ? "llama says" : "custom says");
    expect(invocations(server)[0]?.json).toEqual(expected);
    expect(metadataCalls(server)).toHaveLength(0);
  });

  it("llama2/chat honours transformOutputFn (Python ignored it)", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        e: { task: "llama2/chat", answer: () => predictions({ candidates: [{ text: "raw" }] }) },
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      transformOutputFn: (pred) => `wrapped:${JSON.stringify(pred)}`,
    });
    expect(await llm.invoke("p")).toBe('wrapped:{"candidates":[{"text":"raw"}]}');
  });

  it("transformOutputFn receives the whole response of OpenAI-style endpoints", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        c: {
          task: "llm/v1/completions",
          endpointType: "FOUNDATION_MODEL_API",
          answer: () => ({ choices: [{ text: "a" }], usage: { total_tokens: 3 } }),
        },
      },
    });
    let seen: unknown;
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "c",
      transformOutputFn: async (response) => {
        seen = response;
        return "done";
      },
    });
    expect(await llm.invoke("p")).toBe("done");
    expect(seen).toEqual({ choices: [{ text: "a" }], usage: { total_tokens: 3 } });
  });

  it("sampling params are not sent to custom models; modelKwargs are", async () => {
    server = await startFakeWorkspace({ endpoints: { dolly: { answer: () => predictions("x") } } });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "dolly",
      temperature: 0.5,
      maxTokens: 10,
      modelKwargs: { temperature: 0.1 },
    });
    await llm.invoke("p", { temperature: 0.9 });
    expect(invocations(server)[0]?.json).toEqual({
      dataframe_records: [{ prompt: "p", temperature: 0.1 }],
    });
  });

  it("never sends an empty stop list; call stop overrides instance stop", async () => {
    server = await startFakeWorkspace({
      endpoints: { dolly: { answer: () => predictions("a b c") } },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "dolly",
      stop: ["c"],
    });
    expect(await llm.invoke("p", { stop: [] })).toBe("a b ");
    expect(await llm.invoke("p", { stop: ["b"] })).toBe("a ");
    const bodies = invocations(server).map((r) => r.json);
    expect(bodies[0]).toEqual({ dataframe_records: [{ prompt: "p", stop: ["c"] }] });
    expect(bodies[1]).toEqual({ dataframe_records: [{ prompt: "p", stop: ["b"] }] });
  });

  it("sends the documented headers", async () => {
    server = await startFakeWorkspace({ endpoints: { dolly: { answer: () => predictions("x") } } });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "dolly" });
    await llm.invoke("p");
    const headers = invocations(server)[0]?.headers ?? {};
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toMatch(
      /^langchain-databricks\/\d+\.\d+\.\d+ node\/[\d.]+ os\/\w+ auth\/pat$/,
    );
  });

  it("encodes endpoint names in paths", async () => {
    server = await startFakeWorkspace({
      endpoints: { "my endpoint": { answer: () => predictions("x") } },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "my endpoint" });
    await llm.invoke("p");
    expect(invocations(server)[0]?.url).toBe("/serving-endpoints/my%20endpoint/invocations");
  });

  it("an unknown endpoint is a NotFound error that names the endpoint problem", async () => {
    server = await startFakeWorkspace({ endpoints: {} });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "missing" });
    await expect(llm.invoke("p")).rejects.toMatchObject({
      status: 404,
      errorCode: "RESOURCE_DOES_NOT_EXIST",
    });
  });

  it("batch runs every prompt and respects maxConcurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startFakeWorkspace({
      endpoints: {
        dolly: {
          task: "custom",
          answer: (body) =>
            predictions((body["dataframe_records"] as { prompt: string }[])[0]?.prompt),
        },
      },
      custom: async (request) => {
        if (request.url.endsWith("/invocations")) {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 30));
          inFlight--;
        }
        return false;
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "dolly",
      task: "custom",
      maxConcurrency: 2,
    });
    const out = await llm.batch(["a", "b", "c", "d", "e"]);
    expect(out).toEqual(["a", "b", "c", "d", "e"]);
    expect(peak).toBeLessThanOrEqual(2);
  });
});
