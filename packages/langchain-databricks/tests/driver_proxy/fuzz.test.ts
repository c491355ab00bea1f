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
  expectAnsweredInTime,
  expectEarly413,
  expectEarly413ReachesLateReader,
  expectLingerReadsOnWithinBudget,
  expectPipelinedAfterRefusalNotServed,
  expectStillServing,
  stalledClientProperty,
} from "../../../../tests/helpers/fuzz_properties.js";
import {
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
  OVERSIZE,
  oversizeRequest,
  rawExchange,
  sendFuzzedRequest,
  summary,
  watchProcessFailures,
  type FuzzRequest,
  type RawExchange,
  type RawPlan,
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

/**
 * Valid HTTP within the bound, a documented status (never a 5xx: the model here never fails), and
 * errors as `{"error": string}` unless Node's parser answered bare for unparseable HTTP.
 */
function expectWellFormed(
  exchange: RawExchange,
  client: Pick<RawPlan, "finish">,
  method: string,
): void {
  const { context, answered } = expectAnsweredInTime(exchange, client);
  if (!answered) return;
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
          const callsBefore = modelCalls;
          const exchange = await sendFuzzedRequest(
            app.port,
            { method, target: path, body: payload, framing },
            [],
            contentType,
            extra,
            client,
          );
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
          // Counted after the valid request, so that a client that vanished mid-request is checked
          // too (its request may still reach the model after the client's last write).
          await expectStillServing(app.port, VALID_REQUEST);
          const fuzzCalls = modelCalls - callsBefore - 1;
          expect(fuzzCalls, context).toBeGreaterThanOrEqual(0);
          expect(fuzzCalls, context).toBeLessThanOrEqual(1);
          if (fuzzCalls > 0) {
            expect(method, context).toBe("POST");
            expect(pathOf(path), context).toBe("/");
            // A model call is a valid POST /, answered 200 unless the client vanished.
            if (client.finish !== "destroy") expect(answered, context).toBe(200);
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it("refuses a body over the limit with 413 once the limit is crossed, without reading the rest", async () => {
    await fc.assert(
      fc.asyncProperty(OVERSIZE, async (oversize) => {
        const pieces = oversizeRequest(
          "/",
          [["Content-Type", "application/json"]],
          BODY_LIMIT,
          oversize,
        );
        const exchange = await rawExchange(app.port, { pieces });
        const context = JSON.stringify({ oversize, exchange });
        expect(jsonBody(expectEarly413(exchange, context)), context).toEqual({
          error: `request body exceeds the limit of ${BODY_LIMIT} bytes`,
        });
        await expectStillServing(app.port, VALID_REQUEST);
      }),
      { seed: FUZZ_SEED, numRuns: 60 },
    );
  });

  it("lets a client still sending its body read the early 413: the connection closes lingering", async () => {
    // Destroying the socket at once made the kernel reset it under the unread 413 (EPIPE, no answer).
    const answer = await expectEarly413ReachesLateReader(app.port, "/", [], BODY_LIMIT);
    expect(jsonBody(answer)).toEqual({
      error: `request body exceeds the limit of ${BODY_LIMIT} bytes`,
    });
    await expectStillServing(app.port, VALID_REQUEST);
  });

  it("reads and discards the refused body after the 413, up to 8 MiB, then closes", async () => {
    for (const answer of await expectLingerReadsOnWithinBudget(app.port, "/", [], BODY_LIMIT)) {
      expect(jsonBody(answer)).toEqual({
        error: `request body exceeds the limit of ${BODY_LIMIT} bytes`,
      });
    }
    await expectStillServing(app.port, VALID_REQUEST);
  });

  it("never calls the model for a request pipelined behind a refused body", async () => {
    await expectPipelinedAfterRefusalNotServed(
      app.port,
      "/",
      [["Content-Type", "application/json"]],
      BODY_LIMIT,
      VALID_REQUEST,
      () => modelCalls,
    );
    await expectStillServing(app.port, VALID_REQUEST);
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
      await fc.assert(stalledClientProperty(slow.port, VALID_REQUEST), {
        seed: FUZZ_SEED,
        numRuns: 25,
      });
    } finally {
      await slow.close();
    }
  });
});
