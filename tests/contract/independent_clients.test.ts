/**
 * Clients we did not write, against the emulator we did: Databricks' own JavaScript SDK
 * (`@databricks/sdk-experimental`: unified auth, OAuth M2M discovery and token, serving-endpoint
 * get/query, SCIM) and LangChain's OpenAI integration pointed at `{host}/serving-endpoints`. If the
 * emulator and our client shared a private misunderstanding, these would disagree with it.
 * (`openai` npm client contract tests live in tests/emulator/openai_contract.test.ts.)
 */
import { Config, WorkspaceClient } from "@databricks/sdk-experimental";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DEFAULT_OAUTH_CLIENT,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { ChatDatabricks, Databricks } from "langchain-databricks";

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator(); // the documented defaults: PAT, OAuth client, demo endpoints
});
afterAll(async () => {
  await emulator.close();
});

const oauthConfig = () =>
  new Config({
    host: emulator.url,
    clientId: DEFAULT_OAUTH_CLIENT.clientId,
    clientSecret: DEFAULT_OAUTH_CLIENT.clientSecret,
    authType: "oauth-m2m",
  });

describe("Databricks' JavaScript SDK against the emulator", () => {
  it("OAuth M2M: the SDK discovers the token endpoint and gets a token the emulator accepts", async () => {
    const headers = new Headers();
    await oauthConfig().authenticate(headers);
    const authorization = headers.get("authorization") ?? "";
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await fetch(`${emulator.url}/api/2.0/serving-endpoints`, {
      headers: { Authorization: authorization },
    });
    expect(res.status).toBe(200);
  });

  it("WorkspaceClient reads endpoints, queries a custom model and reads the current user", async () => {
    const ws = new WorkspaceClient({ host: emulator.url, token: emulator.token, authType: "pat" });
    const endpoint = await ws.servingEndpoints.get({ name: "databricks-llama" });
    expect(endpoint).toMatchObject({
      name: "databricks-llama",
      task: "llm/v1/chat",
      state: { ready: "READY" },
    });
    const answer = await ws.servingEndpoints.query({
      name: "dolly",
      dataframe_records: [{ prompt: "How are you?" }],
    });
    expect(answer.predictions).toEqual(["I am fine. Thank you for asking."]);
    expect((await ws.currentUser.me()).userName).toBeTruthy();
  });

  it("an SDK Config works as our `credentials` option (Azure/GCP/CLI auth path)", async () => {
    const llm = new Databricks({
      host: emulator.url,
      credentials: oauthConfig(),
      endpointName: "dolly",
    });
    expect(await llm.invoke("How are you?")).toBe("I am fine. Thank you for asking.");
    const chat = new ChatDatabricks({
      host: emulator.url,
      credentials: oauthConfig(),
      model: "databricks-llama",
    });
    expect((await chat.invoke("Tell me about Paris")).text).toMatch(/Paris/);
  });
});

describe("@langchain/openai pointed at the emulator's OpenAI-compatible routes", () => {
  const configuration = () => ({ baseURL: `${emulator.url}/serving-endpoints` });

  it("ChatOpenAI invokes, streams and calls tools", async () => {
    const chat = new ChatOpenAI({
      model: "databricks-llama",
      apiKey: emulator.token,
      configuration: configuration(),
      maxRetries: 0,
    });
    expect((await chat.invoke("Tell me about Paris")).text).toMatch(/\S/);
    let streamed = "";
    for await (const chunk of await chat.stream("Tell me about Paris")) streamed += chunk.text;
    expect(streamed).toMatch(/\S/);
    const withTool = chat.bindTools(
      [
        {
          name: "get_weather",
          description: "Weather for a city",
          schema: z.object({ city: z.string() }),
        },
      ],
      { tool_choice: "get_weather" },
    );
    const reply = await withTool.invoke("Weather in Paris?");
    expect(reply.tool_calls?.[0]?.name).toBe("get_weather");
  });

  it("ChatOpenAI on the Responses API: a ResponsesAgent tool loop; FMAPI refuses echoed null fields", async () => {
    const responsesChat = (model: string) =>
      new ChatOpenAI({
        model,
        apiKey: emulator.token,
        useResponsesApi: true,
        configuration: configuration(),
        maxRetries: 0,
      }).bindTools([
        {
          name: "get_weather",
          description: "Weather for a city",
          schema: z.object({ city: z.string() }),
        },
      ]);
    const question = new HumanMessage("What is the weather in Paris?");
    const agent = responsesChat("responses-agent");
    const call = await agent.invoke([question]);
    expect(call.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
    const result = new ToolMessage({
      tool_call_id: call.tool_calls?.[0]?.id ?? "",
      content: "18C",
    });
    expect((await agent.invoke([question, call, result])).text).toContain("18C");
    // @langchain/openai echoes `encrypted_content: null` and `status`, which FMAPI refuses
    // (modern-serving.md §3.2): the reason databricks-langchain strips them.
    const gpt = responsesChat("databricks-gpt-5");
    const gptCall = await gpt.invoke([question]);
    expect(gptCall.tool_calls?.[0]?.name).toBe("get_weather");
    const echoed = new ToolMessage({
      tool_call_id: gptCall.tool_calls?.[0]?.id ?? "",
      content: "18C",
    });
    await expect(gpt.invoke([question, gptCall, echoed])).rejects.toMatchObject({ status: 400 });
  });

  it("OpenAIEmbeddings embeds through /serving-endpoints/embeddings", async () => {
    const embeddings = new OpenAIEmbeddings({
      model: "databricks-embeddings",
      apiKey: emulator.token,
      configuration: configuration(),
      maxRetries: 0,
    });
    const [a, b] = await embeddings.embedDocuments(["the lakehouse", "a lakehouse"]);
    expect(a?.length).toBeGreaterThan(0);
    expect(a?.length).toBe(b?.length);
  });
});
