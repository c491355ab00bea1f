import { request as httpRequest } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { LLM } from "@langchain/core/language_models/llms";
import { FakeListChatModel, FakeLLM, FakeStreamingLLM } from "@langchain/core/utils/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  serveDriverProxyApp,
  type DriverProxyApp,
  type DriverProxyModelOptions,
  type ServeDriverProxyAppOptions,
} from "../../src/driver_proxy/index.js";
import { DatabricksConfigError } from "../../src/errors.js";
import { rawExchange, requestPieces } from "../../../../tests/helpers/raw_http.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with full control over method, headers and body (fetch would add a text/plain type). */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${options.path ?? "/"}`,
      { method: options.method ?? "POST", headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function postJson(url: string, value: unknown): Promise<Answer> {
  return send(url, {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
}

/** A promise with its resolver (Node 20 has no `Promise.withResolvers`). */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: ((value: T) => void) | undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve: (value: T) => resolve?.(value) };
}

const echo = (prompt: string): string => prompt;

const apps: DriverProxyApp[] = [];
async function serve(
  model: ServeDriverProxyAppOptions["model"],
  extra: Partial<ServeDriverProxyAppOptions> = {},
): Promise<DriverProxyApp> {
  const app = await serveDriverProxyApp({ model, port: 0, host: "127.0.0.1", ...extra });
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe("serveDriverProxyApp with a function model", () => {
  it("answers a JSON string, like Flask's jsonify", async () => {
    const app = await serve((prompt) => `echo: ${prompt}`);
    expect(app.host).toBe("127.0.0.1");
    expect(app.port).toBeGreaterThan(0);
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
    const answer = await postJson(app.url, { prompt: "How are you?" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.body).toBe('"echo: How are you?"');
  });

  it("passes stop and every extra field as options, without a stop key when none was sent", async () => {
    const seen: DriverProxyModelOptions[] = [];
    const app = await serve(async (prompt, options) => {
      seen.push(options);
      return prompt;
    });
    await postJson(app.url, { prompt: "a", stop: ["x"], temperature: 0.1, max_tokens: 5 });
    await postJson(app.url, { prompt: "b", top_p: 0.9, extra: { nested: [1, null] } });
    expect(seen).toEqual([
      { stop: ["x"], temperature: 0.1, max_tokens: 5 },
      { top_p: 0.9, extra: { nested: [1, null] } },
    ]);
    expect("stop" in (seen[1] ?? {})).toBe(false);
  });

  it("cuts the answer at the first stop sequence, excluding it", async () => {
    const app = await serve(() => "Hello there.\nHuman: more\nAI: stuff");
    const cut = await postJson(app.url, { prompt: "p", stop: ["AI:", "\nHuman:"] });
    expect(JSON.parse(cut.body)).toBe("Hello there.");
    const uncut = await postJson(app.url, { prompt: "p", stop: ["zzz"] });
    expect(JSON.parse(uncut.body)).toBe("Hello there.\nHuman: more\nAI: stuff");
  });

  it("round-trips unicode and accepts charset and +json content types, or none", async () => {
    const app = await serve((prompt) => prompt);
    const body = JSON.stringify({ prompt: 'héllo 👋 "q" \\ \n' });
    for (const headers of [
      { "content-type": "application/json; charset=utf-8" },
      { "content-type": "Application/JSON" },
      { "content-type": "application/vnd.api+json" },
      {} as Record<string, string>,
    ]) {
      const answer = await send(app.url, { headers, body });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toBe('héllo 👋 "q" \\ \n');
    }
  });

  it("logs one access line per request, never the prompt", async () => {
    const lines: string[] = [];
    const app = await serve((p) => p, { log: (line) => lines.push(line) });
    await postJson(app.url, { prompt: "secret prompt" });
    await send(app.url, { method: "GET", path: "/nope" });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^POST \/ 200 \d+ms$/);
    expect(lines[1]).toMatch(/^GET \/nope 404 \d+ms \(not found/);
    expect(lines.join("\n")).not.toContain("secret prompt");
  });
});

describe("serveDriverProxyApp with LangChain models", () => {
  it("serves an LLM (FakeLLM echoes the prompt)", async () => {
    const app = await serve(new FakeLLM({}));
    const answer = await postJson(app.url, { prompt: "ping" });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toBe("ping");
  });

  it("cuts an LLM answer at stop even when the model ignores stop", async () => {
    const app = await serve(new FakeLLM({ response: "first line\nsecond line" }));
    const answer = await postJson(app.url, { prompt: "p", stop: ["\n"] });
    expect(JSON.parse(answer.body)).toBe("first line");
  });

  it("serves a streaming-capable LLM through invoke", async () => {
    const app = await serve(new FakeStreamingLLM({ responses: ["streamed answer"], sleep: 0 }));
    expect(JSON.parse((await postJson(app.url, { prompt: "p" })).body)).toBe("streamed answer");
  });

  it("answers a chat model's text content (FakeListChatModel)", async () => {
    const app = await serve(new FakeListChatModel({ responses: ["I am fine.", "And you?"] }));
    expect(JSON.parse((await postJson(app.url, { prompt: "How are you?" })).body)).toBe(
      "I am fine.",
    );
    // (FakeListChatModel answers stop[0] whenever stop is set, so the next call sends none.)
    const second = await postJson(app.url, { prompt: "again" });
    expect(JSON.parse(second.body)).toBe("And you?");
  });

  it("passes stop and kwargs as call options", async () => {
    const seen: Record<string, unknown>[] = [];
    class RecordingLLM extends LLM {
      _llmType(): string {
        return "recording";
      }
      async _call(prompt: string, options: this["ParsedCallOptions"]): Promise<string> {
        seen.push({ ...options });
        return `${prompt}!`;
      }
    }
    const app = await serve(new RecordingLLM({}));
    const answer = await postJson(app.url, {
      prompt: "p",
      stop: ["END"],
      temperature: 0.2,
      max_tokens: 7,
    });
    expect(JSON.parse(answer.body)).toBe("p!");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ stop: ["END"], temperature: 0.2, max_tokens: 7 });
    expect(seen[0]?.["signal"]).toBeInstanceOf(AbortSignal);
  });

  it("refuses LangChain's reserved config keys with 400", async () => {
    const app = await serve(new FakeLLM({}));
    const answer = await postJson(app.url, { prompt: "p", callbacks: [{}], tags: ["x"] });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error:
        'fields "callbacks", "tags" cannot be set by a request (reserved LangChain call option)',
    });
  });

  it("aborts the model call when the caller goes away", async () => {
    const aborted = deferred<boolean>();
    const started = deferred();
    class SlowLLM extends LLM {
      _llmType(): string {
        return "slow";
      }
      _call(_prompt: string, options: this["ParsedCallOptions"]): Promise<string> {
        started.resolve();
        return new Promise((_resolve, reject) => {
          options.signal?.addEventListener("abort", () => {
            aborted.resolve(true);
            reject(new Error("aborted"));
          });
        });
      }
    }
    const app = await serve(new SlowLLM({}));
    const req = httpRequest(app.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    req.on("error", () => undefined);
    req.end(JSON.stringify({ prompt: "p" }));
    await started.promise;
    req.destroy();
    await expect(aborted.promise).resolves.toBe(true);
  });
});

describe("bad requests", () => {
  it.each([
    ["invalid JSON", "{not json", /request body is not valid JSON/],
    ["an empty body", "", /request body is empty/],
    ["a missing prompt", '{"stop":["x"]}', /missing required field "prompt"/],
    ["a non-string prompt", '{"prompt":["a"]}', /"prompt" must be a string, got an array/],
    ["a string stop", '{"prompt":"a","stop":"x"}', /"stop" must be an array of strings/],
    ["a stop with numbers", '{"prompt":"a","stop":[1]}', /stop\[0\] is a number/],
    ["an array body", '[{"prompt":"a"}]', /must be a JSON object/],
    ["a string body", '"a"', /must be a JSON object/],
  ])("answers 400 for %s", async (_name, body, message) => {
    let calls = 0;
    const app = await serve((p) => {
      calls++;
      return p;
    });
    const answer = await send(app.url, { headers: { "content-type": "application/json" }, body });
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json");
    const parsed = JSON.parse(answer.body) as { error: string };
    expect(Object.keys(parsed)).toEqual(["error"]);
    expect(parsed.error).toMatch(message);
    expect(calls).toBe(0);
  });

  it("answers 415 for a non-JSON content type", async () => {
    const app = await serve((p) => p);
    const answer = await send(app.url, {
      headers: { "content-type": "text/plain" },
      body: '{"prompt":"a"}',
    });
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'Content-Type must be application/json, got "text/plain"',
    });
    const form = await send(app.url, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "prompt=a",
    });
    expect(form.status).toBe(415);
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    const app = await serve((p) => p);
    const notFound = await send(app.url, {
      path: "/v1/completions",
      headers: { "content-type": "application/json" },
      body: '{"prompt":"a"}',
    });
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body)).toEqual({
      error: "not found: POST /v1/completions (the app serves POST /)",
    });
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const answer = await send(app.url, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers["allow"]).toBe("GET, HEAD, POST");
      expect(JSON.parse(answer.body)).toEqual({
        error: `method ${method} not allowed (the app serves POST /)`,
      });
    }
  });

  // Found by tests/driver_proxy/fuzz.test.ts: paths were read with the WHATWG URL parser, which
  // resolves dot segments and takes `//host` for an authority.
  it("serves only `/` as sent: 404 for `/x/..`, `/%2e%2e`, `//evil.example/` and `//`", async () => {
    const app = await serve((p) => p);
    for (const target of ["/x/..", "/%2e%2e", "//evil.example/", "//"]) {
      const exchange = await rawExchange(app.port, {
        pieces: requestPieces({
          method: "POST",
          target,
          headers: [["Content-Type", "application/json"]],
          body: Buffer.from('{"prompt":"a"}'),
          framing: { kind: "length" },
        }),
      });
      const answer = exchange.responses[0];
      expect(answer?.status, target).toBe(404);
      expect(JSON.parse(answer?.body.toString("utf8") ?? ""), target).toEqual({
        error: `not found: POST ${target} (the app serves POST /)`,
      });
    }
    // The absolute form of `/` (RFC 9112 §3.2.2) is still `/`.
    const absolute = await rawExchange(app.port, {
      pieces: requestPieces({
        method: "GET",
        target: `http://127.0.0.1:${app.port}/?probe=1`,
        headers: [],
        body: Buffer.alloc(0),
        framing: { kind: "none" },
      }),
    });
    expect(absolute.responses[0]?.status).toBe(200);
  });

  it("answers GET / and HEAD / as a health check", async () => {
    const app = await serve((p) => p);
    const get = await send(app.url, { method: "GET" });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body)).toEqual({ status: "ok" });
    const head = await send(app.url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    const query = await send(app.url, { method: "GET", path: "/?probe=1" });
    expect(query.status).toBe(200);
  });

  it("answers 413 for a body over the limit, declared or streamed", async () => {
    const app = await serve((p) => p, { maxBodyBytes: 64 });
    const big = JSON.stringify({ prompt: "x".repeat(100) });
    const declared = await send(app.url, {
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({
      error: "request body exceeds the limit of 64 bytes",
    });
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        app.url,
        {
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(big.slice(0, 50));
      setTimeout(() => req.end(big.slice(50)), 20);
    });
    expect(streamed).toBe(413);
    // The server still serves requests within the limit.
    expect((await postJson(app.url, { prompt: "ok" })).status).toBe(200);
  });
});

describe("model failures", () => {
  it("answers 500 and keeps serving", async () => {
    let calls = 0;
    const app = await serve((prompt) => {
      calls++;
      if (calls === 1) throw new Error("CUDA out of memory");
      return prompt;
    });
    const failed = await postJson(app.url, { prompt: "a" });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ error: "model failed: CUDA out of memory" });
    const ok = await postJson(app.url, { prompt: "b" });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toBe("b");
  });

  it("answers 500 for a rejected promise, a LangChain error and a non-string answer", async () => {
    const rejecting = await serve(() => Promise.reject(new Error("async boom")));
    expect(JSON.parse((await postJson(rejecting.url, { prompt: "a" })).body)).toEqual({
      error: "model failed: async boom",
    });
    const llm = await serve(new FakeLLM({ thrownErrorString: "llm boom" }));
    const llmAnswer = await postJson(llm.url, { prompt: "a" });
    expect(llmAnswer.status).toBe(500);
    expect(JSON.parse(llmAnswer.body)).toEqual({ error: "model failed: llm boom" });
    const wrongType = await serve((() => 42) as unknown as () => string);
    const wrong = await postJson(wrongType.url, { prompt: "a" });
    expect(wrong.status).toBe(500);
    expect(JSON.parse(wrong.body)).toEqual({
      error: "model failed: the model function returned a number (42), not a string",
    });
  });

  it("redacts credentials from model error messages", async () => {
    const app = await serve(() => {
      throw new Error("upstream said: Authorization: Bearer dapi0123456789abcdef0123");
    });
    const answer = await postJson(app.url, { prompt: "a" });
    expect(answer.body).not.toContain("dapi0123456789abcdef0123");
    expect(JSON.parse(answer.body)).toEqual({
      error: "model failed: upstream said: Authorization: Bearer ***",
    });
  });
});

describe("configuration", () => {
  it("warns about ports outside [3000, 8000] but still serves", async () => {
    // Find a free port outside the recommended range (ephemeral ports are above 8000 on Linux).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(freePort > 8000 || freePort < 3000).toBe(true);

    const warnings: string[] = [];
    const app = await serve((p) => p, { port: String(freePort), warn: (m) => warnings.push(m) });
    expect(app.port).toBe(freePort);
    expect(warnings).toEqual([
      `driver proxy app port ${freePort} is outside the recommended range [3000, 8000]; the Databricks driver proxy may not forward it (serving anyway)`,
    ]);
    expect((await postJson(app.url, { prompt: "still" })).status).toBe(200);
  });

  it("does not warn for port 0", async () => {
    const warnings: string[] = [];
    await serve((p) => p, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });

  it("refuses invalid ports, hosts, models and limits with DatabricksConfigError", async () => {
    const model = echo;
    for (const port of [-1, 65536, 1.5, "http", "77 77"]) {
      await expect(serveDriverProxyApp({ model, port, host: "127.0.0.1" })).rejects.toThrow(
        DatabricksConfigError,
      );
    }
    await expect(serveDriverProxyApp({ model, port: 0, host: "" })).rejects.toThrow(
      /`host` must be a non-empty string/,
    );
    await expect(
      serveDriverProxyApp({ model: {} as unknown as typeof model, port: 0, host: "127.0.0.1" }),
    ).rejects.toThrow(/must be a function or a LangChain language model/);
    await expect(
      serveDriverProxyApp({ model, port: 0, host: "127.0.0.1", maxBodyBytes: 0 }),
    ).rejects.toThrow(/maxBodyBytes/);
    for (const requestTimeoutMs of [0, -1, 2.5, Number.NaN]) {
      await expect(
        serveDriverProxyApp({ model, port: 0, host: "127.0.0.1", requestTimeoutMs }),
      ).rejects.toThrow(/requestTimeoutMs/);
    }
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(60_000);
  });

  it("reports a port in use as a DatabricksConfigError", async () => {
    const first = await serve((p) => p);
    const second = serveDriverProxyApp({
      model: (p) => p,
      port: first.port,
      host: "127.0.0.1",
      warn: () => undefined,
    });
    await expect(second).rejects.toThrow(DatabricksConfigError);
    await expect(second).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });

  it("closes idempotently and stops accepting connections", async () => {
    const app = await serveDriverProxyApp({ model: (p) => p, port: 0, host: "127.0.0.1" });
    expect((await postJson(app.url, { prompt: "a" })).status).toBe(200);
    await Promise.all([app.close(), app.close()]);
    await app.close();
    await expect(postJson(app.url, { prompt: "a" })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("lets an in-flight request finish on close", async () => {
    const gate = deferred();
    const inside = deferred();
    const app = await serveDriverProxyApp({
      model: async (p) => {
        inside.resolve();
        await gate.promise;
        return p;
      },
      port: 0,
      host: "127.0.0.1",
    });
    const pending = postJson(app.url, { prompt: "late" });
    await inside.promise;
    const closed = app.close();
    gate.resolve();
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toBe("late");
    await closed;
  });
});
