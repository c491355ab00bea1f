import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DatabricksEmbeddings, parseEmbeddingsResponse } from "../../src/embeddings.js";
import { DatabricksConfigError, DatabricksResponseError } from "../../src/errors.js";
import { json, sleep, startTestServer, TEST_TOKEN, type TestServer } from "../chat/helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

/** A deterministic vector for a text: [length, first char code]. */
const vec = (text: string): number[] => [text.length, text.charCodeAt(0) || 0];

/** Foundation-model style answers (`data[]`), shuffled to prove sorting by `index`. */
function foundationHandler(delayMs = 0) {
  return async (req: { body: Record<string, unknown> }, res: Parameters<typeof json>[0]) => {
    if (delayMs) await sleep(delayMs * Math.random());
    const input = req.body["input"] as string[];
    const data = input
      .map((t, index) => ({ object: "embedding", index, embedding: vec(t) }))
      .toReversed();
    json(res, { object: "list", model: "bge", data, usage: { prompt_tokens: 1, total_tokens: 1 } });
  };
}

const embeddings = (fields: Partial<ConstructorParameters<typeof DatabricksEmbeddings>[0]> = {}) =>
  new DatabricksEmbeddings({
    endpoint: "databricks-bge-large-en",
    host: server.url,
    token: TEST_TOKEN,
    retryBaseDelayMs: 1,
    ...fields,
  });

beforeEach(() => {
  server.requests.length = 0;
  server.setHandler(foundationHandler());
});

describe("DatabricksEmbeddings", () => {
  it("validates options", () => {
    expect(() => new DatabricksEmbeddings({ host: server.url, token: TEST_TOKEN })).toThrow(
      DatabricksConfigError,
    );
    expect(() => embeddings({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => embeddings({ inputFormat: "rows" as never })).toThrow(/inputFormat/);
    expect(embeddings({ endpoint: undefined, model: "alias" } as never).endpoint).toBe("alias");
  });

  it("embeds 45 texts in 3 requests of 20/20/5, in order, under concurrency", async () => {
    server.setHandler(foundationHandler(30));
    const texts = Array.from({ length: 45 }, (_, i) => `text number ${i}${"x".repeat(i)}`);
    const out = await embeddings({ maxConcurrency: 3 }).embedDocuments(texts);
    expect(out).toEqual(texts.map(vec));
    expect(server.requests.map((r) => (r.body["input"] as string[]).length)).toEqual(
      expect.arrayContaining([20, 20, 5]),
    );
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]?.path).toBe("/serving-endpoints/databricks-bge-large-en/invocations");
  });

  it("maxConcurrency bounds the requests in flight", async () => {
    const fresh = await startTestServer(foundationHandler(40));
    try {
      const model = new DatabricksEmbeddings({
        endpoint: "e",
        host: fresh.url,
        token: TEST_TOKEN,
        batchSize: 1,
        maxConcurrency: 2,
      });
      await model.embedDocuments(["a", "b", "c", "d", "e", "f"]);
      expect(fresh.maxInFlight()).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it("embedQuery uses queryParams, embedDocuments documentsParams", async () => {
    const model = embeddings({
      queryParams: { instruction: "Represent the query" },
      documentsParams: { instruction: "Represent the doc" },
    });
    expect(await model.embedQuery("hello")).toEqual(vec("hello"));
    await model.embedDocuments(["a", "b"]);
    expect(server.bodies()).toEqual([
      { instruction: "Represent the query", input: ["hello"] },
      { instruction: "Represent the doc", input: ["a", "b"] },
    ]);
  });

  it("no texts → no request", async () => {
    expect(await embeddings().embedDocuments([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it("retries a transient failure in the transport only", async () => {
    server.setHandler((req, res, n) =>
      n === 0
        ? json(res, { error_code: "TEMPORARILY_UNAVAILABLE", message: "x" }, 503)
        : foundationHandler()(req, res),
    );
    expect(await embeddings().embedQuery("hi")).toEqual(vec("hi"));
    expect(server.requests).toHaveLength(2);
  });

  describe("custom MLflow models", () => {
    const customHandler =
      (shape: "arrays" | "objects") =>
      (req: { body: Record<string, unknown> }, res: Parameters<typeof json>[0]) => {
        const rows =
          (req.body["inputs"] as string[] | undefined) ??
          (req.body["instances"] as string[] | undefined) ??
          (req.body["dataframe_records"] as Record<string, string>[]).map(
            (r) => r["text"] ?? r["input"] ?? "",
          );
        json(res, {
          predictions: rows.map((t) => (shape === "arrays" ? vec(t) : { embedding: vec(t) })),
        });
      };

    it("inputFormat: inputs → {inputs: batch}, params under `params`", async () => {
      server.setHandler(customHandler("arrays"));
      const out = await embeddings({
        inputFormat: "inputs",
        documentsParams: { normalize: true },
      }).embedDocuments(["ab", "c"]);
      expect(out).toEqual([vec("ab"), vec("c")]);
      expect(server.bodies()[0]).toEqual({ inputs: ["ab", "c"], params: { normalize: true } });
    });

    it("inputFormat: instances → {instances: batch}, answers as [{embedding}]", async () => {
      server.setHandler(customHandler("objects"));
      expect(await embeddings({ inputFormat: "instances" }).embedDocuments(["x"])).toEqual([
        vec("x"),
      ]);
      expect(server.bodies()[0]).toEqual({ instances: ["x"] });
    });

    it("inputFormat: dataframe_records → one record per text, column `input` or `inputColumn`", async () => {
      server.setHandler(customHandler("arrays"));
      await embeddings({ inputFormat: "dataframe_records" }).embedDocuments(["x", "yy"]);
      await embeddings({ inputFormat: "dataframe_records", inputColumn: "text" }).embedQuery("z");
      expect(server.bodies()).toEqual([
        { dataframe_records: [{ input: "x" }, { input: "yy" }] },
        { dataframe_records: [{ text: "z" }] },
      ]);
    });
  });

  describe("answer validation", () => {
    it("a count mismatch is a DatabricksResponseError", async () => {
      server.setHandler((_req, res) => json(res, { data: [{ index: 0, embedding: [1] }] }));
      await expect(embeddings().embedDocuments(["a", "b"])).rejects.toThrow(
        /returned 1 vector\(s\) for 2 text\(s\)/,
      );
    });

    it("wrong shapes are DatabricksResponseErrors", () => {
      expect(() => parseEmbeddingsResponse({ choices: [] }, 1)).toThrow(DatabricksResponseError);
      expect(() => parseEmbeddingsResponse([1, 2], 1)).toThrow(DatabricksResponseError);
      expect(() => parseEmbeddingsResponse({ data: [{ index: 0, embedding: "x" }] }, 1)).toThrow(
        /Embedding 0/,
      );
      expect(() => parseEmbeddingsResponse({ predictions: [[]] }, 1)).toThrow(
        DatabricksResponseError,
      );
      expect(() => parseEmbeddingsResponse({ predictions: "x" }, 1)).toThrow(
        DatabricksResponseError,
      );
      expect(() =>
        parseEmbeddingsResponse({ data: [{ index: 0, embedding: [1, null] }] }, 1),
      ).toThrow(DatabricksResponseError);
    });

    it("accepts {predictions: {embeddings: [...]}} and unindexed data", () => {
      expect(parseEmbeddingsResponse({ predictions: { embeddings: [[1, 2]] } }, 1)).toEqual([
        [1, 2],
      ]);
      expect(
        parseEmbeddingsResponse({ data: [{ embedding: [3] }, { embedding: [4] }] }, 2),
      ).toEqual([[3], [4]]);
    });
  });
});
