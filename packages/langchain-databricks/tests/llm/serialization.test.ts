import { inspect } from "node:util";
import { load } from "@langchain/core/load";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Databricks } from "../../src/llms.js";

const TOKEN = "dapi-serialization-secret-000111";
const SECRET = "oauth-client-secret-serialization-999";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("Databricks serialization", () => {
  it("_llmType is databricks and the id names the class", () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: TOKEN,
      endpointName: "chat",
      temperature: 0.1,
    });
    expect(llm._llmType()).toBe("databricks");
    const json = llm.toJSON();
    expect(json.id).toEqual(["langchain", "llms", "databricks", "Databricks"]);
  });

  it("masks the token and client secret as secret references", () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      clientId: "sp-app",
      clientSecret: SECRET,
      endpointName: "chat",
    });
    const text = JSON.stringify(llm);
    expect(text).not.toContain(SECRET);
    expect(text).toContain('"id":["DATABRICKS_CLIENT_SECRET"]');
    const pat = JSON.stringify(
      new Databricks({ host: "https://w.cloud.databricks.com", token: TOKEN, endpointName: "e" }),
    );
    expect(pat).not.toContain(TOKEN);
    expect(pat).toContain('"id":["DATABRICKS_TOKEN"]');
    const alias = JSON.stringify(
      new Databricks({
        host: "https://w.cloud.databricks.com",
        apiToken: TOKEN,
        endpointName: "e",
      }),
    );
    expect(alias).not.toContain(TOKEN);
  });

  it("round-trips through LangChain's load with the secret from secretsMap", async () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: TOKEN,
      endpointName: "chat",
      temperature: 0.1,
      maxTokens: 64,
      modelKwargs: { top_p: 0.9 },
    });
    const loaded = await load<Databricks>(JSON.stringify(llm), {
      secretsMap: { DATABRICKS_TOKEN: TOKEN },
      importMap: { llms__databricks: { Databricks } },
    });
    expect(loaded).toBeInstanceOf(Databricks);
    expect(loaded.endpointName).toBe("chat");
    expect(loaded.temperature).toBe(0.1);
    expect(loaded.maxTokens).toBe(64);
    expect(loaded.modelKwargs).toEqual({ top_p: 0.9 });
    expect(loaded.client.host).toBe("https://w.cloud.databricks.com");
  });

  it("round-trips driver proxy mode", async () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: TOKEN,
      clusterId: "0101-abc",
      clusterDriverPort: 7777,
    });
    const loaded = await load<Databricks>(JSON.stringify(llm), {
      secretsMap: { DATABRICKS_TOKEN: TOKEN },
      importMap: { llms__databricks: { Databricks } },
    });
    expect(loaded.clusterId).toBe("0101-abc");
    expect(loaded.clusterDriverPort).toBe("7777");
  });

  it("does not serialise functions, and loading such a config fails clearly", async () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: TOKEN,
      endpointName: "chat",
      transformInputFn: (request) => request,
      transformOutputFn: (response) => String(response),
    });
    const text = JSON.stringify(llm);
    expect(text).not.toContain("=>");
    expect(text).toContain("transform_input_fn");
    await expect(
      load(text, {
        secretsMap: { DATABRICKS_TOKEN: TOKEN },
        importMap: { llms__databricks: { Databricks } },
      }),
    ).rejects.toThrow(/transformInputFn cannot be serialized/);
  });

  it("never exposes the token through inspection-friendly fields", () => {
    const llm = new Databricks({
      host: "https://w.cloud.databricks.com",
      token: TOKEN,
      endpointName: "e",
    });
    expect(JSON.stringify(llm._identifyingParams())).not.toContain(TOKEN);
    expect(JSON.stringify(llm.invocationParams())).not.toContain(TOKEN);
    expect(Object.values(llm).some((v) => v === TOKEN)).toBe(false);
    expect(JSON.stringify(llm.lc_kwargs)).not.toContain(TOKEN);
    expect(inspect(llm, { depth: 6 })).not.toContain(TOKEN);
  });
});
