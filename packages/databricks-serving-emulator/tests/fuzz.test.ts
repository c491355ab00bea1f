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
  ANSWER_BOUND_MS,
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
  rawExchange,
  watchProcessFailures,
  requestPieces,
  fuzzStalledClient,
  stalledPlan,
  type FuzzRequest,
  type RawExchange,
  type RawResponse,
} from "../../../tests/helpers/raw_http.js";
import { startEmulator, type EmulatorHandle } from "../src/index.js";

const TOKEN = "dapi-fuzz-0123456789abcdef";
const WORKSPACE_ID = "900800700600";
/**
 * The bound for a stalled client: the 250 ms request timeout, Node's check of it every 250 ms, the
 * trickled bytes before the stall, and slack for a busy machine.
 */
const STALLED_BOUND_MS = 2_500;
/** A small limit on one endpoint, so oversized bodies are cheap to send. */
const SMALL_LIMIT = 1024;

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

/** Send a valid request on a fresh connection: the emulator must still serve after a fuzz case. */
async function expectStillServing(port = handle.port): Promise<void> {
  const exchange = await rawExchange(port, { pieces: requestPieces(VALID_REQUEST) });
  expect(exchange.responses[0]?.status, JSON.stringify(exchange)).toBe(200);
}

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
 * The shape every answer must have: valid HTTP within the bound, no 5xx of the emulator's own (502
 * is the documented driver-proxy answer for an app it cannot reach), and errors either in the
 * Databricks JSON shape, one of the documented text errors, or Node's bare answer to unparseable
 * HTTP.
 */
function expectWellFormed(
  exchange: RawExchange,
  client: { finish?: string },
  method: string,
  path: string,
): void {
  const context = JSON.stringify({ ...exchange, responses: exchange.responses.map(summary) });
  expect(exchange.timedOut, `no answer and no close within ${ANSWER_BOUND_MS} ms: ${context}`).toBe(
    false,
  );
  expect(exchange.malformed, context).toBeUndefined();
  if (client.finish === "destroy") return;
  expect(exchange.responses.length > 0 || exchange.closedByServer, context).toBe(true);
  for (const response of exchange.responses) {
    const documented502 = response.status === 502 && path.startsWith("/driver-proxy-api/");
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

/** A response as readable text for assertion messages. */
function summary(response: RawResponse): object {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: response.body.toString("utf8").slice(0, 300),
  };
}

describe("emulator fuzzing", () => {
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
          const headers: [string, string][] = authorization.map((v) => ["Authorization", v]);
          if (contentType !== undefined) headers.push(["Content-Type", contentType]);
          headers.push(...extra);
          const exchange = await rawExchange(handle.port, {
            pieces: requestPieces({ method, target: path, headers, body: payload, framing }),
            head: method === "HEAD",
            ...client,
          });
          expectWellFormed(exchange, client, method, path);
          expect(reached).toEqual({ backend: 0, appA: [], appB: [] });
          await expectStillServing();
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
          const headers: [string, string][] = [["Authorization", authorization]];
          if (contentType !== undefined) headers.push(["Content-Type", contentType]);
          headers.push(...extra);
          const exchange = await rawExchange(handle.port, {
            pieces: requestPieces({ method, target: path, headers, body: payload, framing }),
            head: method === "HEAD",
            ...client,
          });
          expectWellFormed(exchange, client, method, path);
          await expectStillServing();
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it("forwards the driver-proxy route only to the registered app, and only under its path", async () => {
    const org = fc.oneof(fc.constantFrom("0", WORKSPACE_ID), fuzzSegment);
    const cluster = fc.oneof(
      fc.constantFrom("c1", "c2", "C1", "c%31", "c1%2F..", "c1%00"),
      fuzzSegment,
    );
    const port = fc.oneof(
      fc.constantFrom(
        "7777",
        "7778",
        "7779",
        "%37%37%37%37",
        "07777",
        "7777%20",
        "7777%2F..%2F7778",
      ),
      fuzzSegment,
    );
    const subPath = fc
      .array(fc.oneof(fuzzSegment, fc.constantFrom("..", "%2e%2e", "7778", "c1")), { maxLength: 5 })
      .map((segments) => segments.map((s) => `/${s}`).join(""));
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
          expectWellFormed(exchange, {}, method, path);
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
          // Only the registered (cluster, port) pair reaches an app, in the workspace of this host.
          expect(["0", WORKSPACE_ID], context).toContain(decoded(orgId));
          expect(decoded(clusterId), context).toBe("c1");
          expect(decoded(appPort), context).toBe(reached.appA.length === 1 ? "7777" : "7778");
          // What the app receives stays under its base path once dot segments are resolved.
          const forwarded = reached.appA[0] ?? reached.appB[0] ?? "";
          const resolved = new URL(forwarded, "http://app.invalid").pathname;
          if (reached.appB.length === 1) expect(resolved, context).toMatch(/^\/base(\/|$)/);
          expect(forwarded, context).not.toMatch(/(^|\/)(\.|%2e){1,2}(\/|$|\?)/i);
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });
  it("refuses a body over the limit with 413 once the limit is crossed, without reading the rest", async () => {
    /** Routes and their limits: an endpoint's own, the token endpoint's, the OpenAI routes'. */
    const limited = fc.constantFrom(
      { path: "/serving-endpoints/small/invocations", limit: SMALL_LIMIT },
      { path: "/oidc/v1/token", limit: 64 * 1024 },
      { path: "/serving-endpoints/chat/completions", limit: 16 * 1024 * 1024 },
    );
    const oversize = fc.oneof(
      fc.record({ declared: fc.constant(true), excess: fc.integer({ min: 1, max: 1e6 }) }),
      fc.constant({ declared: true, excess: 1e15 }),
      fc.record({ declared: fc.constant(false), excess: fc.integer({ min: 1, max: 4096 }) }),
    );
    await fc.assert(
      fc.asyncProperty(limited, oversize, async ({ path, limit }, { declared, excess }) => {
        // Streaming 16 MiB per case would dominate the suite: the big limit is only declared.
        if (!declared && limit > 64 * 1024) return;
        const head = [
          `POST ${path} HTTP/1.1`,
          "Host: 127.0.0.1",
          `Authorization: Bearer ${TOKEN}`,
          "Content-Type: application/json",
          declared ? `Content-Length: ${limit + excess}` : "Transfer-Encoding: chunked",
        ].join("\r\n");
        // A declared size is refused before any body byte, a chunked body once it has crossed the
        // limit. The client never finishes its body: only an early answer passes.
        const pieces: Buffer[] = [Buffer.from(`${head}\r\n\r\n`)];
        if (!declared) {
          const chunk = Buffer.alloc(Math.min(limit + excess, 16 * 1024), "a");
          for (let sent = 0; sent <= limit + excess; sent += chunk.length) {
            pieces.push(
              Buffer.from(`${chunk.length.toString(16)}\r\n`),
              chunk,
              Buffer.from("\r\n"),
            );
          }
        }
        const exchange = await rawExchange(handle.port, { pieces });
        const context = JSON.stringify({ path, limit, declared, excess, exchange });
        expect(exchange.timedOut, context).toBe(false);
        const answer = exchange.responses[0];
        expect(answer?.status, context).toBe(413);
        expect(jsonBody(answer as RawResponse), context).toMatchObject({
          error_code: "REQUEST_ENTITY_TOO_LARGE",
        });
        expect(header(answer as RawResponse, "connection"), context).toBe("close");
        await expectStillServing();
      }),
      { seed: FUZZ_SEED, numRuns: 60 },
    );
  });

  it("cuts off slow, stalled and half-closed clients within the request timeout, and keeps serving", async () => {
    // A short request timeout, so a stalled client is cut off quickly (30 s by default).
    const requestTimeoutMs = 250;
    const slow = await startEmulator({
      tokens: [TOKEN],
      endpoints: [{ name: "chat", task: "llm/v1/chat", backend: { type: "echo" } }],
      requestTimeoutMs,
    });
    try {
      await fc.assert(
        fc.asyncProperty(fuzzStalledClient, async (client) => {
          const exchange = await rawExchange(
            slow.port,
            stalledPlan(VALID_REQUEST, client, STALLED_BOUND_MS),
          );
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
/** A path segment as the emulator reads it: percent-decoded when that is valid. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
