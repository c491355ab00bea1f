/**
 * The raw-HTTP fuzz driver shared by the emulator's and the driver-proxy app server's fuzz suites
 * (packages/databricks-serving-emulator/tests/fuzz.test.ts,
 * packages/langchain-databricks/tests/driver_proxy/fuzz.test.ts).
 *
 * It speaks HTTP/1.1 over a plain `node:net` socket because `fetch` and `node:http` normalise
 * exactly what the fuzzing needs to send: malformed request lines, duplicated or garbage headers,
 * lying `Content-Length`s, broken chunked framing, trickled bytes and half-closed connections.
 * Answers are parsed strictly here, so "the server answered a well-formed response" is checked by
 * this file rather than by a lenient client that would repair it.
 */
import { connect } from "node:net";
import fc from "fast-check";

/**
 * The seed of every fuzz property: fixed, so a failure is reproducible by rerunning the file;
 * `FUZZ_SEED=<n>` explores other inputs. fast-check prints the seed and the shrunk path of any
 * counterexample it finds.
 */
export const FUZZ_SEED = Number(process.env["FUZZ_SEED"] ?? 20_261_202);

/**
 * How long one fuzz case may take before the server counts as hung. Generous, because the suite
 * shares two cores with the rest of `npm test`; only a hung case waits this long.
 */
export const ANSWER_BOUND_MS = 5_000;

/** One parsed HTTP response. Header names are lower-cased; repeated headers keep every value. */
export interface RawResponse {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
}

/** What happened on one raw connection. */
export interface RawExchange {
  /** Every complete, well-formed response received, in order. */
  responses: RawResponse[];
  /** The server closed (or reset) the connection. */
  closedByServer: boolean;
  /** Neither the expected answers nor a close arrived within the bound. */
  timedOut: boolean;
  /** Why the received bytes are not valid HTTP/1.1, if they are not. */
  malformed?: string;
  /** Milliseconds from connecting to the end of the exchange. */
  elapsedMs: number;
}

/** How a request's bytes are sent. */
export interface RawPlan {
  /** The request bytes, written in order. */
  pieces: readonly (string | Buffer)[];
  /** Pause before each piece after the first: a slow client. Default 0. */
  trickleMs?: number;
  /**
   * After the last piece: `wait` for the answers (default), `half-close` (end the write side and
   * wait), or `destroy` the socket at once (a client that disappears mid-request).
   */
  finish?: "wait" | "half-close" | "destroy";
  /** The request method is HEAD: its answer carries no body whatever its headers say. */
  head?: boolean;
  /** Stop once this many responses are complete. Default 1. */
  responses?: number;
  /** Give up (`timedOut`) after this long. Default {@link ANSWER_BOUND_MS}. */
  boundMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Send `plan` to 127.0.0.1:`port` over a fresh socket and collect what comes back. */
export function rawExchange(port: number, plan: RawPlan): Promise<RawExchange> {
  const wanted = plan.responses ?? 1;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    let closedByServer = false;
    let settled = false;
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      socket.destroy();
      const parsed = parseResponses(received, plan.head === true, closedByServer);
      resolve({
        responses: parsed.responses,
        closedByServer,
        timedOut,
        ...(parsed.malformed === undefined ? {} : { malformed: parsed.malformed }),
        elapsedMs: performance.now() - started,
      });
    };
    const bound = setTimeout(() => finish(true), plan.boundMs ?? ANSWER_BOUND_MS);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponses(received, plan.head === true, false);
      if (parsed.malformed !== undefined || parsed.responses.length >= wanted) finish(false);
    });
    // A reset while we still write (the server refused early and closed) is a close, not a failure.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closedByServer = true;
      finish(false);
    });
    socket.on("end", () => {
      closedByServer = true;
      finish(false);
    });
    socket.once("connect", () => {
      void (async () => {
        for (const [index, piece] of plan.pieces.entries()) {
          if (settled || socket.destroyed) return;
          if (index > 0 && (plan.trickleMs ?? 0) > 0) await sleep(plan.trickleMs ?? 0);
          if (settled || socket.destroyed) return;
          socket.write(piece);
        }
        if (plan.finish === "half-close") socket.end();
        else if (plan.finish === "destroy") {
          // The client vanished: there is nothing to wait for, only the server's health to check.
          closedByServer = false;
          finish(false);
        }
      })();
    });
  });
}

/**
 * The head of the first response to `pieces`, as sent: its status line and header lines, names in
 * their own case and repeats kept. For checks the strict parser cannot make because it refuses
 * such an answer as a whole (two `Content-Length`s are `malformed` to it).
 */
export function rawResponseHead(
  port: number,
  pieces: readonly (string | Buffer)[],
  boundMs = ANSWER_BOUND_MS,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    const bound = setTimeout(() => finish(), boundMs);
    const finish = (): void => {
      clearTimeout(bound);
      socket.destroy();
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd === -1) reject(new Error(`no complete response head within ${boundMs} ms`));
      else resolve(received.subarray(0, headEnd).toString("latin1").split("\r\n"));
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.includes("\r\n\r\n")) finish();
    });
    socket.on("error", () => undefined);
    socket.on("close", finish);
    socket.once("connect", () => {
      for (const piece of pieces) socket.write(piece);
    });
  });
}

/**
 * Parse as many complete HTTP/1.1 responses as `bytes` holds. A response without framing headers
 * runs to the end of the connection, so it counts only once `closed`.
 */
export function parseResponses(
  bytes: Buffer,
  head: boolean,
  closed: boolean,
): { responses: RawResponse[]; malformed?: string } {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", offset);
    if (headEnd === -1) {
      // An unterminated head is only an error once the server has stopped sending.
      return closed
        ? { responses, malformed: "connection closed inside a response head" }
        : { responses };
    }
    const lines = bytes.subarray(offset, headEnd).toString("latin1").split("\r\n");
    const statusLine = /^HTTP\/1\.[01] ([1-5]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/.exec(
      lines[0] ?? "",
    );
    if (statusLine === null)
      return { responses, malformed: `bad status line ${JSON.stringify(lines[0])}` };
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*(.*?)[\t ]*$/.exec(line);
      if (header === null)
        return { responses, malformed: `bad header line ${JSON.stringify(line)}` };
      const name = (header[1] ?? "").toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), header[2] ?? ""]);
    }
    const status = Number(statusLine[1]);
    let cursor = headEnd + 4;
    let body: Buffer;
    const lengths = headers.get("content-length");
    if (head || status === 204 || status === 304 || status < 200) {
      body = Buffer.alloc(0);
    } else if (
      (headers.get("transfer-encoding") ?? []).join(",").toLowerCase().includes("chunked")
    ) {
      const chunks: Buffer[] = [];
      for (;;) {
        const sizeEnd = bytes.indexOf("\r\n", cursor);
        if (sizeEnd === -1)
          return closed ? { responses, malformed: "truncated chunk size" } : { responses };
        const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(
          bytes.subarray(cursor, sizeEnd).toString("latin1"),
        );
        if (size === null) return { responses, malformed: "bad chunk size" };
        const length = Number.parseInt(size[1] ?? "", 16);
        const dataEnd = sizeEnd + 2 + length;
        if (bytes.length < dataEnd + 2)
          return closed ? { responses, malformed: "truncated chunk" } : { responses };
        if (length === 0) {
          // Trailers are not expected from these servers: the last chunk ends with an empty line.
          if (bytes.subarray(sizeEnd + 2, sizeEnd + 4).toString("latin1") !== "\r\n")
            return { responses, malformed: "trailers or bad last chunk" };
          cursor = sizeEnd + 4;
          break;
        }
        chunks.push(bytes.subarray(sizeEnd + 2, dataEnd));
        if (bytes.subarray(dataEnd, dataEnd + 2).toString("latin1") !== "\r\n")
          return { responses, malformed: "chunk without CRLF" };
        cursor = dataEnd + 2;
      }
      body = Buffer.concat(chunks);
    } else if (lengths !== undefined) {
      if (lengths.length !== 1 || !/^\d+$/.test(lengths[0] ?? ""))
        return { responses, malformed: `bad Content-Length ${JSON.stringify(lengths)}` };
      const end = cursor + Number(lengths[0]);
      if (bytes.length < end)
        return closed
          ? { responses, malformed: "body shorter than Content-Length" }
          : { responses };
      body = bytes.subarray(cursor, end);
      cursor = end;
    } else {
      if (!closed) return { responses };
      body = bytes.subarray(cursor);
      cursor = bytes.length;
    }
    // `100 Continue` and other interim answers precede the real one: they are not answers.
    if (status >= 200) responses.push({ status, headers, body });
    offset = cursor;
  }
  return { responses };
}

/** The single value of a response header, or undefined. */
export function header(response: RawResponse, name: string): string | undefined {
  return response.headers.get(name.toLowerCase())?.[0];
}

/** The response body parsed as JSON, or undefined when it is not JSON. */
export function jsonBody(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An answer written by Node's HTTP parser rather than by the server's routes: a request Node cannot
 * parse (bad request line, header or chunk framing), headers over its 16 KiB limit, or a client too
 * slow for the request timeout. Node sends a bare status with `Connection: close` and no body,
 * before any route code runs.
 */
export function isNodeParserAnswer(response: RawResponse): boolean {
  return (
    [400, 408, 413, 431].includes(response.status) &&
    response.body.length === 0 &&
    header(response, "connection")?.toLowerCase() === "close"
  );
}

/** A request: the pieces of {@link RawPlan} for a head and a body sent with the given framing. */
export interface FuzzRequest {
  method: string;
  target: string;
  headers: readonly (readonly [string, string])[];
  body: Buffer;
  framing: BodyFraming;
}

/**
 * How a body is framed: a correct `Content-Length`, correct chunks of the given sizes, a broken
 * chunked encoding, or no framing header at all (the request then has no body).
 */
export type BodyFraming =
  | { kind: "length" }
  | { kind: "chunked"; chunkSizes: number[] }
  | { kind: "bad-chunks"; garbage: string }
  | { kind: "none" };

/** The bytes of `request`, split in pieces where a trickling client would pause. */
export function requestPieces(request: FuzzRequest): Buffer[] {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const body = request.body;
  const pieces: Buffer[] = [];
  switch (request.framing.kind) {
    case "length":
      lines.push(`Content-Length: ${body.length}`);
      pieces.push(Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body);
      break;
    case "chunked": {
      lines.push("Transfer-Encoding: chunked");
      pieces.push(Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"));
      let offset = 0;
      for (const size of [...request.framing.chunkSizes, body.length]) {
        const chunk = body.subarray(offset, offset + Math.max(1, size));
        if (chunk.length === 0) break;
        offset += chunk.length;
        pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
      }
      pieces.push(Buffer.from("0\r\n\r\n"));
      break;
    }
    case "bad-chunks":
      lines.push("Transfer-Encoding: chunked");
      pieces.push(
        Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"),
        Buffer.from(request.framing.garbage, "latin1"),
      );
      break;
    case "none":
      pieces.push(Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"));
      break;
  }
  return pieces;
}

/**
 * Send a fuzzed request, behaving as `client` ({@link fuzzClientBehaviour}), with
 * `headers` first, then the `Content-Type` (when there is one) and the `extra` headers.
 */
export function sendFuzzedRequest(
  port: number,
  request: Omit<FuzzRequest, "headers">,
  headers: readonly (readonly [string, string])[],
  contentType: string | undefined,
  extra: readonly (readonly [string, string])[],
  client: Pick<RawPlan, "trickleMs" | "finish">,
): Promise<RawExchange> {
  const all = [...headers];
  if (contentType !== undefined) all.push(["Content-Type", contentType]);
  all.push(...extra);
  return rawExchange(port, {
    pieces: requestPieces({ ...request, headers: all }),
    // A HEAD answer carries no body whatever its headers say.
    head: request.method === "HEAD",
    ...client,
  });
}

/** Methods: the common ones, the rare ones, lower case, and made-up tokens. */
export const fuzzMethod: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "post"),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

/**
 * Path segments meant to confuse routing: dot segments raw and percent-encoded (once and twice),
 * encoded slashes, NUL, broken escapes, unicode, very long names.
 */
export const fuzzSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%252e%252e",
    "%2F",
    "a%2Fb",
    "%252F",
    "%00",
    "a%00b",
    "%",
    "%zz",
    "%E0%A4%A",
    "%C0%AE%C0%AE",
    "%F0%9F%98%80",
    "\u00e9",
    "~",
    "",
  ),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
  fc.integer({ min: 1, max: 9000 }).map((n) => "x".repeat(n)),
);

/** A query string: absent, or garbage pairs. */
export const fuzzQuery: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.constantFrom("?", "?a=%", "?&&=", "?token=x&token=y", "?%00=%zz", "?a=1#frag"),
  fc.stringMatching(/^\?[A-Za-z0-9=&%._~-]{0,40}$/),
);

/** A request target under `prefix` with fuzzed segments and query. */
export function fuzzTarget(prefix: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fuzzSegment, { maxLength: 5 }), fuzzQuery)
    .map(([segments, query]) => `${prefix}${segments.map((s) => `/${s}`).join("")}${query}`);
}

/** Values of `Authorization`: missing, empty, unknown schemes, near misses, garbage, very long. */
export function fuzzAuthorization(validToken: string): fc.Arbitrary<string[]> {
  const wrongValue = fc.oneof(
    fc.constantFrom(
      "",
      "Bearer",
      "Bearer ",
      "bearer  ",
      "Basic",
      "Basic !!!not-base64",
      `Basic ${Buffer.from(`admin:${validToken}`).toString("base64")}`,
      `Basic ${Buffer.from("token:").toString("base64")}`,
      `Token ${validToken}`,
      `Bearer ${validToken}x`,
      `Bearer ${validToken.slice(0, -1)}`,
      `Bearer ${validToken.toUpperCase()}`,
      `${validToken}`,
      "Bearer \u00ff\u00fe",
      "Digest username=x",
    ),
    fc.stringMatching(/^[\x21-\x7e]{0,60}$/).map((s) => `Bearer ${s}`),
    fc.integer({ min: 100, max: 12_000 }).map((n) => `Bearer ${"a".repeat(n)}`),
  );
  // Zero, one or two headers; with two, a valid one may hide behind a bad one (or the reverse).
  return fc.oneof(
    fc.constant<string[]>([]),
    wrongValue.map((value) => [value]),
    fc.tuple(wrongValue, wrongValue).map(([a, b]) => [a, b]),
    wrongValue.map((value) => [value, `Bearer ${validToken}`]),
    wrongValue.map((value) => [`Bearer ${validToken}`, value]),
  );
}

/** `Content-Type` values: none, JSON with odd parameters, other types, garbage. */
export const fuzzContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON;charset=latin1",
    "application/vnd.x+json",
    "application/x-www-form-urlencoded",
    "text/csv",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    ";;;",
    "application/json, text/plain",
  ),
);

/** Other headers: duplicates of framing headers, lies, very long and odd values. */
export const fuzzExtraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ["Content-Length", "-1"],
      ["Content-Length", "abc"],
      ["Content-Length", "99999999999999999999"],
      ["Content-Length", "1e3"],
      ["Transfer-Encoding", "gzip"],
      ["Transfer-Encoding", "chunked, gzip"],
      ["Expect", "100-continue"],
      ["Connection", "close"],
      ["Connection", "upgrade"],
      ["Upgrade", "websocket"],
      ["Host", "evil.example"],
      ["X-Forwarded-For", "1.2.3.4"],
      ["Accept", "text/event-stream"],
      ["Content-Encoding", "gzip"],
    ),
    fc
      .tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.stringMatching(/^[\x20-\x7e]{0,40}$/))
      .map(([name, value]): [string, string] => [`X-${name}`, value.trim()]),
    fc.integer({ min: 1_000, max: 20_000 }).map((n): [string, string] => ["X-Long", "v".repeat(n)]),
    fc.constantFrom<[string, string]>(
      ["X-Bad", "a\u0000b"],
      ["X-Bad", "\u00ff\u00fe"],
      ["Bad Name", "x"],
    ),
  ),
  { maxLength: 3 },
);

/** A JSON value of bounded size, for wrong-typed fields. */
const jsonLeaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    jsonLeaf,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

/**
 * Request bodies: invalid JSON, JSON of the wrong shape, known field names with wrong-typed values,
 * deep nesting, huge numbers and invalid UTF-8. `fields` are names the server reads.
 */
export function fuzzBody(fields: readonly string[]): fc.Arbitrary<Buffer> {
  const text = (s: string): Buffer => Buffer.from(s, "utf8");
  return fc.oneof(
    fc.constantFrom(
      Buffer.alloc(0),
      text("{"),
      text("null"),
      text("[]"),
      text('"a string"'),
      text("1e999999"),
      text('{"a":1e309}'),
      text(`{"n":${"9".repeat(5000)}}`),
      text("{'single': 'quotes'}"),
      text("\ufeff{}"),
      text('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
      Buffer.from([0xff, 0xfe, 0xfd]),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from([0xed, 0xa0, 0x80]),
    ),
    fc
      .integer({ min: 1, max: 50_000 })
      .map((depth) => text(`${"[".repeat(depth)}${"]".repeat(depth)}`)),
    fc.integer({ min: 1, max: 20_000 }).map((depth) => {
      const open = fields.map((f) => `{"${f}":`).join("");
      return text(
        `${open}${'{"a":'.repeat(depth)}1${"}".repeat(depth)}${"}".repeat(fields.length)}`,
      );
    }),
    fc.string({ maxLength: 60 }).map(text),
    jsonValue.map((value) => text(JSON.stringify(value))),
    fc
      .dictionary(fc.constantFrom(...fields), jsonValue, { minKeys: 1, maxKeys: 4 })
      .map((value) => text(JSON.stringify(value))),
  );
}

/** Framing of a fuzzed body (see {@link BodyFraming}). */
export const fuzzFraming: fc.Arbitrary<BodyFraming> = fc.oneof(
  fc.constant<BodyFraming>({ kind: "length" }),
  fc
    .array(fc.integer({ min: 1, max: 64 }), { maxLength: 4 })
    .map((chunkSizes): BodyFraming => ({ kind: "chunked", chunkSizes })),
  fc
    .constantFrom(
      "zz\r\nabc\r\n0\r\n\r\n",
      "5\r\nab\r\n0\r\n\r\n",
      "3\nabc\n0\n\n",
      "-1\r\n\r\n",
      "ffffffffffffffffff\r\nx",
    )
    .map((garbage): BodyFraming => ({ kind: "bad-chunks", garbage })),
  fc.constant<BodyFraming>({ kind: "none" }),
);

/** How the client behaves while sending: at once, trickled, half-closed, or vanishing. */
export const fuzzClientBehaviour: fc.Arbitrary<Pick<RawPlan, "trickleMs" | "finish">> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ trickleMs: 5 }) },
  { weight: 1, arbitrary: fc.constant({ finish: "half-close" as const }) },
  { weight: 1, arbitrary: fc.constant({ finish: "destroy" as const }) },
);

/**
 * A body over a server's limit: declared by `Content-Length` (`excess` bytes over it, up to 10¹⁵),
 * or streamed chunked until it has crossed the limit by `excess` bytes.
 */
export interface Oversize {
  declared: boolean;
  excess: number;
}

export const OVERSIZE: fc.Arbitrary<Oversize> = fc.oneof(
  fc.record({ declared: fc.constant(true), excess: fc.integer({ min: 1, max: 1e6 }) }),
  fc.constant({ declared: true, excess: 1e15 }),
  fc.record({ declared: fc.constant(false), excess: fc.integer({ min: 1, max: 4096 }) }),
);

/** The size of the chunks of an undeclared oversize body: few pieces, even for a 64 KiB limit. */
const OVERSIZE_CHUNK_BYTES = 16 * 1024;

/**
 * The pieces of a `POST path` whose body is over `limit` as `oversize` says, with `headers` besides
 * the framing ones. The body is never finished (a declared one is not sent at all, a chunked one
 * has no last chunk), so only a server that answers before the client is done can be heard.
 */
export function oversizeRequest(
  path: string,
  headers: readonly (readonly [string, string])[],
  limit: number,
  oversize: Oversize,
): Buffer[] {
  const lines = [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(
    oversize.declared ? `Content-Length: ${limit + oversize.excess}` : "Transfer-Encoding: chunked",
  );
  const pieces: Buffer[] = [Buffer.from(`${lines.join("\r\n")}\r\n\r\n`)];
  if (!oversize.declared) {
    const chunk = Buffer.alloc(Math.min(limit + oversize.excess, OVERSIZE_CHUNK_BYTES), "a");
    const sizeLine = Buffer.from(`${chunk.length.toString(16)}\r\n`);
    for (let sent = 0; sent <= limit + oversize.excess; sent += chunk.length) {
      pieces.push(sizeLine, chunk, Buffer.from("\r\n"));
    }
  }
  return pieces;
}

/**
 * A client on a slow network: it sends `head` then keeps sending body bytes (`bodyBytes` in all,
 * in 16 KiB pieces), but reads nothing for `readAfterMs`, as if the answer were still in flight.
 * A server that refuses early and closes at once makes the kernel answer those later bytes with a
 * reset, which throws away the unread answer: only a server that closes lingering (reads and
 * discards for a while) gets its answer through.
 */
export function lateReadingExchange(
  port: number,
  head: Buffer,
  bodyBytes: number,
  readAfterMs: number,
): Promise<{ responses: RawResponse[]; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    let error: string | undefined;
    let writing: ReturnType<typeof setInterval> | undefined;
    const finish = (): void => {
      clearInterval(writing);
      clearTimeout(bound);
      socket.destroy();
      const { responses } = parseResponses(received, false, true);
      resolve(error === undefined ? { responses } : { responses, error });
    };
    const bound = setTimeout(finish, readAfterMs + ANSWER_BOUND_MS);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseResponses(received, false, false).responses.length > 0) finish();
    });
    socket.on("error", (cause: NodeJS.ErrnoException) => {
      error ??= cause.code ?? cause.message;
    });
    socket.on("close", finish);
    socket.once("connect", () => {
      socket.pause();
      socket.write(head);
      const piece = Buffer.alloc(16 * 1024, "a");
      let sent = 0;
      writing = setInterval(() => {
        if (sent >= bodyBytes || socket.destroyed) return clearInterval(writing);
        sent += piece.length;
        socket.write(piece);
      }, 2);
      setTimeout(() => socket.resume(), readAfterMs);
    });
  });
}

/** A response as readable text for assertion messages. */
export function summary(response: RawResponse): object {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: response.body.toString("utf8").slice(0, 300),
  };
}

/**
 * Collects what would crash a server process: unhandled rejections and uncaught exceptions raised
 * while the fuzz runs (vitest would report them too, but only after the test, without the case).
 */
export function watchProcessFailures(): { failures: unknown[]; stop(): void } {
  const failures: unknown[] = [];
  const record = (error: unknown): void => {
    failures.push(error);
  };
  process.on("unhandledRejection", record);
  process.on("uncaughtExceptionMonitor", record);
  return {
    failures,
    stop: () => {
      process.off("unhandledRejection", record);
      process.off("uncaughtExceptionMonitor", record);
    },
  };
}

/**
 * A client that sends only the first `keep` share of a request (cutting the request line, the
 * headers or the body), trickled in pieces of `pieceBytes`, then stalls, half-closes its side, or
 * vanishes.
 */
export interface StalledClient {
  keep: number;
  pieceBytes: number;
  then: "stall" | "half-close" | "destroy";
}

export const fuzzStalledClient: fc.Arbitrary<StalledClient> = fc.record({
  keep: fc.double({ min: 0, max: 0.999, noNaN: true }),
  pieceBytes: fc.integer({ min: 1, max: 64 }),
  then: fc.constantFrom("stall" as const, "half-close" as const, "destroy" as const),
});

/** The {@link RawPlan} of `client` sending `request` (see {@link StalledClient}). */
export function stalledPlan(request: FuzzRequest, client: StalledClient, boundMs: number): RawPlan {
  const whole = Buffer.concat(requestPieces(request));
  const sent = whole.subarray(0, Math.max(1, Math.floor(whole.length * client.keep)));
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < sent.length; offset += client.pieceBytes) {
    pieces.push(sent.subarray(offset, offset + client.pieceBytes));
  }
  return {
    pieces,
    trickleMs: 1,
    finish: client.then === "stall" ? "wait" : client.then,
    boundMs,
  };
}

/** What {@link floodAfterHead} saw. */
export interface FloodExchange {
  responses: RawResponse[];
  /** Body bytes the client handed to its kernel without error (each write's callback succeeded). */
  flushed: number;
  /** The first write or connection error (`EPIPE`, `ECONNRESET`), if any. */
  error?: string;
  /** The connection closed before the bound. */
  closed: boolean;
}

/**
 * A client that sends `head`, then `bodyBytes` of body as fast as the connection takes them
 * (waiting for `drain`), keeps writing after the server's answer and its half-close (the socket is
 * half-open), then ends its side. It counts the bytes it got out: a server that stops reading leaves
 * them stuck in the kernel's buffers (a few MiB at most on loopback) and, when it closes with them
 * unread, resets the connection (`EPIPE`/`ECONNRESET` here).
 */
export function floodAfterHead(
  port: number,
  head: Buffer,
  bodyBytes: number,
  boundMs = ANSWER_BOUND_MS,
): Promise<FloodExchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    let received = Buffer.alloc(0);
    let flushed = 0;
    let error: string | undefined;
    let closed = false;
    const finish = (): void => {
      clearTimeout(bound);
      socket.destroy();
      const { responses } = parseResponses(received, false, true);
      resolve({ responses, flushed, closed, ...(error === undefined ? {} : { error }) });
    };
    const bound = setTimeout(finish, boundMs);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    socket.on("error", (cause: NodeJS.ErrnoException) => {
      error ??= cause.code ?? cause.message;
    });
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.once("connect", () => {
      socket.write(head);
      const piece = Buffer.alloc(64 * 1024, "a");
      let sent = 0;
      const pump = (): void => {
        while (sent < bodyBytes && !socket.destroyed) {
          sent += piece.length;
          const more = socket.write(piece, (cause) => {
            if (cause == null) flushed += piece.length;
          });
          if (!more) {
            socket.once("drain", pump);
            return;
          }
        }
        if (!socket.destroyed) socket.end();
      };
      pump();
    });
  });
}
