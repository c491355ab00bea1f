import { afterEach, describe, expect, it } from "vitest";
import { DatabricksAbortError, DatabricksResponseError } from "../../src/errors.js";
import { Databricks } from "../../src/llms.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";
import { predictions, startFakeWorkspace, TOKEN } from "./fake_workspace.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("Databricks: cancellation is per call and always a DatabricksError", () => {
  it("one caller's abort does not fail another call sharing the endpoint metadata request", async () => {
    server = await startLoopback((req, res) => {
      if (req.method === "GET") {
        setTimeout(() => sendJson(res, 200, { name: "e" }), 300);
        return;
      }
      sendJson(res, 200, predictions("ok"));
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "e" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const [aborted, other] = await Promise.allSettled([
      llm.invoke("a", { signal: controller.signal }),
      llm.invoke("b"),
    ]);
    expect(aborted.status).toBe("rejected");
    expect((aborted as PromiseRejectedResult).reason).toBeInstanceOf(DatabricksAbortError);
    expect(other).toEqual({ status: "fulfilled", value: "ok" });
    expect(server.requests.filter((r) => r.method === "GET")).toHaveLength(1);
  });

  it("invoke with an aborted signal, a fired signal, or LangChain's timeout rejects with DatabricksAbortError", async () => {
    server = await startLoopback((_req, res) => {
      setTimeout(() => sendJson(res, 200, predictions("late")), 2_000);
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
    });
    await expect(llm.invoke("x", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      DatabricksAbortError,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(llm.invoke("x", { signal: controller.signal })).rejects.toBeInstanceOf(
      DatabricksAbortError,
    );
    const started = Date.now();
    const timedOut = await llm.invoke("x", { timeout: 50 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(DatabricksAbortError);
    expect((timedOut as Error).message).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(1_500);
    // The already-aborted call never reached the server; the other two did, once each.
    expect(server.requests).toHaveLength(2);
  });

  it("stream with an aborted signal rejects with an AbortError and sends nothing", async () => {
    server = await startFakeWorkspace({ endpoints: { e: { answer: () => predictions("x") } } });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
    });
    // LangChain core checks the signal before the model runs and throws its own DOMException.
    const error = await (async () => {
      for await (const _chunk of await llm.stream("x", { signal: AbortSignal.abort() })) {
        // never reached
      }
    })().catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);
  });
});

describe("Databricks: a transform cancelled with the call is an abort, not a broken transform", () => {
  // A transform that does its own I/O may share the call's signal; when the caller cancels, its
  // AbortError is the cancellation, reported as every other one (not "transformInputFn threw").
  const abortWith = (signal: AbortSignal) =>
    new Promise<never>((_resolve, reject) => {
      const fire = () => reject(new DOMException("This operation was aborted", "AbortError"));
      if (signal.aborted) fire();
      else signal.addEventListener("abort", fire, { once: true });
    });

  it.each(["transformInputFn", "transformOutputFn"] as const)(
    "%s rejecting with the call's AbortError: DatabricksAbortError",
    async (name) => {
      server = await startLoopback((_req, res) => sendJson(res, 200, predictions("ok")));
      const controller = new AbortController();
      const cancelInside = () => {
        controller.abort();
        return abortWith(controller.signal);
      };
      const llm = new Databricks({
        host: server.url,
        token: TOKEN,
        endpointName: "e",
        task: "custom",
        [name]: cancelInside,
      });
      const caught = await llm.invoke("x", { signal: controller.signal }).catch((e: unknown) => e);
      expect(caught).toBeInstanceOf(DatabricksAbortError);
      expect((caught as Error).message).not.toMatch(/threw/);
      expect(server.requests).toHaveLength(name === "transformInputFn" ? 0 : 1);
    },
  );

  it("an AbortError while the call's signal has not fired is the transform's failure, wrapped", async () => {
    server = await startLoopback((_req, res) => sendJson(res, 200, predictions("ok")));
    const own = new DOMException("The transform's own fetch was aborted", "AbortError");
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
      transformOutputFn: () => Promise.reject(own),
    });
    const caught = await llm.invoke("x").catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(DatabricksResponseError);
    expect((caught as Error).message).toMatch(/transformOutputFn threw: The transform's own fetch/);
    expect((caught as Error).cause).toBe(own);
  });

  it("any other error of a transform is still wrapped, naming the transform", async () => {
    server = await startLoopback((_req, res) => sendJson(res, 200, predictions("ok")));
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
      transformOutputFn: () => Promise.reject(new Error("boom")),
    });
    await expect(llm.invoke("x")).rejects.toThrow(/transformOutputFn threw: boom/);
  });
});

describe("Databricks: generate() exposes the raw answer", () => {
  it("generationInfo has the endpoint's JSON and the served model name", async () => {
    server = await startFakeWorkspace({
      endpoints: {
        e: {
          task: "llm/v1/completions",
          endpointType: "FOUNDATION_MODEL_API",
          answer: () => ({ choices: [{ text: "hi" }], usage: { total_tokens: 4 } }),
        },
      },
    });
    const llm = new Databricks({ host: server.url, token: TOKEN, endpointName: "e" });
    const result = await llm.generate(["p1", "p2"]);
    expect(result.generations.map((g) => g[0]?.text)).toEqual(["hi", "hi"]);
    expect(result.generations[0]?.[0]?.generationInfo).toEqual({
      response: { choices: [{ text: "hi" }], usage: { total_tokens: 4 } },
      served_model_name: "model-1",
    });
  });
});

describe("Databricks: request fields", () => {
  it("driver apps get sampling parameters (instance and call) as model kwargs", async () => {
    server = await startFakeWorkspace({ driver: () => "ok" });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "c",
      clusterDriverPort: 7777,
      temperature: 0.2,
      maxTokens: 10,
    });
    await llm.invoke("p");
    await llm.invoke("p", { temperature: 0.7, maxTokens: 3 });
    expect(server.requests.map((r) => r.json)).toEqual([
      { prompt: "p", temperature: 0.2, max_tokens: 10 },
      { prompt: "p", temperature: 0.7, max_tokens: 3 },
    ]);
  });

  it("null values in modelKwargs never reach the wire", async () => {
    server = await startFakeWorkspace({ endpoints: { e: { answer: () => predictions("x") } } });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpointName: "e",
      task: "custom",
      modelKwargs: { top_k: null, top_p: 0.5 },
    });
    await llm.invoke("p", { modelKwargs: { seed: null } });
    expect(server.requests[0]?.json).toEqual({ dataframe_records: [{ prompt: "p", top_p: 0.5 }] });
  });
});
