/**
 * Secrets never leave through a public path: a recognisable token and OAuth client secret are used
 * for every kind of call (construct, invoke, stream, batch, embeddings, errors of each kind,
 * `toJSON()`, the `invocation_params` and serialized model LangChain callbacks see, the CLI's
 * output, the emulator's request log), and none of what those paths expose contains them.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { ChatDatabricks, Databricks, DatabricksEmbeddings } from "langchain-databricks";
import { run } from "../../packages/langchain-databricks/tests/cli/helpers.js";

const TOKEN = "dapi-SECRETTOKEN-7f3a9c2e5b1d";
const CLIENT_ID = "secret-test-client";
const CLIENT_SECRET = "oauth-SECRETCLIENT-4e8d2a6f0c";
const SECRETS = [TOKEN, CLIENT_SECRET];

let emulator: EmulatorHandle;
/** Everything a user, a log or a tracer could see. */
const exposed: string[] = [];
const see = (value: unknown): void => {
  exposed.push(typeof value === "string" ? value : JSON.stringify(value, errorFields));
};
/** Errors serialise their message, name, stack and fields, as loggers print them. */
function errorFields(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const json = (value as { toJSON?: () => unknown }).toJSON?.();
  return { json, message: value.message, stack: value.stack, name: value.name };
}

/** Records what LangChain hands its callbacks: serialized model, invocation params, outputs. */
class Recorder extends BaseCallbackHandler {
  name = "secrets-recorder";
  override handleLLMStart(...args: unknown[]): void {
    see(args.slice(0, 5));
  }
  override handleChatModelStart(...args: unknown[]): void {
    see(args.slice(0, 5));
  }
  override handleLLMEnd(output: unknown): void {
    see(output);
  }
  override handleLLMError(error: unknown): void {
    see(error);
  }
}
const callbacks = [new Recorder()];

beforeAll(async () => {
  emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    tokens: [TOKEN],
    oauthClients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    log: (line) => see(line),
  });
});
afterAll(async () => {
  await emulator.close();
  vi.unstubAllEnvs();
});

const pat = { host: () => emulator.url, token: TOKEN };
const oauth = () => ({
  host: emulator.url,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  authType: "oauth-m2m" as const,
});

describe("secrets appear nowhere", () => {
  it("chat: construct, invoke, stream, batch, toJSON, callbacks", async () => {
    const chat = new ChatDatabricks({
      host: pat.host(),
      token: TOKEN,
      endpoint: "databricks-llama",
      maxTokens: 16,
    });
    see(chat.toJSON());
    see(chat);
    see(await chat.invoke("How are you?", { callbacks }));
    for await (const chunk of await chat.stream("Tell me about Paris", { callbacks })) see(chunk);
    see(await chat.batch(["a", "b"], { callbacks }));
    const viaOAuth = new ChatDatabricks({ ...oauth(), endpoint: "databricks-llama" });
    see(viaOAuth.toJSON());
    see(await viaOAuth.invoke("How are you?", { callbacks }));
  });

  it("LLM and embeddings, with a PAT and with OAuth", async () => {
    const llm = new Databricks({ host: pat.host(), token: TOKEN, endpoint: "dolly" });
    see(llm.toJSON());
    see(await llm.invoke("How are you?", { callbacks }));
    see(await new Databricks({ ...oauth(), endpoint: "dolly" }).generate(["x"], { callbacks }));
    const embeddings = new DatabricksEmbeddings({ ...oauth(), endpoint: "databricks-embeddings" });
    // Embeddings are not LangChain-serializable: what JSON.stringify shows of them must be clean.
    see(embeddings);
    see(await embeddings.embedQuery("a question"));
  });

  it("errors of each kind: 404, 400, a wrong credential, a refused OAuth client, a lost connection", async () => {
    const failures: (() => Promise<unknown>)[] = [
      () =>
        new ChatDatabricks({ host: pat.host(), token: TOKEN, endpoint: "no-such-endpoint" }).invoke(
          "x",
          { callbacks },
        ),
      () =>
        new ChatDatabricks({ host: pat.host(), token: TOKEN, endpoint: "databricks-llama" }).invoke(
          "x",
          { extraParams: { prompt: "not a chat field" }, callbacks },
        ),
      () =>
        new ChatDatabricks({
          host: pat.host(),
          token: `${TOKEN}-revoked`,
          endpoint: "databricks-llama",
          maxRetries: 0,
        }).invoke("x"),
      () =>
        new Databricks({
          host: emulator.url,
          clientId: CLIENT_ID,
          clientSecret: `${CLIENT_SECRET}-wrong`,
          authType: "oauth-m2m",
          endpoint: "dolly",
          maxRetries: 0,
        }).invoke("x"),
      () =>
        new Databricks({
          host: "http://127.0.0.1:9",
          token: TOKEN,
          endpoint: "dolly",
          maxRetries: 0,
        }).invoke("x"),
    ];
    for (const failure of failures) {
      const error = await failure().then(
        () => new Error("expected a failure"),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      see(error);
      see(String(error));
    }
  });

  it("the CLI's output, on success and on failure", async () => {
    vi.stubEnv("DATABRICKS_HOST", emulator.url);
    vi.stubEnv("DATABRICKS_TOKEN", TOKEN);
    const ok = await run(["invoke", "--endpoint", "dolly", "--json", "How are you?"]);
    const bad = await run(["invoke", "--endpoint", "no-such-endpoint", "How are you?"]);
    const batch = await run(["batch", "--endpoint", "dolly"], { stdin: '"a"\n"b"\n' });
    expect(ok.code).toBe(0);
    expect(bad.code).not.toBe(0);
    for (const result of [ok, bad, batch]) see([result.stdout, result.stderr]);
  });

  it("…in everything recorded above, and the emulator log was recorded too", () => {
    expect(exposed.some((text) => text.includes("/serving-endpoints/dolly/invocations"))).toBe(
      true,
    );
    expect(exposed.length).toBeGreaterThan(30);
    for (const secret of SECRETS) {
      const leaks = exposed.filter((text) => text.includes(secret));
      expect(leaks, `${secret} leaked`).toEqual([]);
    }
  });
});
