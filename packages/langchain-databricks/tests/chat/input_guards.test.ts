import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabricksAbortError } from "../../src/errors.js";
import { DatabricksEmbeddings } from "../../src/embeddings.js";
import {
  chatCompletion,
  chatModel,
  json,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

describe("ChatDatabricks input guards", () => {
  it("a fired signal or LangChain's timeout rejects with DatabricksAbortError", async () => {
    server.setHandler((_req, res) => {
      setTimeout(() => json(res, chatCompletion("late")), 2_000);
    });
    const chat = chatModel(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(chat.invoke("hi", { signal: controller.signal })).rejects.toBeInstanceOf(
      DatabricksAbortError,
    );
    await expect(chat.invoke("hi", { timeout: 50 })).rejects.toBeInstanceOf(DatabricksAbortError);
  });
});

describe("DatabricksEmbeddings input guards", () => {
  it("refuses conflicting endpoint and model", () => {
    expect(
      () =>
        new DatabricksEmbeddings({
          endpoint: "a",
          model: "b",
          host: server.url,
          token: TEST_TOKEN,
        }),
    ).toThrow(/two endpoints: `endpoint` \("a"\) and `model` \("b"\)/);
  });
});
