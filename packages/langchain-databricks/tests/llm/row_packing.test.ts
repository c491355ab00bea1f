import { afterEach, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { DatabricksConfigError, DatabricksResponseError } from "../../src/errors.js";
import { Databricks, type DatabricksInput } from "../../src/llms.js";
import {
  sendJson,
  startLoopback,
  type LoopbackServer,
  type RecordedRequest,
} from "../helpers/loopback.js";
import { TOKEN } from "./fake_workspace.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Row = Record<string, unknown>;

function rowsOf(request: RecordedRequest): Row[] {
  return ((request.json as { dataframe_records?: Row[] }).dataframe_records ?? []) as Row[];
}

/** A custom model answering one prediction per row: `echo:<prompt>`. */
function echoRows(request: RecordedRequest, res: ServerResponse): void {
  sendJson(res, 200, {
    predictions: rowsOf(request).map((row) => `echo:${String(row["prompt"])}`),
  });
}

async function customModel(
  handler: (request: RecordedRequest, res: ServerResponse) => void = echoRows,
  fields: DatabricksInput = {},
): Promise<Databricks> {
  server = await startLoopback(handler);
  return new Databricks({
    host: server.url,
    token: TOKEN,
    endpoint: "custom-model",
    task: "custom",
    maxRetries: 0,
    ...fields,
  });
}

const PROMPTS = ["a", "b", "c", "d", "e"];

describe("Databricks row packing: batchSize prompts as rows of one dataframe_records request", () => {
  it("batchSize 1 (the default) keeps one request per prompt", async () => {
    const llm = await customModel();
    expect(llm.batchSize).toBe(1);
    expect(await llm.batch(PROMPTS)).toEqual(PROMPTS.map((p) => `echo:${p}`));
    expect(server?.requests.map(rowsOf)).toHaveLength(5);
    expect(server?.requests.every((r) => rowsOf(r).length === 1)).toBe(true);
  });

  it("batch() packs up to batchSize prompts per request and keeps the input order", async () => {
    const llm = await customModel(echoRows, { batchSize: 2 });
    expect(await llm.batch(PROMPTS)).toEqual(PROMPTS.map((p) => `echo:${p}`));
    const sent = server?.requests.map((r) => rowsOf(r).map((row) => row["prompt"])) ?? [];
    expect(sent.toSorted((x, y) => String(x[0]).localeCompare(String(y[0])))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e"],
    ]);
  });

  it("generate() packs too; each generation keeps its own prediction and row", async () => {
    const llm = await customModel(echoRows, { batchSize: 3 });
    const result = await llm.generate(PROMPTS);
    expect(result.generations.map((g) => g[0]?.text)).toEqual(PROMPTS.map((p) => `echo:${p}`));
    expect(server?.requests).toHaveLength(2);
    expect(result.generations[4]?.[0]?.generationInfo).toEqual({
      prediction: "echo:e",
      row: 1,
      rows: 2,
    });
    expect(result.generations[1]?.[0]?.generationInfo).toEqual({
      prediction: "echo:b",
      row: 1,
      rows: 3,
    });
  });

  it("transformInputFn runs per row, transformOutputFn per prediction, stop per row", async () => {
    const inputs: Row[] = [];
    const outputs: unknown[] = [];
    const llm = await customModel(
      (request, res) =>
        sendJson(res, 200, {
          predictions: rowsOf(request).map((row) => ({ answer: `${String(row["q"])} X tail` })),
        }),
      {
        batchSize: 4,
        transformInputFn: (request) => {
          inputs.push(request);
          return { q: String(request["prompt"]).toUpperCase(), stop: request["stop"] };
        },
        transformOutputFn: (prediction) => {
          outputs.push(prediction);
          return (prediction as { answer: string }).answer;
        },
      },
    );
    expect(await llm.batch(["a", "b", "c"], { stop: ["X"] })).toEqual(["A ", "B ", "C "]);
    expect(inputs).toEqual([
      { prompt: "a", stop: ["X"] },
      { prompt: "b", stop: ["X"] },
      { prompt: "c", stop: ["X"] },
    ]);
    expect(outputs).toEqual([
      { answer: "A X tail" },
      { answer: "B X tail" },
      { answer: "C X tail" },
    ]);
    expect(server?.requests).toHaveLength(1);
    expect(rowsOf(server?.requests[0] as RecordedRequest)).toEqual([
      { q: "A", stop: ["X"] },
      { q: "B", stop: ["X"] },
      { q: "C", stop: ["X"] },
    ]);
  });

  it.each([
    [
      "too few",
      { predictions: ["only one"] },
      /answered 1 prediction\(s\) for a request of 2 rows/,
    ],
    ["too many", { predictions: ["1", "2", "3"] }, /answered 3 prediction\(s\) for a request of 2/],
    ["not a list", { predictions: "x" }, /"predictions" as a string .* request of 2 rows/],
    ["no predictions", { outputs: [] }, /an object with keys \[outputs\] for a request of 2/],
  ])(
    "predictions %s is a DatabricksResponseError, never a misalignment",
    async (_n, answer, message) => {
      const llm = await customModel((_request, res) => sendJson(res, 200, answer), {
        batchSize: 2,
      });
      const error = await llm.generate(["a", "b"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksResponseError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/set `batchSize: 1`/);
    },
  );

  it("a failed request fails only its own prompts with returnExceptions", async () => {
    const llm = await customModel(
      (request, res) => {
        if (rowsOf(request).some((row) => row["prompt"] === "bad")) {
          sendJson(res, 400, { error_code: "BAD_REQUEST", message: "model failed on a row" });
          return;
        }
        echoRows(request, res);
      },
      { batchSize: 2 },
    );
    const results = await llm.batch(
      ["a", "b", "c", "bad", "e", "f"],
      {},
      { returnExceptions: true },
    );
    expect(results.slice(0, 2)).toEqual(["echo:a", "echo:b"]);
    expect(results[2]).toBeInstanceOf(Error);
    expect(results[3]).toBeInstanceOf(Error);
    expect((results[2] as Error).message).toMatch(/model failed on a row/);
    expect(results.slice(4)).toEqual(["echo:e", "echo:f"]);
    // Without returnExceptions the batch rejects with that error.
    await expect(llm.batch(["a", "bad"])).rejects.toThrow(/model failed on a row/);
  });

  it("prompts with their own call options are only packed with prompts sharing them", async () => {
    const llm = await customModel(echoRows, { batchSize: 4 });
    const shared = { stop: ["Q"] };
    const other = { stop: ["R"] };
    expect(await llm.batch(["a", "b", "c"], [shared, shared, other])).toEqual([
      "echo:a",
      "echo:b",
      "echo:c",
    ]);
    const sent = (server?.requests ?? []).map((r) => rowsOf(r));
    expect(sent).toHaveLength(2);
    expect(sent).toContainEqual([
      { prompt: "a", stop: ["Q"] },
      { prompt: "b", stop: ["Q"] },
    ]);
    expect(sent).toContainEqual([{ prompt: "c", stop: ["R"] }]);
  });
});

/**
 * A custom model that holds each request until `release` requests wait (or a safety timer fires,
 * which only keeps a broken run from hanging), recording the most requests in flight at once.
 */
async function holdingModel(release: number, fields: DatabricksInput) {
  const held: (() => void)[] = [];
  const seen = { inFlight: 0, max: 0 };
  const llm = await customModel((request, res) => {
    seen.inFlight += 1;
    seen.max = Math.max(seen.max, seen.inFlight);
    held.push(() => {
      seen.inFlight -= 1;
      echoRows(request, res);
    });
    const flush = () => held.splice(0).forEach((answer) => answer());
    if (held.length >= release) flush();
    else setTimeout(flush, 2_000).unref();
  }, fields);
  return { llm, seen };
}

describe("Databricks row packing: concurrency", () => {
  const prompts = Array.from({ length: 12 }, (_, i) => `p${i}`);

  it("packed requests are in flight together, up to the instance maxConcurrency", async () => {
    const { llm, seen } = await holdingModel(3, { batchSize: 2, maxConcurrency: 3 });
    expect(await llm.batch(prompts)).toEqual(prompts.map((p) => `echo:${p}`));
    expect(server?.requests).toHaveLength(6);
    expect(seen.max).toBe(3);
  });

  it("generate() sends its packs through the same limiter", async () => {
    const { llm, seen } = await holdingModel(2, { batchSize: 3, maxConcurrency: 2 });
    const result = await llm.generate(prompts);
    expect(result.generations.map((g) => g[0]?.text)).toEqual(prompts.map((p) => `echo:${p}`));
    expect(server?.requests).toHaveLength(4);
    expect(seen.max).toBe(2);
  });

  it("batch's own maxConcurrency limits packed requests in flight", async () => {
    const { llm, seen } = await holdingModel(2, { batchSize: 2 });
    expect(await llm.batch(prompts, { maxConcurrency: 2 })).toEqual(
      prompts.map((p) => `echo:${p}`),
    );
    expect(server?.requests).toHaveLength(6);
    expect(seen.max).toBe(2);
  });
});

describe("Databricks row packing: which targets pack", () => {
  it("llm/v1/completions endpoints keep one request per prompt", async () => {
    server = await startLoopback((request, res) => {
      const prompt = String((request.json as Row)["prompt"]);
      sendJson(res, 200, { choices: [{ index: 0, text: `t:${prompt}` }] });
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      endpoint: "completions",
      task: "llm/v1/completions",
      batchSize: 8,
    });
    expect(await llm.batch(["a", "b", "c"])).toEqual(["t:a", "t:b", "t:c"]);
    expect(server.requests.map((r) => (r.json as Row)["prompt"])).toEqual(["a", "b", "c"]);
  });

  it("a custom model found through the endpoint metadata packs", async () => {
    const llm = await customModel(
      (request, res) => {
        if (request.method === "GET") sendJson(res, 200, { name: "custom-model" });
        else echoRows(request, res);
      },
      { task: undefined, batchSize: 4 },
    );
    expect(await llm.batch(["a", "b", "c"])).toEqual(["echo:a", "echo:b", "echo:c"]);
    expect(server?.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a driver app packs only with driverAppFormat: dataframe_records", async () => {
    server = await startLoopback((request, res) => {
      const rows = rowsOf(request);
      if (rows.length > 0)
        sendJson(res, 200, { predictions: rows.map((r) => `row:${String(r["prompt"])}`) });
      else sendJson(res, 200, `plain:${String((request.json as Row)["prompt"])}`);
    });
    const driver = {
      host: server.url,
      token: TOKEN,
      clusterId: "0101-abc",
      clusterDriverPort: 7777,
    };
    const plain = new Databricks({ ...driver, batchSize: 4 });
    expect(plain.driverAppFormat).toBe("prompt");
    expect(await plain.batch(["a", "b", "c"])).toEqual(["plain:a", "plain:b", "plain:c"]);
    expect(server.requests).toHaveLength(3);

    const scoring = new Databricks({
      ...driver,
      batchSize: 4,
      driverAppFormat: "dataframe_records",
    });
    expect(await scoring.batch(["a", "b", "c"])).toEqual(["row:a", "row:b", "row:c"]);
    expect(await scoring.invoke("d")).toBe("row:d");
    const packed = server.requests.slice(3);
    expect(packed.map((r) => r.url)).toEqual([
      "/driver-proxy-api/o/0/0101-abc/7777",
      "/driver-proxy-api/o/0/0101-abc/7777",
    ]);
    expect(packed.map((r) => rowsOf(r).length)).toEqual([3, 1]);
  });
});

describe("Databricks row packing: options are checked at construction", () => {
  const connection = { host: "http://127.0.0.1:9", token: TOKEN };
  it.each([0, -1, 1.5, Number.NaN])("batchSize %s is refused", (batchSize) => {
    expect(() => new Databricks({ ...connection, endpoint: "e", batchSize })).toThrow(
      new DatabricksConfigError(
        `Invalid batchSize: ${String(batchSize)}. Use an integer >= 1 (the number of inputs sent in one request).`,
      ),
    );
  });

  it("driverAppFormat must be known, and is for driver proxy apps only", () => {
    expect(
      () =>
        new Databricks({
          ...connection,
          clusterId: "c",
          clusterDriverPort: 7777,
          driverAppFormat: "rows" as never,
        }),
    ).toThrow(/Invalid driverAppFormat: "rows". Use "prompt" .* or "dataframe_records"/);
    expect(
      () => new Databricks({ ...connection, endpoint: "e", driverAppFormat: "dataframe_records" }),
    ).toThrow(/driverAppFormat applies to driver proxy apps only \(clusterDriverPort\): remove it/);
  });
});
