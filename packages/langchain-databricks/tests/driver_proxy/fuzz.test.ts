/**
 * Property-based fuzzing of `serveDriverProxyApp` with hostile HTTP (issue 10,
 * docs/RELIABILITY.md "Hostile input"), through the raw-socket driver the emulator's fuzz suite
 * uses too (tests/helpers/raw_http.ts). The app server has no authentication of its own (the
 * cluster's driver proxy authenticates callers, SECURITY.md): what it promises is a well-formed
 * answer to anything, the model called only for a valid `POST /`, bounded bodies, and a server
 * that keeps serving.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANSWER_BOUND_MS,
  FUZZ_SEED,
  fuzzBody,
  fuzzClientBehaviour,
  fuzzContentType,
  fuzzExtraHeaders,
  fuzzFraming,
  fuzzMethod,
  fuzzQuery,
  fuzzTarget,
  header,
  isNodeParserAnswer,
  jsonBody,
  rawExchange,
  requestPieces,
  watchProcessFailures,
  fuzzStalledClient,
  stalledPlan,
  type FuzzRequest,
  type RawExchange,
  type RawResponse,
} from "../../../../tests/helpers/raw_http.js";
import {
  defaultDriverProxyHost,
  serveDriverProxyApp,
  type DriverProxyApp,
} from "../../src/driver_proxy/index.js";

/** A small body limit, so oversized bodies are cheap to send. */
const BODY_LIMIT = 1024;

/** Calls of the served model: only a valid `POST /` may cause one. */
let modelCalls = 0;
let app: DriverProxyApp;
const processFailures = watchProcessFailures();

beforeAll(async () => {
  app = await serveDriverProxyApp({
    model: (prompt) => {
      modelCalls += 1;
      return `echo: ${prompt}`;
    },
    port: 0,
    host: "127.0.0.1",
    maxBodyBytes: BODY_LIMIT,
    warn: () => undefined,
  });
});

afterAll(async () => {
  processFailures.stop();
  expect(processFailures.failures).toEqual([]);
  await app.close();
});

/** `/` and near misses of it, or fuzzed paths. */
const target = fc.oneof(
  fc
    .tuple(fc.constantFrom("/", "//", "//evil.example/", "/x/..", "/%2e%2e", "/./", "*"), fuzzQuery)
    .map(([path, query]) => `${path}${query}`),
  fuzzTarget(""),
  fuzzTarget("/"),
);

/** The body fields the app reads. */
const BODY_FIELDS = ["prompt", "stop", "dataframe_records", "temperature", "signal", "callbacks"];

/** The request path as sent, without its query. */
function pathOf(requestTarget: string): string {
  const query = requestTarget.indexOf("?");
  return query === -1 ? requestTarget : requestTarget.slice(0, query);
}

/** A request the app answers 200. */
const VALID_REQUEST: FuzzRequest = {
  method: "POST",
  target: "/",
  headers: [["Content-Type", "application/json"]],
  body: Buffer.from('{"prompt":"still there?"}'),
  framing: { kind: "length" },
};

/** A valid request on a fresh connection: the app must still serve after each fuzz case. */
async function expectStillServing(port = app.port): Promise<void> {
  const exchange = await rawExchange(port, { pieces: requestPieces(VALID_REQUEST) });
  expect(exchange.responses[0]?.status, JSON.stringify(exchange)).toBe(200);
}

/** A response as readable text for assertion messages. */
function summary(response: RawResponse): object {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: response.body.toString("utf8").slice(0, 300),
  };
}

/**
 * Valid HTTP within the bound, a documented status (never a 5xx: the model here never fails), and
 * errors as `{"error": string}` unless Node's parser answered bare for unparseable HTTP.
 */
function expectWellFormed(exchange: RawExchange, client: { finish?: string }, method: string) {
  const context = JSON.stringify({ ...exchange, responses: exchange.responses.map(summary) });
  expect(exchange.timedOut, `no answer and no close within ${ANSWER_BOUND_MS} ms: ${context}`).toBe(
    false,
  );
  expect(exchange.malformed, context).toBeUndefined();
  if (client.finish === "destroy") return;
  expect(exchange.responses.length > 0 || exchange.closedByServer, context).toBe(true);
  for (const response of exchange.responses) {
    if (isNodeParserAnswer(response)) continue;
    expect([200, 400, 404, 405, 413, 415], context).toContain(response.status);
    if (response.status === 200 || method === "HEAD") continue;
    expect(header(response, "content-type"), context).toBe("application/json");
    const error = jsonBody(response) as Record<string, unknown> | undefined;
    expect(Object.keys(error ?? {}), context).toEqual(["error"]);
    expect(typeof error?.["error"], context).toBe("string");
  }
}

describe("serveDriverProxyApp fuzzing", () => {
  it("binds loopback by default outside a Databricks driver, so only this machine reaches it", () => {
    // No authentication of its own: the cluster's driver proxy authenticates callers upstream.
    expect(defaultDriverProxyHost({})).toBe("127.0.0.1");
    expect(defaultDriverProxyHost({ DATABRICKS_RUNTIME_VERSION: "15.4" })).toBe("0.0.0.0");
  });

  it("answers hostile requests well-formed, calls the model only for a valid POST /, keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: fc.constant("POST") }, fuzzMethod),
        target,
        fuzzContentType,
        fuzzExtraHeaders,
        fuzzBody(BODY_FIELDS),
        fuzzFraming,
        fuzzClientBehaviour,
        async (method, path, contentType, extra, payload, framing, client) => {
          const headers: [string, string][] = [];
          if (contentType !== undefined) headers.push(["Content-Type", contentType]);
          headers.push(...extra);
          const callsBefore = modelCalls;
          const exchange = await rawExchange(app.port, {
            pieces: requestPieces({ method, target: path, headers, body: payload, framing }),
            head: method === "HEAD",
            ...client,
          });
          expectWellFormed(exchange, client, method);
          const context = JSON.stringify({
            method,
            path,
            responses: exchange.responses.map(summary),
          });
          const answered = exchange.responses[0]?.status;
          if (answered === 200) {
            // Only `/` is served, as sent: no dot segments, no `//host` authority.
            expect(pathOf(path), context).toBe("/");
          }
          if (modelCalls > callsBefore) {
            expect(method, context).toBe("POST");
            expect(pathOf(path), context).toBe("/");
          }
          await expectStillServing();
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it("refuses a body over the limit with 413 once the limit is crossed, without reading the rest", async () => {
    const oversize = fc.oneof(
      fc.record({ declared: fc.constant(true), excess: fc.integer({ min: 1, max: 1e6 }) }),
      fc.constant({ declared: true, excess: 1e15 }),
      fc.record({ declared: fc.constant(false), excess: fc.integer({ min: 1, max: 4096 }) }),
    );
    await fc.assert(
      fc.asyncProperty(oversize, async ({ declared, excess }) => {
        const head = [
          "POST / HTTP/1.1",
          "Host: 127.0.0.1",
          "Content-Type: application/json",
          declared ? `Content-Length: ${BODY_LIMIT + excess}` : "Transfer-Encoding: chunked",
        ].join("\r\n");
        // The client never finishes its body: only an answer that does not wait for it passes.
        const pieces: Buffer[] = [Buffer.from(`${head}\r\n\r\n`)];
        if (!declared) {
          const chunk = Buffer.alloc(256, "a");
          for (let sent = 0; sent <= BODY_LIMIT + excess; sent += chunk.length) {
            pieces.push(
              Buffer.from(`${chunk.length.toString(16)}\r\n`),
              chunk,
              Buffer.from("\r\n"),
            );
          }
        }
        const exchange = await rawExchange(app.port, { pieces });
        const context = JSON.stringify({ declared, excess, exchange });
        expect(exchange.timedOut, context).toBe(false);
        const answer = exchange.responses[0];
        expect(answer?.status, context).toBe(413);
        expect(jsonBody(answer as RawResponse), context).toEqual({
          error: `request body exceeds the limit of ${BODY_LIMIT} bytes`,
        });
        expect(header(answer as RawResponse, "connection"), context).toBe("close");
        await expectStillServing();
      }),
      { seed: FUZZ_SEED, numRuns: 60 },
    );
  });

  it("cuts off slow, stalled and half-closed clients within the request timeout, and keeps serving", async () => {
    // A short request timeout, so a stalled client is cut off quickly (60 s by default).
    const slow = await serveDriverProxyApp({
      model: (prompt) => prompt,
      port: 0,
      host: "127.0.0.1",
      requestTimeoutMs: 250,
      warn: () => undefined,
    });
    try {
      await fc.assert(
        fc.asyncProperty(fuzzStalledClient, async (client) => {
          // Bound: the 250 ms timeout, Node's check every 250 ms, the trickle, and slack.
          const exchange = await rawExchange(slow.port, stalledPlan(VALID_REQUEST, client, 2_500));
          const context = JSON.stringify({ client, exchange });
          expect(exchange.timedOut, context).toBe(false);
          expect(exchange.malformed, context).toBeUndefined();
          // An unfinished request is never served: Node's bare 400 (cut by the client) or 408 (too
          // slow), or the connection closes.
          for (const response of exchange.responses) {
            expect(isNodeParserAnswer(response), context).toBe(true);
          }
          if (client.then !== "destroy") {
            expect(exchange.responses.length > 0 || exchange.closedByServer, context).toBe(true);
          }
          await expectStillServing(slow.port);
        }),
        { seed: FUZZ_SEED, numRuns: 25 },
      );
    } finally {
      await slow.close();
    }
  });
});
