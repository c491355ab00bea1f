/**
 * Secrets never leave through a public path: a recognisable token and OAuth client secret are used
 * for every kind of call (construct, invoke, stream, batch, embeddings, errors of each kind,
 * `toJSON()`, the `invocation_params` and serialized model LangChain callbacks see, the CLI's
 * output, the emulator's request log), and none of what those paths expose contains them: not the
 * token, not the client secret, not the Basic credential the token request carries.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import {
  ChatDatabricks,
  Databricks,
  DatabricksBadRequestError,
  DatabricksConnectionError,
  DatabricksCredentialsError,
  DatabricksEmbeddings,
  DatabricksNotFoundError,
  DatabricksPermissionDeniedError,
} from "langchain-databricks";
import { run } from "../../packages/langchain-databricks/tests/cli/helpers.js";
import {
  errorViews,
  expectNoSecret,
  SECRET_CLIENT_ID as CLIENT_ID,
  SECRET_CLIENT_SECRET as CLIENT_SECRET,
  SECRET_TOKEN as TOKEN,
  SECRETS,
} from "../helpers/secrets.js";

let emulator: EmulatorHandle;
/** Everything a user or a tracer could see (the emulator's log is kept apart, in `logLines`). */
const exposed: string[] = [];
/** The emulator's request log, line by line. */
const logLines: string[] = [];
const see = (value: unknown): void => {
  exposed.push(typeof value === "string" ? value : JSON.stringify(value, errorsExpanded));
};
/** An error, wherever it sits, is shown in every view a logger could print of it. */
function errorsExpanded(_key: string, value: unknown): unknown {
  return value instanceof Error ? errorViews(value) : value;
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
    log: (line) => logLines.push(line),
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
    // Each failure with the class it must raise: a call that succeeds, or fails otherwise, fails.
    const failures: [new (...args: never[]) => Error, () => Promise<unknown>][] = [
      [
        DatabricksNotFoundError,
        () =>
          new ChatDatabricks({
            host: pat.host(),
            token: TOKEN,
            endpoint: "no-such-endpoint",
          }).invoke("x", { callbacks }),
      ],
      [
        DatabricksBadRequestError,
        () =>
          new ChatDatabricks({
            host: pat.host(),
            token: TOKEN,
            endpoint: "databricks-llama",
          }).invoke("x", { extraParams: { prompt: "not a chat field" }, callbacks }),
      ],
      [
        // An unknown token: the workspace's 403 `Invalid access token.`
        DatabricksPermissionDeniedError,
        () =>
          new ChatDatabricks({
            host: pat.host(),
            token: `${TOKEN}-revoked`,
            endpoint: "databricks-llama",
            maxRetries: 0,
          }).invoke("x"),
      ],
      [
        DatabricksCredentialsError,
        () =>
          new Databricks({
            host: emulator.url,
            clientId: CLIENT_ID,
            clientSecret: `${CLIENT_SECRET}-wrong`,
            authType: "oauth-m2m",
            endpoint: "dolly",
            maxRetries: 0,
          }).invoke("x"),
      ],
      [
        DatabricksConnectionError,
        () =>
          new Databricks({
            host: "http://127.0.0.1:9",
            token: TOKEN,
            endpoint: "dolly",
            maxRetries: 0,
          }).invoke("x"),
      ],
    ];
    // The wrong client secret's own Basic credential is as secret as the right one's.
    const secrets = [...SECRETS, btoa(`${CLIENT_ID}:${CLIENT_SECRET}-wrong`)];
    for (const [errorClass, failure] of failures) {
      const error = await failure().then(
        () => new Error("expected a failure"),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(errorClass);
      expectNoSecret(error, expect, secrets);
      see(error);
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

  it("…in everything recorded above, and in the emulator's log", () => {
    expect(exposed.length).toBeGreaterThan(30);
    for (const secret of SECRETS) {
      const leaks = exposed.filter((text) => text.includes(secret));
      expect(leaks, `${secret} leaked`).toEqual([]);
    }
    // The log was recorded (a request of the tests above is in it), and shows no secret either.
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes("/serving-endpoints/dolly/invocations"))).toBe(
      true,
    );
    for (const secret of SECRETS) {
      const leaks = logLines.filter((line) => line.includes(secret));
      expect(leaks, `${secret} leaked in the log`).toEqual([]);
    }
  });
});
