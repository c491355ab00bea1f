import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultEmulatorOptions, startEmulator, type EmulatorHandle } from "../src/index.js";
import { describe, expect, it } from "vitest";
import { rawResponseHead, requestPieces } from "../../../tests/helpers/raw_http.js";
import { emulator, postJson, sseData } from "./helpers.js";

const CHAT = "/serving-endpoints/databricks-llama/invocations";
const HELLO = { messages: [{ role: "user", content: "How are you?" }], temperature: 0 };

/**
 * POST with raw node:http, so what arrived before a reset is observable: the status, the
 * announced Content-Length, the bytes received and the network error code that ended the body.
 */
function rawPost(
  h: EmulatorHandle,
  path: string,
  body: unknown,
): Promise<{ status: number; length: number; received: number; failure: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`${h.url}${path}`),
      {
        method: "POST",
        headers: { Authorization: `Bearer ${h.token}`, "Content-Type": "application/json" },
      },
      (res) => {
        let received = 0;
        const done = (failure: string | undefined) =>
          resolve({
            status: res.statusCode ?? 0,
            length: Number(res.headers["content-length"]),
            received,
            failure,
          });
        res.on("data", (chunk: Buffer) => (received += chunk.length));
        res.on("error", (error: NodeJS.ErrnoException) => done(error.code));
        res.on("end", () => done(undefined));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

const APP_ANSWER_TEXT = "an answer long enough to be cut";
const APP_ANSWER = JSON.stringify(APP_ANSWER_TEXT);

/**
 * Run `use` with an emulator whose driver app `c1:7777` answers {@link APP_ANSWER} with
 * `appHeaders`, under the fault `cutBodyAfterBytes: 5`.
 */
async function withCutDriverApp(
  appHeaders: Record<string, string | number>,
  use: (h: EmulatorHandle) => Promise<void>,
): Promise<void> {
  const app = createServer((_req, res) => {
    res.writeHead(200, appHeaders);
    res.end(APP_ANSWER);
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  try {
    const h = await emulator({
      driverApps: [{ clusterId: "c1", port: 7777, target: (app.address() as AddressInfo).port }],
      faults: { "c1:7777": { cutBodyAfterBytes: 5 } },
    });
    await use(h);
  } finally {
    app.close();
  }
}

describe("fault injection", () => {
  it("failNext 429 with and without Retry-After, then recovers; counts every attempt", async () => {
    const h = await emulator({
      faults: { "databricks-llama": { failNext: { count: 2, status: 429, retryAfterSeconds: 3 } } },
    });
    const first = await postJson(h, CHAT, HELLO);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect(first.headers.get("served-model-name")).toBe("databricks-llama");
    expect(first.headers.get("x-databricks-reason-phrase")).toBeTruthy();
    expect(await first.json()).toMatchObject({ error_code: "REQUEST_LIMIT_EXCEEDED" });
    expect((await postJson(h, CHAT, HELLO)).status).toBe(429);
    expect((await postJson(h, CHAT, HELLO)).status).toBe(200);
    expect(h.stats().endpoints["databricks-llama"]?.requests).toBe(3);

    h.setFault("databricks-llama", { failNext: { count: 1, status: 429 } });
    const noHeader = await postJson(h, CHAT, HELLO);
    expect(noHeader.status).toBe(429);
    expect(noHeader.headers.get("retry-after")).toBeNull();
  });

  it("503 TEMPORARILY_UNAVAILABLE, custom raw bodies, clearFaults", async () => {
    const h = await emulator();
    h.setFault("dolly", { failNext: { count: 1, status: 503, retryAfterSeconds: 1 } });
    const res = await postJson(h, "/serving-endpoints/dolly/invocations", {
      dataframe_records: [{ prompt: "x" }],
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
    h.setFault("dolly", {
      failNext: { count: 5, status: 502, body: "<html><title>Bad Gateway</title></html>" },
    });
    const html = await postJson(h, "/serving-endpoints/dolly/invocations", {
      dataframe_records: [{ prompt: "x" }],
    });
    expect(html.status).toBe(502);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toBe("<html><title>Bad Gateway</title></html>");
    h.clearFaults("dolly");
    expect(
      (
        await postJson(h, "/serving-endpoints/dolly/invocations", {
          dataframe_records: [{ prompt: "x" }],
        })
      ).status,
    ).toBe(200);
  });

  it("rateLimitPerSecond answers the excess with 429", async () => {
    const h = await emulator({ faults: { "databricks-llama": { rateLimitPerSecond: 2 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await postJson(h, CHAT, HELLO)).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("failRate fails a seeded random share of requests, the same ones on every run", async () => {
    const spec = { failRate: { status: 429, ratio: 0.25, retryAfterSeconds: 1, seed: 7 } };
    const statuses = async (): Promise<number[]> => {
      const h = await emulator({ faults: { "databricks-llama": spec } });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await postJson(h, CHAT, HELLO);
        if (res.status === 429) expect(res.headers.get("retry-after")).toBe("1");
        out.push(res.status);
        await res.arrayBuffer();
      }
      return out;
    };
    const first = await statuses();
    const failed = first.filter((s) => s === 429).length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(20);
    expect(first.every((s) => s === 200 || s === 429)).toBe(true);
    expect(await statuses()).toEqual(first);
  });

  it("failRate with a list of statuses gives each failure one of them, reproducibly", async () => {
    const spec = { failRate: { status: [429, 503], ratio: 0.5, seed: 3 } };
    const statuses = async (): Promise<number[]> => {
      const h = await emulator({ faults: { "databricks-llama": spec } });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await postJson(h, CHAT, HELLO);
        out.push(res.status);
        await res.arrayBuffer();
      }
      return out;
    };
    const first = await statuses();
    expect(first.filter((s) => s === 429).length).toBeGreaterThan(2);
    expect(first.filter((s) => s === 503).length).toBeGreaterThan(2);
    expect(first.every((s) => s === 200 || s === 429 || s === 503)).toBe(true);
    expect(await statuses()).toEqual(first);
    await expect(
      emulator({ faults: { "databricks-llama": { failRate: { status: [], ratio: 0.5 } } } }),
    ).rejects.toThrow(/failRate\.status is an empty list/);
  });

  it("latencyMs delays the answer and is visible as in-flight", async () => {
    const h = await emulator({ faults: { dolly: { latencyMs: 150 } } });
    const started = Date.now();
    await Promise.all([
      postJson(h, "/serving-endpoints/dolly/invocations", { dataframe_records: [{ prompt: "x" }] }),
      postJson(h, "/serving-endpoints/dolly/invocations", { dataframe_records: [{ prompt: "y" }] }),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(h.stats().endpoints["dolly"]?.maxInFlight).toBe(2);
    expect(h.stats().endpoints["dolly"]?.inFlight).toBe(0);
  });

  it("dropConnection destroys the socket without an answer, count-limited", async () => {
    const h = await emulator({ faults: { "databricks-llama": { dropConnection: { count: 1 } } } });
    await expect(postJson(h, CHAT, HELLO)).rejects.toThrow(/fetch failed/);
    expect((await postJson(h, CHAT, HELLO)).status).toBe(200);
  });

  it("malformedJson answers 200 with a truncated body", async () => {
    const h = await emulator({ faults: { "databricks-llama": { malformedJson: { count: 1 } } } });
    const res = await postJson(h, CHAT, HELLO);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow(SyntaxError);
    expect((await (await postJson(h, CHAT, HELLO)).json()) as object).toHaveProperty("choices");
  });

  it("cutBodyAfterBytes sends 200, the full Content-Length and part of the body, then resets", async () => {
    const h = await emulator({
      faults: { "databricks-llama": { cutBodyAfterBytes: { bytes: 10, count: 1 } } },
    });
    const { status, length, received, failure } = await rawPost(h, CHAT, HELLO);
    expect(status).toBe(200);
    expect(length).toBeGreaterThan(10);
    expect(received).toBe('{"id":"cha'.length);
    expect(failure).toBe("ECONNRESET");
    expect(await rawPost(h, CHAT, HELLO)).toMatchObject({ status: 200, failure: undefined });
  });

  it("driver apps: cutBodyAfterBytes and malformedJson act on the app's answer", async () => {
    await withCutDriverApp({ "content-type": "application/json" }, async (h) => {
      const path = "/driver-proxy-api/o/0/c1/7777";
      const cut = await rawPost(h, path, { prompt: "x" });
      expect(cut).toMatchObject({ status: 200, received: 5, failure: "ECONNRESET" });
      h.setFault("c1:7777", { malformedJson: { count: 1 } });
      const malformed = await postJson(h, path, { prompt: "x" });
      expect(malformed.status).toBe(200);
      expect(await malformed.text()).toBe('"an answer long ');
      expect(await (await postJson(h, path, { prompt: "x" })).json()).toBe(APP_ANSWER_TEXT);
    });
  });

  it("driver apps: a cut answer carries exactly one Content-Length, whatever the app's case", async () => {
    // The app sets its own length, lower-case; the emulator sets the whole body's length too.
    const length = Buffer.byteLength(APP_ANSWER);
    const appHeaders = { "content-type": "application/json", "content-length": length };
    await withCutDriverApp(appHeaders, async (h) => {
      const head = await rawResponseHead(
        h.port,
        requestPieces({
          method: "GET",
          target: "/driver-proxy-api/o/0/c1/7777",
          headers: [["Authorization", `Bearer ${h.token}`]],
          body: Buffer.alloc(0),
          framing: { kind: "none" },
        }),
      );
      expect(head[0]).toBe("HTTP/1.1 200 OK");
      const lengths = head.filter((line) => /^content-length:/i.test(line));
      expect(lengths).toEqual([`Content-Length: ${length}`]);
    });
  });

  it("cutBodyAfterBytes at or beyond the body's length still withholds its last byte", async () => {
    // A cut that sent the whole body would be a complete answer followed by a harmless reset.
    const h = await emulator({
      faults: { "databricks-llama": { cutBodyAfterBytes: { bytes: 1_000_000, count: 1 } } },
    });
    const { status, length, received, failure } = await rawPost(h, CHAT, HELLO);
    expect(status).toBe(200);
    expect(received).toBe(length - 1);
    expect(failure).toBe("ECONNRESET");
  });

  it("cutStreamAfterChunks ends the stream abruptly without [DONE]", async () => {
    const h = await emulator({ faults: { "databricks-llama": { cutStreamAfterChunks: 3 } } });
    const url = new URL(`${h.url}${CHAT}`);
    // Raw node:http so the partial body is observable before the abort.
    const { frames, aborted } = await new Promise<{ frames: string; aborted: boolean }>(
      (resolve) => {
        const req = request(
          url,
          {
            method: "POST",
            headers: { Authorization: `Bearer ${h.token}`, "Content-Type": "application/json" },
          },
          (res) => {
            let data = "";
            res.on("data", (c: Buffer) => (data += c.toString()));
            res.on("aborted", () => resolve({ frames: data, aborted: true }));
            res.on("error", () => resolve({ frames: data, aborted: true }));
            res.on("end", () => resolve({ frames: data, aborted: !res.complete }));
          },
        );
        req.on("error", () => resolve({ frames: "", aborted: true }));
        req.end(JSON.stringify({ ...HELLO, stream: true }));
      },
    );
    expect(aborted).toBe(true);
    const data = sseData(frames);
    expect(data).toHaveLength(3);
    expect(data).not.toContain("[DONE]");
  });

  it("errorMidStream in the Databricks shape", async () => {
    const h = await emulator({
      faults: { "databricks-llama": { errorMidStream: { afterChunks: 2, shape: "databricks" } } },
    });
    const res = await postJson(h, CHAT, { ...HELLO, stream: true });
    const data = sseData(await res.text());
    expect(data).toHaveLength(3);
    expect(JSON.parse(data[2] ?? "")).toEqual({
      error_code: "INTERNAL_ERROR",
      message: "The model failed while streaming.",
    });
  });

  it("stallStreamAfterChunks pauses the stream mid-body, then sends the rest intact", async () => {
    // Long enough that the pause stands out from scheduling delays on a busy machine.
    const stallMs = 1_500;
    const h = await emulator({});
    // The text of a stream (frame ids and timestamps differ from one answer to the next).
    const textOf = (body: string): string =>
      sseData(body)
        .filter((data) => data !== "[DONE]")
        .map((data) => {
          const chunk = JSON.parse(data) as { choices: { delta: { content?: string } }[] };
          return chunk.choices[0]?.delta.content ?? "";
        })
        .join("");
    const whole = await (await postJson(h, CHAT, { ...HELLO, stream: true })).text();
    h.setFault("databricks-llama", { stallStreamAfterChunks: { afterChunks: 2, ms: stallMs } });
    const res = await postJson(h, CHAT, { ...HELLO, stream: true });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    // Each network read with the time it arrived: the pause shows as a gap between two of them.
    const reads: { text: string; at: number }[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read())
      reads.push({ text: decoder.decode(read.value, { stream: true }), at: performance.now() });
    // The pause is the largest gap between consecutive reads, and it came after exactly 2 events.
    let pauseAt = 0;
    let pause = Number.NEGATIVE_INFINITY;
    for (let index = 1; index < reads.length; index += 1) {
      const gap = (reads[index]?.at ?? 0) - (reads[index - 1]?.at ?? 0);
      if (gap > pause) [pause, pauseAt] = [gap, index];
    }
    expect(pauseAt).toBeGreaterThan(0);
    expect(pause).toBeGreaterThanOrEqual(stallMs / 2);
    const beforePause = reads.slice(0, pauseAt).map(({ text }) => text);
    expect(sseData(beforePause.join(""))).toHaveLength(2);
    // Nothing lost, repeated or reordered by the pause.
    const stalled = reads.map(({ text }) => text).join("");
    expect(sseData(stalled)).toHaveLength(sseData(whole).length);
    expect(sseData(stalled).at(-1)).toBe("[DONE]");
    expect(textOf(stalled)).toBe(textOf(whole));
  });

  it("refuses a latency or a stall no timer would honour", async () => {
    const h = await emulator({});
    for (const fault of [
      { latencyMs: Number.NaN },
      { latencyMs: -1 },
      { stallStreamAfterChunks: { afterChunks: 1, ms: 2 ** 31 } },
      { stallStreamAfterChunks: { afterChunks: 1, ms: Number.POSITIVE_INFINITY } },
    ]) {
      expect(() => h.setFault("databricks-llama", fault)).toThrow(/milliseconds from 0 to/);
    }
  });

  it("a client that leaves during a stall ends it: nothing more is sent and close() does not wait", async () => {
    // Not the helper's emulator: this test closes its own, and times it.
    const h = await startEmulator({
      ...defaultEmulatorOptions(),
      faults: { "databricks-llama": { stallStreamAfterChunks: { afterChunks: 1, ms: 60_000 } } },
    });
    const controller = new AbortController();
    const res = await fetch(`${h.url}${CHAT}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${h.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ ...HELLO, stream: true }),
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(sseData(new TextDecoder().decode((await reader.read()).value))).toHaveLength(1);
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    // The server saw the client leave: the request is no longer in flight.
    await expect
      .poll(() => h.stats().endpoints["databricks-llama"]?.inFlight, { timeout: 5_000 })
      .toBe(0);
    const closing = performance.now();
    await h.close();
    // Far below the 60 s stall: close() did not wait for it.
    expect(performance.now() - closing).toBeLessThan(5_000);
  });

  it("faults apply to the OpenAI routes by model name", async () => {
    const h = await emulator({
      faults: { "databricks-embeddings": { failNext: { count: 1, status: 500 } } },
    });
    const res = await postJson(h, "/serving-endpoints/embeddings", {
      model: "databricks-embeddings",
      input: "x",
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error_code: "INTERNAL_ERROR" });
    expect(h.requests).toBeGreaterThanOrEqual(1);
  });
});
