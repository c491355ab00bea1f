/** `useAiGateway: true`: the AI Gateway's MLflow routes (modern-serving §6.1, §6.2, Q3). */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DatabricksEmbeddings } from "../../src/embeddings.js";
import { DatabricksConfigError, DatabricksNotFoundError } from "../../src/errors.js";
import { Databricks } from "../../src/llms.js";
import {
  chatCompletion,
  chatModel,
  json,
  sse,
  TEST_TOKEN,
  textChunks,
  useTestServer,
} from "./helpers.js";
import { collect, merge, messageItem, response } from "./responses_helpers.js";

const server = useTestServer(() => (request, res) => {
  if (request.path.endsWith("/embeddings")) {
    const input = request.body["input"] as string[];
    return json(res, {
      object: "list",
      data: input.map((_text, index) => ({ object: "embedding", index, embedding: [index, 1] })),
    });
  }
  if (request.path.endsWith("/responses")) return json(res, response([messageItem("Hi")]));
  if (request.body["stream"] === true) return sse(res, textChunks(["He", "llo"]));
  return json(res, chatCompletion("Hello"));
});

const weather = {
  name: "get_weather",
  description: "Weather",
  schema: z.object({ c: z.string() }),
};

describe("useAiGateway", () => {
  it("chat goes to /ai-gateway/mlflow/v1/chat/completions with the endpoint in model", async () => {
    const chat = chatModel(server, { model: "system.ai.claude-sonnet-4-5", useAiGateway: true });
    expect((await chat.invoke("hi")).text).toBe("Hello");
    expect(merge(await collect(await chat.stream("hi"))).text).toBe("Hello");
    expect(server.requests.map((r) => r.path)).toEqual([
      "/ai-gateway/mlflow/v1/chat/completions",
      "/ai-gateway/mlflow/v1/chat/completions",
    ]);
    expect(server.bodies()[0]).toEqual({
      model: "system.ai.claude-sonnet-4-5",
      messages: [{ role: "user", content: "hi" }],
    });
  });

  it("never sends tool strict or store there, even for GPT models", async () => {
    for (const useResponsesApi of [false, true]) {
      await chatModel(server, {
        model: "databricks-gpt-5",
        useAiGateway: true,
        useResponsesApi,
        extraParams: { store: false },
      })
        .bindTools([weather], { strict: true })
        .invoke("hi");
    }
    const [chatBody, responsesBody] = server.bodies() as {
      tools: Record<string, unknown>[];
    }[];
    expect(chatBody).not.toHaveProperty("store");
    expect(chatBody?.tools[0]?.["function"]).not.toHaveProperty("strict");
    expect(responsesBody).not.toHaveProperty("store");
    expect(responsesBody?.tools[0]).not.toHaveProperty("strict");
    expect(responsesBody?.tools[0]).toMatchObject({ type: "function", name: "get_weather" });
  });

  it("Responses go to /ai-gateway/mlflow/v1/responses (the Supervisor API)", async () => {
    const chat = chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      useAiGateway: true,
      useResponsesApi: true,
    });
    expect((await chat.invoke("hi")).text).toBe("Hi");
    expect(server.requests[0]?.path).toBe("/ai-gateway/mlflow/v1/responses");
    expect(server.bodies()[0]).toEqual({
      model: "databricks-claude-sonnet-4-5",
      input: [{ role: "user", content: "hi" }],
    });
  });

  it("Supervisor API hosted tools pass through bindTools unchanged beside function tools", async () => {
    const genie = {
      type: "genie_space",
      genie_space: { id: "space-1", description: "Sales data" },
    };
    await chatModel(server, {
      model: "databricks-claude-sonnet-4-5",
      useAiGateway: true,
      useResponsesApi: true,
    })
      .bindTools([genie, weather])
      .invoke("hi");
    const tools = server.bodies()[0]?.["tools"] as Record<string, unknown>[];
    expect(tools[0]).toEqual(genie);
    expect(tools[1]).toMatchObject({ type: "function", name: "get_weather" });
  });

  it("DatabricksEmbeddings go to /ai-gateway/mlflow/v1/embeddings with model", async () => {
    const embeddings = new DatabricksEmbeddings({
      endpoint: "databricks-gte-large-en",
      host: server.url,
      token: TEST_TOKEN,
      useAiGateway: true,
    });
    expect(await embeddings.embedDocuments(["a", "b"])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(server.requests[0]?.path).toBe("/ai-gateway/mlflow/v1/embeddings");
    expect(server.bodies()[0]).toEqual({ model: "databricks-gte-large-en", input: ["a", "b"] });
    expect(
      () =>
        new DatabricksEmbeddings({
          endpoint: "e",
          host: server.url,
          token: TEST_TOKEN,
          useAiGateway: true,
          inputFormat: "dataframe_records",
        }),
    ).toThrow(DatabricksConfigError);
  });

  it("the default routes are unchanged", async () => {
    await chatModel(server).invoke("hi");
    expect(server.requests[0]?.path).toBe("/serving-endpoints/my-endpoint/invocations");
    expect(server.bodies()[0]).not.toHaveProperty("model");
  });

  it("a workspace without the gateway (404 ENDPOINT_NOT_FOUND) gets a hint to unset useAiGateway", async () => {
    server.setHandler((_req, res) =>
      json(res, { error_code: "ENDPOINT_NOT_FOUND", message: "Invalid path" }, 404),
    );
    const error = await chatModel(server, { useAiGateway: true })
      .invoke("hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksNotFoundError);
    expect((error as Error).message).toContain("AI Gateway is not enabled on this workspace");
    expect((error as Error).message).toContain("unset `useAiGateway`");
    expect((error as Error).message).not.toContain(TEST_TOKEN);
  });

  it("the Databricks LLM refuses useAiGateway, naming the classes that have it", () => {
    expect(
      () =>
        new Databricks({
          endpointName: "e",
          host: server.url,
          token: TEST_TOKEN,
          useAiGateway: true,
        } as never),
    ).toThrow(
      /Databricks does not use `useAiGateway`: it is an option of ChatDatabricks and DatabricksEmbeddings/,
    );
  });
});
