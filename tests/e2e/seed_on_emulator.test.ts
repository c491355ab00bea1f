/**
 * The seed notebook end to end on real servers: the workspace emulator, and a driver proxy app
 * started with serveDriverProxyApp behind the emulator's driver proxy route.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runSeedNotebook, type SeedCell } from "../../examples/seed_notebook.js";
import { serveDriverProxyApp, type DriverProxyApp } from "langchain-databricks/driver-proxy";
import { defaultEmulatorOptions, startEmulator } from "databricks-serving-emulator";
import type { EmulatorHandle } from "databricks-serving-emulator";
import { Databricks } from "langchain-databricks";

let emulator: EmulatorHandle;
let app: DriverProxyApp;
const received: { prompt: string; options: Record<string, unknown> }[] = [];

beforeAll(async () => {
  // A driver app whose model answers from the prompt, so each cell's effect is visible.
  app = await serveDriverProxyApp({
    model: (prompt, options) => {
      received.push({ prompt, options });
      return `Hello. You said: ${prompt.trim()}`;
    },
    port: 0,
    host: "127.0.0.1",
    log: () => undefined,
    warn: () => undefined,
  });
  emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    driverApps: [{ clusterId: "0000-000000-xxxxxxxx", port: "7777", target: app.url }],
    log: () => undefined,
  });
  vi.stubEnv("DATABRICKS_HOST", emulator.url);
  vi.stubEnv("DATABRICKS_TOKEN", emulator.token);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator.close();
  await app.close();
});

describe("seed notebook on the emulator", () => {
  it("runs all nine cells with the answers each option implies", async () => {
    const cells: SeedCell[] = await runSeedNotebook();
    expect(cells).toHaveLength(9);
    const answers = cells.map((c) => c.answer);
    // Serving endpoint `dolly` (custom model, n-gram backend): deterministic, stop honoured.
    expect(answers[0]).toBe("I am fine. Thank you for asking.");
    expect(answers[1]).toBe("I am fine");
    expect(answers[2]).toBe(answers[0]);
    expect(answers[3]).toMatch(/\S/);
    expect(answers[4]).toMatch(/\S/);
    // Driver proxy app: the request body reached the app through the emulator's proxy route.
    expect(answers[5]).toBe("Hello. You said: How are you?");
    expect(answers[6]).toBe("Hello. You said: How are you?");
    expect(answers[7]).toBe("Hello. You said: How are you?");
    expect(answers[8]).toBe("HELLO. YOU SAID: HOW ARE YOU?\nBE CONCISE.");
    expect(received[2]?.options).toMatchObject({ temperature: 0.1 });
    expect(received[3]?.prompt).toBe("How are you?\nBe Concise.\n");
  });

  it("stop reaches the driver app and is applied", async () => {
    const llm = new Databricks({ clusterId: "0000-000000-xxxxxxxx", clusterDriverPort: 7777 });
    expect(await llm.invoke("How are you?", { stop: ["."] })).toBe("Hello");
    expect(received.at(-1)?.options).toMatchObject({ stop: ["."] });
  });

  it("chat and completions foundation endpoints work through the LLM class", async () => {
    const chat = new Databricks({ endpointName: "databricks-llama" });
    expect(await chat.invoke("Tell me about Paris")).toMatch(/\S/);
    const completions = new Databricks({ endpointName: "databricks-completions", maxTokens: 5 });
    const text = await completions.invoke("How are you?");
    expect(text.split(/\s+/).length).toBeLessThanOrEqual(6);
    const chunks: string[] = [];
    for await (const chunk of await completions.stream("How are you?")) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(text);
  });

  it("OAuth M2M against the emulator's token endpoint", async () => {
    const llm = new Databricks({
      host: emulator.url,
      clientId: "emulator-client",
      clientSecret: "emulator-secret-0000000000000000",
      authType: "oauth-m2m",
      endpointName: "dolly",
    });
    expect(await llm.invoke("How are you?")).toBe("I am fine. Thank you for asking.");
  });
});
