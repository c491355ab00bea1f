/**
 * Every example of the seed notebook (LangChain's Databricks LLM page), rewritten in TypeScript and
 * run against a loopback workspace that records the wire traffic. Each test names the Python cell
 * it mirrors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Databricks } from "../../src/llms.js";
import type { LoopbackServer } from "../helpers/loopback.js";
import { startFakeWorkspace, TOKEN } from "./fake_workspace.js";

let server: LoopbackServer;
const CLUSTER = "0000-000000-xxxxxxxx";

/** A dolly-like custom model: answers depend on the prompt and honour stop, as the notebook shows. */
function dollyAnswer(record: Record<string, unknown>): string {
  const prompt = String(record["prompt"]);
  let text = prompt.includes("Be Concise")
    ? "I’m Excellent. You?"
    : record["temperature"] === 0.1
      ? "I am fine."
      : "I am happy to hear that you are in good health and as always, you are appreciated.";
  const stop = record["stop"] as string[] | undefined;
  for (const s of stop ?? []) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}

beforeAll(async () => {
  server = await startFakeWorkspace({
    endpoints: {
      dolly: {
        answer: (body) => {
          const records = body["dataframe_records"] as Record<string, unknown>[];
          return { predictions: records.map(dollyAnswer) };
        },
      },
    },
    driver: (body) => {
      const prompt = String(body["prompt"]);
      if (prompt.includes("Be Concise")) return "I am doing great thank you.";
      if (body["temperature"] === 0.1) return "I am very well. It is a pleasure to meet you.";
      return "Hello, thank you for asking. It is wonderful to hear that you are well.";
    },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  vi.unstubAllEnvs();
  // In a notebook the host and token come from the context; here from the environment.
  vi.stubEnv("DATABRICKS_HOST", server.url);
  vi.stubEnv("DATABRICKS_TOKEN", TOKEN);
});

const lastBody = () => server.requests.filter((r) => r.method === "POST").at(-1)?.json;

describe("Wrapping a serving endpoint", () => {
  it('llm = Databricks(endpoint_name="dolly"); llm("How are you?")', async () => {
    const llm = new Databricks({ endpointName: "dolly" });
    expect(await llm.invoke("How are you?")).toBe(
      "I am happy to hear that you are in good health and as always, you are appreciated.",
    );
    expect(lastBody()).toEqual({ dataframe_records: [{ prompt: "How are you?" }] });
  });

  it('llm("How are you?", stop=["."])', async () => {
    const llm = new Databricks({ endpointName: "dolly" });
    expect(await llm.invoke("How are you?", { stop: ["."] })).toBe(
      "I am happy to hear that you are in good health and as always, you are appreciated",
    );
    expect(lastBody()).toEqual({ dataframe_records: [{ prompt: "How are you?", stop: ["."] }] });
  });

  it('os.environ["DATABRICKS_TOKEN"] = …; Databricks(host="myworkspace…", endpoint_name="dolly")', async () => {
    // The notebook passes a bare hostname; ours is a loopback URL with an explicit http:// scheme.
    const llm = new Databricks({ host: server.url, endpointName: "dolly" });
    expect(await llm.invoke("How are you?")).toContain("I am happy");
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('Databricks(endpoint_name="dolly", model_kwargs={"temperature": 0.1})', async () => {
    const llm = new Databricks({ endpointName: "dolly", modelKwargs: { temperature: 0.1 } });
    expect(await llm.invoke("How are you?")).toBe("I am fine.");
    expect(lastBody()).toEqual({
      dataframe_records: [{ prompt: "How are you?", temperature: 0.1 }],
    });
  });

  it('Databricks(endpoint_name="dolly", transform_input_fn=transform_input)', async () => {
    const transformInput = (request: Record<string, unknown>) => ({
      ...request,
      prompt: `${String(request["prompt"])}\nBe Concise.\n`,
    });
    const llm = new Databricks({ endpointName: "dolly", transformInputFn: transformInput });
    expect(await llm.invoke("How are you?")).toBe("I’m Excellent. You?");
    expect(lastBody()).toEqual({ dataframe_records: [{ prompt: "How are you?\nBe Concise.\n" }] });
  });
});

describe("Wrapping a cluster driver proxy app", () => {
  it('Databricks(cluster_driver_port="7777") with the cluster from the environment', async () => {
    vi.stubEnv("DATABRICKS_CLUSTER_ID", CLUSTER);
    const llm = new Databricks({ clusterDriverPort: "7777" });
    expect(await llm.invoke("How are you?")).toBe(
      "Hello, thank you for asking. It is wonderful to hear that you are well.",
    );
    expect(server.requests.at(-1)?.url).toBe(`/driver-proxy-api/o/0/${CLUSTER}/7777`);
  });

  it('Databricks(cluster_id="0000-000000-xxxxxxxx", cluster_driver_port="7777")', async () => {
    const llm = new Databricks({ clusterId: CLUSTER, clusterDriverPort: "7777" });
    expect(await llm.invoke("How are you?")).toContain("Hello, thank you for asking.");
    expect(lastBody()).toEqual({ prompt: "How are you?" });
  });

  it('Databricks(cluster_driver_port="7777", model_kwargs={"temperature": 0.1})', async () => {
    vi.stubEnv("DATABRICKS_CLUSTER_ID", CLUSTER);
    const llm = new Databricks({ clusterDriverPort: "7777", modelKwargs: { temperature: 0.1 } });
    expect(await llm.invoke("How are you?")).toBe("I am very well. It is a pleasure to meet you.");
    expect(lastBody()).toEqual({ prompt: "How are you?", temperature: 0.1 });
  });

  it('Databricks(cluster_driver_port="7777", transform_input_fn=…, transform_output_fn=…)', async () => {
    vi.stubEnv("DATABRICKS_CLUSTER_ID", CLUSTER);
    const llm = new Databricks({
      clusterDriverPort: "7777",
      transformInputFn: (request) => ({
        ...request,
        prompt: `${String(request["prompt"])}\nBe Concise.\n`,
      }),
      transformOutputFn: (response) => String(response).toUpperCase(),
    });
    expect(await llm.invoke("How are you?")).toBe("I AM DOING GREAT THANK YOU.");
  });
});
