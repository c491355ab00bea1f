/**
 * Property-based fuzzing of the emulator with hostile HTTP (issue 10, docs/RELIABILITY.md "Hostile
 * input"): raw requests over `node:net` (tests/helpers/raw_http.ts) with fuzzed methods, paths,
 * headers, credentials, bodies, framing and client behaviour. Every property checks that the
 * emulator answers well-formed HTTP within a bound (or closes the connection), never a 5xx of its
 * own, in the Databricks error shape, lets nothing unauthenticated reach a backend or a driver app,
 * and still serves a valid request afterwards.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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
} from "../../../tests/helpers/fuzz_properties.js";
import {
  FUZZ_SEED,
  fuzzAuthorization,
  fuzzBody,
  fuzzClientBehaviour,
  fuzzContentType,
  fuzzExtraHeaders,
  fuzzFraming,
  fuzzMethod,
  fuzzQuery,
  fuzzSegment,
  fuzzTarget,
  header,
  isNodeParserAnswer,
  jsonBody,
  OVERSIZE,
  oversizeRequest,
  rawExchange,
  sendFuzzedRequest,
  watchProcessFailures,
  requestPieces,
  type FuzzRequest,
  type RawExchange,
  type RawPlan,
  type RawResponse,
} from "../../../tests/helpers/raw_http.js";
import { startEmulator, type EmulatorHandle } from "../src/index.js";

const TOKEN = "dapi-fuzz-0123456789abcdef";
const WORKSPACE_ID = "900800700600";
/** A small limit on one endpoint, so oversized bodies are cheap to send. */
const SMALL_LIMIT = 1024;

/**
 * A path segment percent-decoded, or as is when it is not valid percent-encoding: the test's own
 * oracle, not the emulator's decoder under test.
 */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Backend calls and driver-app hits: what an unauthenticated request must never cause. */
const reached = { backend: 0, appA: [] as string[], appB: [] as string[] };

let handle: EmulatorHandle;
/** Unhandled rejections and uncaught exceptions: what would take an emulator process down. */
const processFailures = watchProcessFailures();
const appServers: Server[] = [];

/** A driver app that records the path of every request it receives and answers 200. */
async function countingApp(seen: string[]): Promise<number> {
  const server = createServer((req, res) => {
    seen.push(req.url ?? "");
    req.resume();
    req.on("end", () => res.end('{"ok":true}'));
  });
  appServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const portA = await countingApp(reached.appA);
  const portB = await countingApp(reached.appB);
  const countingBackend = {
    type: "function" as const,
    fn: () => {
      reached.backend += 1;
      return "counted";
    },
  };
  handle = await startEmulator({
    tokens: [TOKEN],
    workspaceId: WORKSPACE_ID,
    oauthClients: [{ clientId: "fuzz-client", clientSecret: "fuzz-secret" }],
    endpoints: [
      { name: "custom", backend: countingBackend },
      { name: "chat", task: "llm/v1/chat", backend: countingBackend },
      { name: "completions", task: "llm/v1/completions", backend: countingBackend },
      { name: "small", backend: countingBackend, maxRequestBytes: SMALL_LIMIT },
    ],
    driverApps: [
      { clusterId: "c1", port: 7777, target: portA },
      // An app mounted under a base path: forwarded paths must stay under it.
      { clusterId: "c1", port: 7778, target: `http://127.0.0.1:${portB}/base` },
    ],
  });
});

afterAll(async () => {
  processFailures.stop();
  expect(processFailures.failures).toEqual([]);
  await handle.close();
  await Promise.all(appServers.map((s) => new Promise((resolve) => s.close(resolve))));
});

function resetCounters(): void {
  reached.backend = 0;
  reached.appA.length = 0;
  reached.appB.length = 0;
}

/** The paths the emulator routes, the prefixes fuzzed paths start from. */
const ROUTES = [
  "/serving-endpoints/custom/invocations",
  "/serving-endpoints/chat/invocations",
  "/serving-endpoints/small/invocations",
  "/api/serving-endpoints/custom/invocations",
  "/serving-endpoints/custom/served-models/custom/invocations",
  "/serving-endpoints/chat/completions",
  "/serving-endpoints/completions",
  "/serving-endpoints/embeddings",
  "/serving-endpoints/responses",
  "/ai-gateway/mlflow/v1/chat/completions",
  "/ai-gateway/mlflow/v1/responses",
  "/api/2.0/serving-endpoints",
  "/api/2.0/serving-endpoints/chat",
  "/api/2.0/preview/scim/v2/Me",
  "/driver-proxy-api/o/0/c1/7777",
  "/driver-proxy-api/o/0/c1/7778",
  "/oidc/v1/token",
  "/.well-known/databricks-config",
  "/",
];

/** A route as is (with a fuzzed query), or a route followed by fuzzed segments. */
const target = fc.oneof(
  fc.tuple(fc.constantFrom(...ROUTES), fuzzQuery).map(([route, query]) => `${route}${query}`),
  fc.constantFrom(...ROUTES).chain((route) => fuzzTarget(route)),
  fuzzTarget(""),
);

/** Fields the emulator's routes read, so that fuzzed bodies get past the first checks. */
const BODY_FIELDS = [
  "model",
  "messages",
  "prompt",
  "input",
  "dataframe_records",
  "dataframe_split",
  "instances",
  "inputs",
  "params",
  "stream",
  "tools",
  "max_tokens",
  "temperature",
  "n",
  "stop",
  "custom_inputs",
];

/** Bodies: generic hostile ones, and ones naming a real endpoint so they reach its validation. */
const body = fc.oneof(
  fuzzBody(BODY_FIELDS),
  fc
    .tuple(
      fc.constantFrom("chat", "completions", "custom", "system.ai.chat"),
      fuzzBody(BODY_FIELDS.filter((f) => f !== "model")),
    )
    .map(([model, rest]) => {
      // Splice `"model"` into a fuzzed object body; non-objects stay as they are.
      const text = rest.toString("utf8");
      return text.startsWith("{") && text.length > 1
        ? Buffer.from(`{"model":${JSON.stringify(model)},${text.slice(1)}`.replace(",}", "}"))
        : rest;
    }),
);

/** A request the emulator answers 200. */
const VALID_REQUEST: FuzzRequest = {
  method: "POST",
  target: "/serving-endpoints/chat/invocations",
  headers: [
    ["Authorization", `Bearer ${TOKEN}`],
    ["Content-Type", "application/json"],
  ],
  body: Buffer.from('{"messages":[{"role":"user","content":"still there?"}]}'),
  framing: { kind: "length" },
};

/**
 * The documented plain-text errors: the serving path error, the gateway's bad token, and MLflow's
 * 415s for a custom model's content type and charset (src/mlflow_scoring.ts).
 */
function isDocumentedTextError(response: RawResponse): boolean {
  const text = response.body.toString("utf8");
  return (
    (response.status === 404 && text.startsWith("Path must be of form /serving-endpoints/")) ||
    (response.status === 400 && text === "Invalid Token") ||
    (response.status === 415 && header(response, "content-type")?.startsWith("text/plain") === true)
  );
}

/**
 * The shape every answer must have: valid HTTP within the bound, no 5xx of the emulator's own, and
 * errors either in the Databricks JSON shape, one of the documented text errors, or Node's bare
 * answer to unparseable HTTP. `allowDriverProxy502`: a 502 on a driver-proxy path is the documented
 * answer for an app the emulator cannot reach, but only once the caller is authenticated (route()
 * authenticates first), so it is allowed only where the credentials are valid.
 */
function expectWellFormed(
  exchange: RawExchange,
  client: Pick<RawPlan, "finish">,
  method: string,
  path: string,
  allowDriverProxy502: boolean,
): void {
  const { context, answered } = expectAnsweredInTime(exchange, client);
  if (!answered) return;
  for (const response of exchange.responses) {
    const documented502 =
      allowDriverProxy502 && response.status === 502 && path.startsWith("/driver-proxy-api/");
    if (!documented502) expect(response.status, context).toBeLessThan(500);
    // A HEAD answer has the headers of the error but no body to check.
    if (response.status < 400 || method === "HEAD") continue;
    if (isNodeParserAnswer(response) || isDocumentedTextError(response)) continue;
    expect(header(response, "content-type"), context).toMatch(/^application\/json/);
    const error = jsonBody(response) as Record<string, unknown> | undefined;
    // OAuth errors use the OAuth shape (`error`, `error_description`), the rest Databricks'.
    if (error !== undefined && typeof error["error"] === "string") {
      expect(typeof error["error_description"], context).toBe("string");
      continue;
    }
    expect(["string", "number"], context).toContain(typeof error?.["error_code"]);
    expect(typeof error?.["message"], context).toBe("string");
  }
}

describe("emulator fuzzing", () => {
  it("sends a valid chunked body with one last chunk, whatever the chunk sizes", () => {
    // The fuzzing driver itself: sizes covering the body must not end the body early.
    const chunked = (body: string, chunkSizes: number[]): string =>
      Buffer.concat(
        requestPieces({
          method: "POST",
          target: "/",
          headers: [],
          body: Buffer.from(body),
          framing: { kind: "chunked", chunkSizes },
        }).slice(1),
      ).toString("latin1");
    expect(chunked("abcdefghij", [3, 64])).toBe("3\r\nabc\r\n7\r\ndefghij\r\n0\r\n\r\n");
    expect(chunked("abcdefghij", [3])).toBe("3\r\nabc\r\n7\r\ndefghij\r\n0\r\n\r\n");
    expect(chunked("abcdefghij", [])).toBe("a\r\nabcdefghij\r\n0\r\n\r\n");
    expect(chunked("", [3, 64])).toBe("0\r\n\r\n");
  });

  it("answers hostile requests without credentials well-formed, and nothing reaches a backend or app", async () => {
    await fc.assert(
      fc.asyncProperty(
        fuzzMethod,
        target,
        // Node keeps the first of duplicated `Authorization` headers: a valid token behind a bad one
        // must not authenticate either.
        fuzzAuthorization(TOKEN).filter((values) => values[0] !== `Bearer ${TOKEN}`),
        fuzzContentType,
        fuzzExtraHeaders,
        body,
        fuzzFraming,
        fuzzClientBehaviour,
        async (method, path, authorization, contentType, extra, payload, framing, client) => {
          resetCounters();
          const exchange = await sendFuzzedRequest(
            handle.port,
            { method, target: path, body: payload, framing },
            authorization.map((value) => ["Authorization", value]),
            contentType,
            extra,
            client,
          );
          expectWellFormed(exchange, client, method, path, false);
          // Checked after the valid request, so that a client that vanished mid-request is checked
          // too (its request may still be handled after the client's last write): the backend saw
          // only the valid request, no app saw anything.
          await expectStillServing(handle.port, VALID_REQUEST);
          expect(reached).toEqual({ backend: 1, appA: [], appB: [] });
        },
      ),
      { seed: FUZZ_SEED, numRuns: 250 },
    );
  });

  it("answers hostile requests with valid credentials well-formed, without a 5xx of its own", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 4, arbitrary: fc.constant("POST") }, fuzzMethod),
        target,
        fc.constantFrom(
          `Bearer ${TOKEN}`,
          `Basic ${Buffer.from(`token:${TOKEN}`).toString("base64")}`,
        ),
        fuzzContentType,
        fuzzExtraHeaders,
        body,
        fuzzFraming,
        fuzzClientBehaviour,
        async (method, path, authorization, contentType, extra, payload, framing, client) => {
          const exchange = await sendFuzzedRequest(
            handle.port,
            { method, target: path, body: payload, framing },
            [["Authorization", authorization]],
            contentType,
            extra,
            client,
          );
          expectWellFormed(exchange, client, method, path, true);
          await expectStillServing(handle.port, VALID_REQUEST);
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it("forwards the driver-proxy route only to the registered app, and only under its path", async () => {
    // The registered org, cluster and ports weigh more than fuzzed values, so that many runs reach
    // an app: the counts below must all be positive, or a proxy that never forwards would pass.
    const org = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("0", WORKSPACE_ID) },
      { weight: 1, arbitrary: fuzzSegment },
    );
    const cluster = fc.oneof(
      { weight: 3, arbitrary: fc.constant("c1") },
      { weight: 1, arbitrary: fc.constantFrom("c2", "C1", "c%31", "c1%2F..", "c1%00") },
      { weight: 1, arbitrary: fuzzSegment },
    );
    const port = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("7777", "7778") },
      {
        weight: 1,
        arbitrary: fc.constantFrom("7779", "%37%37%37%37", "07777", "7777%20", "7777%2F..%2F7778"),
      },
      { weight: 1, arbitrary: fuzzSegment },
    );
    // Dot segments, and encoded slashes and backslashes around them, which are forwarded as sent
    // (SECURITY.md: the guarantee is at the URL level).
    const subPath = fc
      .array(
        fc.oneof(
          fuzzSegment,
          fc.constantFrom("..", "%2e%2e", "..%2F..", "..%5C..", "%2F", "7778", "c1"),
        ),
        { maxLength: 5 },
      )
      .map((segments) => segments.map((s) => `/${s}`).join(""));
    const runsReaching = { appA: 0, appB: 0, appBWithDotSegments: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "DELETE"),
        org,
        cluster,
        port,
        subPath,
        fuzzQuery,
        async (method, orgId, clusterId, appPort, sub, query) => {
          resetCounters();
          const path = `/driver-proxy-api/o/${orgId}/${clusterId}/${appPort}${sub}${query}`;
          const exchange = await rawExchange(handle.port, {
            pieces: requestPieces({
              method,
              target: path,
              headers: [["Authorization", `Bearer ${TOKEN}`]],
              body: Buffer.from(method === "POST" ? '{"prompt":"hi"}' : ""),
              framing: method === "POST" ? { kind: "length" } : { kind: "none" },
            }),
          });
          expectWellFormed(exchange, {}, method, path, true);
          const context = JSON.stringify({ path, reached, status: exchange.responses[0]?.status });
          const hits = reached.appA.length + reached.appB.length;
          expect(hits, context).toBeLessThanOrEqual(1);
          const status = exchange.responses[0]?.status;
          if (status === 502) {
            expect(hits, context).toBe(0);
            expect(jsonBody(exchange.responses[0] as RawResponse), context).toMatchObject({
              error_code: "BAD_GATEWAY",
            });
          }
          if (hits === 0) return;
          const hasDotSegments = /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(sub);
          if (reached.appA.length === 1) runsReaching.appA += 1;
          if (reached.appB.length === 1) runsReaching.appB += 1;
          if (reached.appB.length === 1 && hasDotSegments) runsReaching.appBWithDotSegments += 1;
          // Only the registered (cluster, port) pair reaches an app, in the workspace of this host.
          expect(["0", WORKSPACE_ID], context).toContain(decoded(orgId));
          expect(decoded(clusterId), context).toBe("c1");
          expect(decoded(appPort), context).toBe(reached.appA.length === 1 ? "7777" : "7778");
          // What the app receives stays under its base path once dot segments are resolved.
          const forwarded = reached.appA[0] ?? reached.appB[0] ?? "";
          const resolved = new URL(forwarded, "http://app.invalid").pathname;
          if (reached.appB.length === 1) expect(resolved, context).toMatch(/^\/base(\/|$)/);
          expect(forwarded, context).not.toMatch(/(^|\/)(\.|%2e){1,2}(\/|$|\?)/i);
          // Every forwarded segment is one the client sent, as sent: nothing is decoded, so an
          // encoded slash or backslash (`..%2F..`) stays inside its segment.
          const basePath = reached.appB.length === 1 ? "/base" : "";
          const forwardedPath = (forwarded.split("?")[0] ?? "").slice(basePath.length);
          const sentSegments = sub.split("/");
          for (const segment of forwardedPath.split("/").filter((s) => s !== "")) {
            expect(sentSegments, context).toContain(segment);
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
    expect(runsReaching.appA, JSON.stringify(runsReaching)).toBeGreaterThan(0);
    expect(runsReaching.appB, JSON.stringify(runsReaching)).toBeGreaterThan(0);
    expect(runsReaching.appBWithDotSegments, JSON.stringify(runsReaching)).toBeGreaterThan(0);
  });

  it("refuses a body over the limit with 413 once the limit is crossed, without reading the rest", async () => {
    /** Routes and their limits: an endpoint's own, the token endpoint's, the OpenAI routes'. */
    const limited = fc.constantFrom(
      { path: "/serving-endpoints/small/invocations", limit: SMALL_LIMIT },
      { path: "/oidc/v1/token", limit: 64 * 1024 },
      { path: "/serving-endpoints/chat/completions", limit: 16 * 1024 * 1024 },
    );
    await fc.assert(
      fc.asyncProperty(limited, OVERSIZE, async ({ path, limit }, oversize) => {
        // Streaming 16 MiB per case would dominate the suite: the big limit is only declared
        // (fc.pre draws another case instead of counting a pass that checked nothing).
        fc.pre(oversize.declared || limit <= 64 * 1024);
        const headers: [string, string][] = [
          ["Authorization", `Bearer ${TOKEN}`],
          ["Content-Type", "application/json"],
        ];
        const pieces = oversizeRequest(path, headers, limit, oversize);
        const exchange = await rawExchange(handle.port, { pieces });
        const context = JSON.stringify({ path, limit, oversize, exchange });
        expect(jsonBody(expectEarly413(exchange, context)), context).toMatchObject({
          error_code: "REQUEST_ENTITY_TOO_LARGE",
        });
        await expectStillServing(handle.port, VALID_REQUEST);
      }),
      { seed: FUZZ_SEED, numRuns: 60 },
    );
  });

  it("lets a client still sending its body read the early 413: the connection closes lingering", async () => {
    // Destroying the socket at once made the kernel reset it under the unread 413 (EPIPE, no answer).
    const headers: [string, string][] = [["Authorization", `Bearer ${TOKEN}`]];
    const path = "/serving-endpoints/small/invocations";
    const answer = await expectEarly413ReachesLateReader(handle.port, path, headers, SMALL_LIMIT);
    expect(jsonBody(answer)).toMatchObject({ error_code: "REQUEST_ENTITY_TOO_LARGE" });
    await expectStillServing(handle.port, VALID_REQUEST);
  });

  it("reads and discards the refused body after the 413, up to 8 MiB, then closes", async () => {
    const headers: [string, string][] = [["Authorization", `Bearer ${TOKEN}`]];
    const path = "/serving-endpoints/small/invocations";
    for (const answer of await expectLingerReadsOnWithinBudget(
      handle.port,
      path,
      headers,
      SMALL_LIMIT,
    )) {
      expect(jsonBody(answer)).toMatchObject({ error_code: "REQUEST_ENTITY_TOO_LARGE" });
    }
    await expectStillServing(handle.port, VALID_REQUEST);
  });

  it("never reaches a backend with a request pipelined behind a refused body", async () => {
    resetCounters();
    const headers: [string, string][] = [
      ["Authorization", `Bearer ${TOKEN}`],
      ["Content-Type", "application/json"],
    ];
    await expectPipelinedAfterRefusalNotServed(
      handle.port,
      "/serving-endpoints/small/invocations",
      headers,
      SMALL_LIMIT,
      VALID_REQUEST,
      () => reached.backend,
    );
    await expectStillServing(handle.port, VALID_REQUEST);
  });

  it("cuts off slow, stalled and half-closed clients within the request timeout, and keeps serving", async () => {
    // A short request timeout, so a stalled client is cut off quickly (30 s by default).
    const slow = await startEmulator({
      tokens: [TOKEN],
      endpoints: [{ name: "chat", task: "llm/v1/chat", backend: { type: "echo" } }],
      requestTimeoutMs: 250,
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
