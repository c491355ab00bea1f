import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksRateLimitError,
  DatabricksResponseError,
  DatabricksServerError,
} from "../../src/errors.js";
import { sseEvents } from "../../src/transport/sse.js";

const encoder = new TextEncoder();

async function* chunksOf(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

/** Split `bytes` at the given cut points (any byte offset, including inside UTF-8 sequences). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].toSorted((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

async function collect(parts: readonly Uint8Array[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const event of sseEvents(chunksOf(parts))) out.push(event);
  return out;
}

async function collectText(text: string): Promise<unknown[]> {
  return collect([encoder.encode(text)]);
}

async function failure(text: string | Uint8Array[]): Promise<unknown> {
  try {
    await (typeof text === "string" ? collectText(text) : collect(text));
  } catch (error) {
    return error;
  }
  throw new Error("expected the stream to fail");
}

type Newline = "\n" | "\r\n" | "\r";

/** Serialise events the way a server might: comments, ignored fields, multi-line data. */
function serialise(
  events: readonly { value: unknown; multiline: boolean; comment: string | null; extra: boolean }[],
  newline: Newline,
  noSpace: boolean,
): string {
  const sep = noSpace ? "data:" : "data: ";
  let out = "";
  for (const event of events) {
    if (event.comment !== null) out += `:${event.comment.replace(/[\r\n]/g, "")}${newline}`;
    if (event.extra) out += `event: message${newline}id: 7${newline}retry: 1000${newline}`;
    const json = event.multiline
      ? JSON.stringify(event.value, null, 1)
      : JSON.stringify(event.value);
    for (const line of json.split("\n")) out += `${sep}${line}${newline}`;
    out += newline;
  }
  return `${out}data: [DONE]${newline}${newline}`;
}

// JSON values whose strings include astral and multi-byte characters, so cuts land inside them.
const unicodeText = fc.string({ unit: "grapheme", maxLength: 12 });
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    unicodeText,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;
// An object that is not an error payload (no `error` / `error_code` keys).
const eventValue = fc
  .record({
    choices: fc.array(fc.record({ delta: fc.record({ content: unicodeText }) })),
    x: jsonValue,
  })
  .map((v) => v as unknown);
const event = fc.record({
  value: eventValue,
  multiline: fc.boolean(),
  comment: fc.option(fc.string({ maxLength: 8 })),
  extra: fc.boolean(),
});

describe("sseEvents: properties", () => {
  it("any chunking of any event stream decodes to the same events (LF, CRLF, CR)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 8 }),
        fc.constantFrom<Newline>("\n", "\r\n", "\r"),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (events, newline, noSpace, cuts) => {
          const bytes = encoder.encode(serialise(events, newline, noSpace));
          const decoded = await collect(split(bytes, cuts));
          expect(decoded).toEqual(events.map((e) => e.value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("one byte per chunk decodes like one chunk", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 4 }),
        fc.constantFrom<Newline>("\n", "\r\n", "\r"),
        async (events, nl) => {
          const bytes = encoder.encode(serialise(events, nl, false));
          const single = Array.from(bytes, (b) => Uint8Array.of(b));
          expect(await collect(single)).toEqual(await collect([bytes]));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a stream truncated anywhere before [DONE] never yields a partial event and fails with a connection error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 5 }),
        fc.nat(),
        async (events, cut) => {
          const text = serialise(events, "\n", false);
          const doneAt = text.lastIndexOf("data: [DONE]");
          const bytes = encoder.encode(text.slice(0, doneAt));
          const truncated = bytes.subarray(0, cut % (bytes.length + 1));
          const seen: unknown[] = [];
          let caught: unknown;
          try {
            for await (const e of sseEvents(chunksOf([truncated]))) seen.push(e);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DatabricksConnectionError);
          expect((caught as Error).message).toContain(`after ${seen.length} event(s)`);
          expect(seen).toEqual(events.slice(0, seen.length).map((e) => e.value));
        },
      ),
      { numRuns: 200 },
    );
  });
});

async function* broken(): AsyncGenerator<Uint8Array> {
  yield encoder.encode('data: {"a":1}\n\n');
  throw new Error("socket hang up");
}

async function* aborted(): AsyncGenerator<Uint8Array> {
  yield encoder.encode('data: {"a":1}\n\n');
  throw new DOMException("This operation was aborted", "AbortError");
}

describe("sseEvents: examples", () => {
  it("decodes the Databricks framing and stops at [DONE] without reading further", async () => {
    let pulled = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      pulled++;
      yield encoder.encode('data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n');
      pulled++;
      yield encoder.encode('data: {"a":3}\n\n');
    }
    const out: unknown[] = [];
    for await (const e of sseEvents(body())) out.push(e);
    expect(out).toEqual([{ a: 1 }, { a: 2 }]);
    expect(pulled).toBe(1);
  });

  it("joins multi-line data with \\n and keeps only one leading space", async () => {
    expect(await collectText('data: {"a":\ndata:  "x y"}\n\ndata: [DONE]\n\n')).toEqual([
      { a: "x y" },
    ]);
  });

  it("ignores comments, event/id/retry fields and blank lines between events", async () => {
    const text =
      ': keep-alive\n\nevent: chunk\nid: 1\nretry: 5\ndata: {"b":true}\n\n\n\n: bye\ndata: [DONE]\n\n';
    expect(await collectText(text)).toEqual([{ b: true }]);
  });

  it("handles a CR at the end of a chunk followed by LF in the next one", async () => {
    const parts = ['data: {"c":1}\r', "\n\r", "\ndata: [DONE]\r", "\n\r\n"].map((s) =>
      encoder.encode(s),
    );
    expect(await collect(parts)).toEqual([{ c: 1 }]);
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = encoder.encode('data: {"t":"héllo 🌍 世界"}\n\ndata: [DONE]\n\n');
    const euro = bytes.indexOf(0xf0); // first byte of the 4-byte emoji
    const parts = [
      bytes.subarray(0, euro + 1),
      bytes.subarray(euro + 1, euro + 3),
      bytes.subarray(euro + 3),
    ];
    expect(await collect(parts)).toEqual([{ t: "héllo 🌍 世界" }]);
  });

  it("accepts a final [DONE] without the trailing blank line", async () => {
    expect(await collectText('data: {"a":1}\n\ndata: [DONE]')).toEqual([{ a: 1 }]);
    expect(await collectText('data: {"a":1}\n\ndata: [DONE]\n')).toEqual([{ a: 1 }]);
  });

  it("an empty body is a connection error naming zero events", async () => {
    const error = await failure([]);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect((error as Error).message).toMatch(/before \[DONE\] after 0 event\(s\)/);
  });

  it("a body ending mid-event does not yield that event", async () => {
    const error = await failure('data: {"a":1}\n\ndata: {"a":');
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect((error as Error).message).toMatch(/after 1 event\(s\) \(last event incomplete\)/);
    // A complete JSON event without its blank line is still not trusted.
    expect(await failure('data: {"a":1}\n\ndata: {"a":2}\n')).toBeInstanceOf(
      DatabricksConnectionError,
    );
  });

  it("a 2xx body that is not an event stream (JSON, a page) is a DatabricksResponseError, not a lost connection", async () => {
    for (const body of ['{"unexpected": true}', "<html><body>Hello</body></html>\n", "OK"]) {
      const error = await failure(body);
      expect(error).toBeInstanceOf(DatabricksResponseError);
      expect((error as Error).message).toContain("not an event stream");
    }
    // A stream cut inside its first field name is still a cut stream.
    expect(await failure("dat")).toBeInstanceOf(DatabricksConnectionError);
  });

  it("a 2xx body that is a whole JSON error instead of a stream is the typed API error it names", async () => {
    // Databricks shape, pretty-printed and cut into pieces (the first line alone is just "{").
    const databricks = encoder.encode(
      '{\n  "error_code": "REQUEST_LIMIT_EXCEEDED",\n  "message": "slow down"\n}\n',
    );
    const throttled = await failure(split(databricks, [1, 7, 30]));
    expect(throttled).toBeInstanceOf(DatabricksRateLimitError);
    expect(throttled).toMatchObject({
      errorCode: "REQUEST_LIMIT_EXCEEDED",
      serverMessage: "slow down",
    });
    // OpenAI shape: the status its code implies (`statusForErrorCode`), or the one it names.
    const invalid = await failure('{"error":{"message":"no","code":"invalid_prompt"}}');
    expect(invalid).toMatchObject({
      status: 400,
      errorCode: "invalid_prompt",
      serverMessage: "no",
    });
    const named = await failure('{"error":{"message":"gone","status":404}}');
    expect(named).toMatchObject({ status: 404, serverMessage: "gone" });
    const crashed = await failure('{"error":{"message":"model crashed","type":"server_error"}}');
    expect(crashed).toBeInstanceOf(DatabricksServerError);
    expect(crashed).toMatchObject({ status: 500, serverMessage: "model crashed" });
    // The request is labelled as answered instead of a stream, not as a frame inside one.
    const labelled = sseEvents(
      chunksOf([encoder.encode('{"error_code":"BAD_REQUEST","message":"x"}')]),
      {
        request: "POST /serving-endpoints/e/invocations",
      },
    );
    await expect(labelled.next()).rejects.toThrow(
      /on POST \/serving-endpoints\/e\/invocations \(instead of a stream\): x/,
    );
  });

  it("a non-stream body that only looks like an error stays a DatabricksResponseError", async () => {
    // Not an error shape, JSON followed by more text, or too long to be read whole.
    const tooLong = `{"error_code":"X","message":"${"m".repeat(70 * 1024)}"}`;
    for (const body of ['{"errors": []}', '{"error_code":"X","message":"y"}\nmore', tooLong]) {
      expect(await failure(body)).toBeInstanceOf(DatabricksResponseError);
    }
  });

  it("non-JSON data is a DatabricksResponseError", async () => {
    const error = await failure("data: hello world\n\ndata: [DONE]\n\n");
    expect(error).toBeInstanceOf(DatabricksResponseError);
    expect((error as Error).message).toContain('"hello world"');
  });

  it("a Databricks-shaped error mid-stream is a DatabricksAPIError with the status it names", async () => {
    const error = await failure(
      'data: {"a":1}\n\ndata: {"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}\n\n',
    );
    expect(error).toBeInstanceOf(DatabricksRateLimitError);
    expect((error as DatabricksAPIError).errorCode).toBe("REQUEST_LIMIT_EXCEEDED");
    expect((error as DatabricksAPIError).serverMessage).toBe("slow down");
  });

  it("an OpenAI-shaped error mid-stream is a DatabricksAPIError (500 unless a status or a known code is given)", async () => {
    const error = await failure(
      'data: {"error":{"message":"model crashed","type":"server_error"}}\n\n',
    );
    expect(error).toBeInstanceOf(DatabricksServerError);
    expect((error as DatabricksAPIError).status).toBe(500);
    expect((error as DatabricksAPIError).serverMessage).toBe("model crashed");
    const withStatus = await failure('data: {"error":{"message":"bad","code":400}}\n\n');
    expect((withStatus as DatabricksAPIError).status).toBe(400);
    // The OpenAI codes map as on a Responses `error` event (`statusForErrorCode`).
    const throttled = await failure(
      'data: {"error":{"message":"slow down","code":"rate_limit_exceeded"}}\n\n',
    );
    expect(throttled).toBeInstanceOf(DatabricksRateLimitError);
    expect((throttled as DatabricksAPIError).status).toBe(429);
    const invalid = await failure('data: {"error":{"message":"no","code":"invalid_prompt"}}\n\n');
    expect((invalid as DatabricksAPIError).status).toBe(400);
  });

  it("an `event: error` frame is an API error", async () => {
    const error = await failure('event: error\ndata: {"message":"boom"}\n\n');
    expect(error).toBeInstanceOf(DatabricksAPIError);
    expect((error as DatabricksAPIError).serverMessage).toBe("boom");
  });

  it("a body that fails mid-way becomes a connection error; aborts pass through", async () => {
    const seen: unknown[] = [];
    await expect(async () => {
      for await (const e of sseEvents(broken())) seen.push(e);
    }).rejects.toThrow(DatabricksConnectionError);
    expect(seen).toEqual([{ a: 1 }]);

    await expect(async () => {
      for await (const _ of sseEvents(aborted())) void _;
    }).rejects.toMatchObject({ name: "AbortError" });
  });

  it("breaking out of the loop closes the body", async () => {
    let closed = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield encoder.encode('data: {"a":1}\n\ndata: {"a":2}\n\n');
        yield encoder.encode('data: {"a":3}\n\n');
      } finally {
        closed = true;
      }
    }
    for await (const _ of sseEvents(body())) break;
    expect(closed).toBe(true);
  });

  it("decodes 10k events at a few microseconds per event", async () => {
    const frame = encoder.encode(
      'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok"},"finish_reason":null}]}\n\n',
    );
    const n = 10_000;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) parts.push(frame);
    parts.push(encoder.encode("data: [DONE]\n\n"));
    await collect(parts); // warm-up
    const start = performance.now();
    const out = await collect(parts);
    const perEvent = ((performance.now() - start) * 1000) / n;
    expect(out).toHaveLength(n);
    // Generous bound for slow CI; typically ~1-2 µs on the project machines.
    expect(perEvent).toBeLessThan(20);
  });
});
