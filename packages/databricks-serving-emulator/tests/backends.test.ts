import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert as fcAssert, asyncProperty, integer, string } from "fast-check";
import OpenAI, { type APIError } from "openai";
import { describe, expect, it } from "vitest";
import {
  createNgramBackend,
  defaultEmulatorOptions,
  hashEmbed,
  loadEmulatorConfig,
  type BackendRequest,
} from "../src/index.js";
import { countTokens } from "../src/text.js";
import { cosine, emulator, postJson } from "./helpers.js";

function completion(prompt: string, extra: Partial<BackendRequest> = {}): BackendRequest {
  return {
    kind: "completion",
    endpoint: "t",
    prompt,
    messages: [],
    input: [],
    n: 1,
    stop: [],
    tools: [],
    body: {},
    ...extra,
  };
}

async function texts(request: BackendRequest, seed?: number): Promise<string[]> {
  const backend = createNgramBackend(seed === undefined ? {} : { seed });
  const out = await backend.generate?.(request);
  if (typeof out !== "object" || Array.isArray(out)) throw new Error("unexpected output");
  return (out.choices ?? []).map((c) => c.text ?? "");
}

describe("ngram backend", () => {
  it("is deterministic per prompt and seed, greedy at temperature 0", async () => {
    const prompts = ["How are you?", "Tell me a joke", "What is Databricks?", "zzz qqq"];
    for (const prompt of prompts) {
      for (const temperature of [0, 0.7, 1.5]) {
        const req = completion(prompt, { temperature });
        expect(await texts(req)).toEqual(await texts(req));
      }
    }
    expect(await texts(completion("How are you?", { temperature: 0 }))).toEqual([
      "I am fine. Thank you for asking.",
    ]);
    expect(await texts(completion("Good morning!", { temperature: 0 }))).toEqual([
      "Good morning! I hope your day is off to a good start.",
    ]);
    const seeds = new Set<string>();
    for (let seed = 0; seed < 12; seed++)
      seeds.add((await texts(completion("How are you?", { seed })))[0] ?? "");
    expect(seeds.size).toBeGreaterThan(1);
  });

  it("honours max_tokens (words and punctuation) for any prompt", async () => {
    await fcAssert(
      asyncProperty(
        string({ maxLength: 40 }),
        integer({ min: 0, max: 12 }),
        async (prompt, maxTokens) => {
          const [text] = await texts(completion(prompt, { maxTokens }));
          expect(countTokens(text ?? "")).toBeLessThanOrEqual(maxTokens);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("n gives distinct choices; endings are sentence ends", async () => {
    const out = await texts(completion("How are you?", { n: 4, temperature: 0 }));
    expect(out).toHaveLength(4);
    expect(new Set(out).size).toBe(4);
    for (const t of out) expect(t).toMatch(/[.!?]$/);
  });
});

describe("backends through the server", () => {
  it("stop and max_tokens are enforced for every backend", async () => {
    const h = await emulator({
      endpoints: [
        {
          name: "echo",
          task: "llm/v1/completions",
          endpointType: "EXTERNAL_MODEL",
          backend: { type: "echo" },
        },
      ],
    });
    const res = await postJson(h, "/serving-endpoints/echo/invocations", {
      prompt: "one two three. four five",
      stop: ["."],
    });
    expect(await res.json()).toMatchObject({
      choices: [{ text: "one two three", finish_reason: "stop" }],
    });
    const capped = await postJson(h, "/serving-endpoints/echo/invocations", {
      prompt: "one two three",
      max_tokens: 2,
    });
    expect(await capped.json()).toMatchObject({
      choices: [{ text: "one two", finish_reason: "length" }],
    });
  });

  it("scripted (list and map) and function backends", async () => {
    const h = await emulator({
      endpoints: [
        {
          name: "list",
          task: "llm/v1/chat",
          endpointType: "FOUNDATION_MODEL_API",
          backend: { type: "scripted", answers: ["a", "b"] },
        },
        { name: "map", backend: { type: "scripted", answers: { hi: "hello there", "*": "?" } } },
        {
          name: "fn",
          task: "llm/v1/chat",
          endpointType: "FOUNDATION_MODEL_API",
          backend: {
            type: "function",
            fn: (r) => ({
              choices: [{ toolCalls: [{ name: "lookup", arguments: { q: r.prompt } }] }],
            }),
          },
        },
      ],
    });
    const msg = { messages: [{ role: "user", content: "hi" }] };
    const contents = [];
    for (let i = 0; i < 3; i++) {
      const body = (await (
        await postJson(h, "/serving-endpoints/list/invocations", msg)
      ).json()) as {
        choices: { message: { content: string } }[];
      };
      contents.push(body.choices[0]?.message.content);
    }
    expect(contents).toEqual(["a", "b", "a"]);
    const map = await postJson(h, "/serving-endpoints/map/invocations", {
      dataframe_records: [{ prompt: "hi" }, { prompt: "x" }],
    });
    expect(await map.json()).toEqual({ predictions: ["hello there", "?"] });
    const fn = await postJson(h, "/serving-endpoints/fn/invocations", msg);
    expect(await fn.json()).toMatchObject({
      choices: [
        {
          finish_reason: "tool_calls",
          message: { tool_calls: [{ function: { name: "lookup", arguments: '{"q":"hi"}' } }] },
        },
      ],
    });
  });

  it("openai-upstream forwards to another emulator (chat, completions, embeddings, streaming)", async () => {
    const upstream = await emulator();
    const h = await emulator({
      endpoints: [
        {
          name: "proxied",
          task: "llm/v1/chat",
          endpointType: "EXTERNAL_MODEL",
          backend: {
            type: "openai-upstream",
            baseUrl: `${upstream.url}/serving-endpoints`,
            apiKey: upstream.token,
            model: "databricks-llama",
          },
        },
        {
          name: "proxied-emb",
          task: "llm/v1/embeddings",
          endpointType: "EXTERNAL_MODEL",
          backend: {
            type: "openai-upstream",
            baseUrl: `${upstream.url}/serving-endpoints`,
            apiKey: upstream.token,
            model: "databricks-embeddings",
          },
        },
        {
          name: "proxied-bad",
          task: "llm/v1/chat",
          endpointType: "EXTERNAL_MODEL",
          backend: {
            type: "openai-upstream",
            baseUrl: `${upstream.url}/serving-endpoints`,
            apiKey: "wrong",
          },
        },
      ],
    });
    const c = new OpenAI({ baseURL: `${h.url}/serving-endpoints`, apiKey: h.token, maxRetries: 0 });
    const chat = await c.chat.completions.create({
      model: "proxied",
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
    });
    expect(chat.choices[0]?.message.content).toBe("I am fine. Thank you for asking.");
    const stream = await c.chat.completions.create({
      model: "proxied",
      messages: [{ role: "user", content: "How are you?" }],
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("I am fine. Thank you for asking.");
    const emb = await c.embeddings.create({
      model: "proxied-emb",
      input: "hello",
      encoding_format: "float",
    });
    expect(emb.data[0]?.embedding).toEqual(hashEmbed("hello"));
    const bad = await c.chat.completions
      .create({ model: "proxied-bad", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((bad as APIError).status).toBe(403);
    expect(upstream.stats().endpoints["databricks-llama"]?.requests).toBe(2);
  });
});

describe("hashing embedder", () => {
  it("is deterministic, L2-normalised, and similar texts are closer", () => {
    const a = hashEmbed("The cat sat on the mat");
    expect(hashEmbed("the CAT sat on the mat")).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(cosine(a, hashEmbed("a cat on a mat"))).toBeGreaterThan(
      cosine(a, hashEmbed("stock market news")),
    );
    expect(hashEmbed("", 8)).toHaveLength(8);
    expect(Math.hypot(...hashEmbed(""))).toBeCloseTo(1, 5);
  });
});

describe("config", () => {
  it("defaultEmulatorOptions describes the demo workspace", () => {
    const options = defaultEmulatorOptions();
    expect(options.endpoints?.map((e) => [e.name, e.task ?? null])).toEqual([
      ["dolly", null],
      ["databricks-llama", "llm/v1/chat"],
      ["databricks-completions", "llm/v1/completions"],
      ["databricks-embeddings", "llm/v1/embeddings"],
      ["databricks-claude-sonnet-4-5", "llm/v1/chat"],
      ["databricks-gpt-oss-120b", "llm/v1/chat"],
      ["databricks-gpt-5", "llm/v1/chat"],
      ["databricks-gpt-5-codex", "llm/v1/chat"],
      ["responses-agent", "agent/v1/responses"],
      ["chat-agent", "agent/v2/chat"],
    ]);
    // Only the reasoning endpoints declare a family; the others keep the plain chat.
    expect(options.endpoints?.map((e) => e.family ?? null)).toEqual([
      null,
      null,
      null,
      null,
      "claude",
      "gpt-oss",
      "gpt",
      "gpt",
      null,
      null,
    ]);
    expect(options.oauthClients?.[0]?.clientId).toBe("emulator-client");
  });

  it("loadEmulatorConfig reads and validates JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-config-"));
    const good = join(dir, "good.json");
    writeFileSync(
      good,
      JSON.stringify({
        tokens: ["dapi-x"],
        endpoints: [
          {
            name: "e",
            task: "llm/v1/chat",
            endpointType: "FOUNDATION_MODEL_API",
            backend: { type: "echo" },
          },
        ],
        faults: { e: { failNext: { count: 1, status: 503 } } },
      }),
    );
    const options = loadEmulatorConfig(good);
    const h = await emulator({ ...options, port: 0 });
    expect(h.token).toBe("dapi-x");
    expect(
      (
        await postJson(h, "/serving-endpoints/e/invocations", {
          messages: [{ role: "user", content: "x" }],
        })
      ).status,
    ).toBe(503);
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ endpoints: [{ name: "f", backend: { type: "function" } }] }),
    );
    expect(() => loadEmulatorConfig(bad)).toThrow(/function/);
    writeFileSync(bad, "{nope");
    expect(() => loadEmulatorConfig(bad)).toThrow(/Cannot read emulator config/);
  });
});
