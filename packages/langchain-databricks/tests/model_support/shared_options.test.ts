/**
 * The model-support layer as the three classes share it: one name per option, aliases, refused
 * foreign options, read-only settings, the served model name in streams, and concurrency limits
 * for every class. Invalid values (numbers, reserved keys) are rows of tests/errors/bad_input.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatDatabricks } from "../../src/chat_models.js";
import { DatabricksEmbeddings } from "../../src/embeddings.js";
import { DatabricksConfigError } from "../../src/errors.js";
import { Databricks } from "../../src/llms.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";

const TOKEN = "dapi-model-support-0123456789";
let server: LoopbackServer;
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  server = await startLoopback(async (request, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 15));
    inFlight -= 1;
    const headers = { "served-model-name": "served-1" };
    const body = request.json as Record<string, unknown>;
    if (body["stream"] === true) {
      res.writeHead(200, { "content-type": "text/event-stream", ...headers });
      for (const piece of ["Hel", "lo"]) {
        res.write(
          `data: ${JSON.stringify({ model: "m", choices: [{ index: 0, delta: { content: piece }, text: piece }] })}\n\n`,
        );
      }
      res.end("data: [DONE]\n\n");
      return;
    }
    if (Array.isArray(body["input"])) {
      const data = (body["input"] as string[]).map((_t, index) => ({
        index,
        embedding: [index + 1, 0.5],
      }));
      sendJson(res, 200, { data }, headers);
      return;
    }
    if (Array.isArray(body["messages"])) {
      sendJson(
        res,
        200,
        {
          model: "m",
          choices: [
            { index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" },
          ],
        },
        headers,
      );
      return;
    }
    sendJson(res, 200, { choices: [{ index: 0, text: "done" }] }, headers);
  });
});
afterAll(() => server.close());

const connection = () => ({ host: server.url, token: TOKEN, retryBaseDelayMs: 1 });

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DatabricksConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a DatabricksConfigError");
}

describe("one endpoint option, with the same aliases, in every class", () => {
  it.each(["endpoint", "model", "endpointName"] as const)("`%s` names the endpoint", (key) => {
    const llm = new Databricks({ ...connection(), [key]: "e1", task: "llm/v1/completions" });
    const chat = new ChatDatabricks({ ...connection(), [key]: "e2" });
    const embeddings = new DatabricksEmbeddings({ ...connection(), [key]: "e3" });
    expect([llm.endpoint, chat.endpoint, embeddings.endpoint]).toEqual(["e1", "e2", "e3"]);
    expect([llm.endpointName, chat.model, embeddings.model]).toEqual(["e1", "e2", "e3"]);
  });

  it("refuses two different endpoints, in every class", () => {
    const fields = { ...connection(), endpoint: "a", model: "b" };
    for (const build of [
      () => new Databricks(fields),
      () => new ChatDatabricks(fields),
      () => new DatabricksEmbeddings(fields),
    ]) {
      expect(configError(build)).toMatch(/two endpoints: `endpoint` \("a"\) and `model` \("b"\)/);
    }
    // The same name twice is not a conflict.
    expect(new ChatDatabricks({ ...connection(), endpoint: "a", model: "a" }).endpoint).toBe("a");
  });
});

describe("options a class cannot use are refused, not ignored", () => {
  it.each([
    [
      "ChatDatabricks",
      () => new ChatDatabricks({ ...connection(), endpoint: "e", clusterId: "0101" } as never),
      /ChatDatabricks does not use `clusterId`: it is an option of Databricks/,
    ],
    [
      "DatabricksEmbeddings",
      () => new DatabricksEmbeddings({ ...connection(), endpoint: "e", temperature: 0 } as never),
      /DatabricksEmbeddings does not use `temperature`: it is an option of Databricks and ChatDatabricks/,
    ],
    [
      "Databricks",
      () => new Databricks({ ...connection(), endpoint: "e", streaming: true } as never),
      /Databricks does not use `streaming`: it is an option of ChatDatabricks/,
    ],
    [
      "ChatDatabricks",
      () => new ChatDatabricks({ ...connection(), endpoint: "e", batchSize: 4 } as never),
      /ChatDatabricks does not use `batchSize`: it is an option of Databricks and DatabricksEmbeddings/,
    ],
    [
      "Databricks",
      () => new Databricks({ ...connection(), endpoint: "e", batch_size: 4 } as never),
      /Unknown option `batch_size` \(the Python classes' name\): use `batchSize` instead/,
    ],
    [
      "ChatDatabricks",
      () => new ChatDatabricks({ ...connection(), endpoint: "e", max_tokens: 5 } as never),
      /Unknown option `max_tokens` \(the Python classes' name\): use `maxTokens` instead/,
    ],
    [
      "DatabricksEmbeddings",
      () => new DatabricksEmbeddings({ ...connection(), endpoint: "e", query_params: {} } as never),
      /use `queryParams` instead/,
    ],
  ])("%s", (_name, build, message) => {
    expect(configError(build)).toMatch(message);
  });
});

describe("settings are read-only and are what requests use", () => {
  it("exposes the settings it sends, defaults applied", async () => {
    const chat = new ChatDatabricks({
      ...connection(),
      endpoint: "e",
      temperature: 0.3,
      modelKwargs: { top_p: 0.5 },
    });
    expect(chat.temperature).toBe(0.3);
    expect(chat.extraParams).toEqual({ top_p: 0.5 });
    expect(chat.streamUsage).toBe(true);
    await chat.invoke("hi");
    expect(server.requests.at(-1)?.json).toMatchObject({ temperature: 0.3, top_p: 0.5 });
    const embeddings = new DatabricksEmbeddings({ ...connection(), endpoint: "e" });
    expect([embeddings.batchSize, embeddings.inputFormat, embeddings.inputColumn]).toEqual([
      20,
      "input",
      "input",
    ]);
  });

  it("refuses an assignment to a setting at run time too, in every class", () => {
    const llm = new Databricks({ ...connection(), endpoint: "e" });
    const chat = new ChatDatabricks({ ...connection(), endpoint: "e", temperature: 0.1 });
    const embeddings = new DatabricksEmbeddings({ ...connection(), endpoint: "e" });
    const writable =
      (target: object, key: string): (() => void) =>
      () => {
        (target as Record<string, unknown>)[key] = "changed";
      };
    for (const [model, keys] of [
      [
        llm,
        ["endpoint", "model", "endpointName", "temperature", "extraParams", "caller", "client"],
      ],
      [chat, ["endpoint", "model", "endpointName", "temperature", "streaming", "caller", "client"]],
      [embeddings, ["endpoint", "model", "endpointName", "batchSize", "inputFormat", "caller"]],
    ] as const) {
      for (const key of keys) expect(writable(model, key), key).toThrow(TypeError);
    }
    expect(chat.endpoint).toBe("e");
    expect(chat.temperature).toBe(0.1);
  });

  it("does not compile an assignment to a setting", () => {
    // Type-level check (tsc runs over the tests): the function is never called.
    const assign = (
      llm: Databricks,
      chat: ChatDatabricks,
      embeddings: DatabricksEmbeddings,
    ): void => {
      // @ts-expect-error a setting is read-only
      llm.endpoint = "other";
      // @ts-expect-error a setting is read-only
      chat.temperature = 1;
      // @ts-expect-error a setting is read-only
      embeddings.batchSize = 2;
    };
    expect(typeof assign).toBe("function");
  });

  it("records the package version in the LangChain metadata of both language models", () => {
    const llm = new Databricks({ ...connection(), endpoint: "e" });
    const chat = new ChatDatabricks({ ...connection(), endpoint: "e" });
    for (const model of [llm, chat]) {
      expect(model.metadata?.["versions"]).toHaveProperty("langchain-databricks");
    }
  });
});

describe("the served model name, in invoke and in streams", () => {
  it("Databricks: generationInfo.served_model_name for generate() and the first stream chunk", async () => {
    const llm = new Databricks({ ...connection(), endpoint: "e", task: "llm/v1/completions" });
    const result = await llm.generate(["x"]);
    expect(result.generations[0]?.[0]?.generationInfo?.["served_model_name"]).toBe("served-1");
    const chunks = [];
    for await (const chunk of llm._streamResponseChunks("x", {} as never)) chunks.push(chunk);
    expect(chunks.map((c) => c.text).join("")).toBe("Hello");
    expect(chunks[0]?.generationInfo).toEqual({ served_model_name: "served-1" });
  });

  it("ChatDatabricks: response_metadata.served_model_name for invoke and stream", async () => {
    const chat = new ChatDatabricks({ ...connection(), endpoint: "e" });
    expect((await chat.invoke("x")).response_metadata["served_model_name"]).toBe("served-1");
    let streamed: Record<string, unknown> = {};
    for await (const chunk of await chat.stream("x")) {
      streamed = { ...streamed, ...chunk.response_metadata };
    }
    expect(streamed["served_model_name"]).toBe("served-1");
  });
});

describe("maxConcurrency limits requests in every class", () => {
  it.each([1, 2])(
    "DatabricksEmbeddings keeps at most %i batch requests in flight, order kept",
    async (limit) => {
      peak = 0;
      const embeddings = new DatabricksEmbeddings({
        ...connection(),
        endpoint: "e",
        batchSize: 1,
        maxConcurrency: limit,
      });
      const vectors = await embeddings.embedDocuments(["a", "b", "c", "d", "e"]);
      expect(vectors).toHaveLength(5);
      expect(peak).toBeLessThanOrEqual(limit);
      expect(peak).toBe(limit);
    },
  );
});
