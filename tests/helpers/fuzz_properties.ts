/**
 * The assertions and properties both fuzz suites share (the emulator's and the driver-proxy app
 * server's), on top of the raw-HTTP driver in ./raw_http.ts. Apart from it because these need
 * vitest's `expect`, while the driver is framework-free.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { LINGER_BYTES } from "../../packages/databricks-serving-emulator/src/http_util.js";
import {
  ANSWER_BOUND_MS,
  floodAfterHead,
  fuzzStalledClient,
  header,
  isNodeParserAnswer,
  lateReadingExchange,
  oversizeRequest,
  rawExchange,
  requestPieces,
  stalledPlan,
  summary,
  type FuzzRequest,
  type RawExchange,
  type RawPlan,
  type RawResponse,
  type StalledClient,
} from "./raw_http.js";

/** A valid request on a fresh connection must get 200: the server still serves after a fuzz case. */
export async function expectStillServing(port: number, validRequest: FuzzRequest): Promise<void> {
  const exchange = await rawExchange(port, { pieces: requestPieces(validRequest) });
  expect(exchange.responses[0]?.status, JSON.stringify(exchange)).toBe(200);
}

/**
 * The checks every fuzzed exchange must pass whatever the server: valid HTTP, and an answer within
 * the bound unless the client vanished. Returns the context to print with further checks, and
 * whether there is an answer to check at all (there is none when the client vanished mid-request).
 */
export function expectAnsweredInTime(
  exchange: RawExchange,
  client: Pick<RawPlan, "finish">,
): { context: string; answered: boolean } {
  const context = JSON.stringify({ ...exchange, responses: exchange.responses.map(summary) });
  expect(exchange.timedOut, `no answer and no close within ${ANSWER_BOUND_MS} ms: ${context}`).toBe(
    false,
  );
  expect(exchange.malformed, context).toBeUndefined();
  if (client.finish === "destroy") return { context, answered: false };
  // Every fuzzed request is sent whole, so a close without an answer is a failure too: Node answers
  // what it cannot parse itself (a bare 400), the routes answer the rest.
  expect(exchange.responses.length, context).toBeGreaterThan(0);
  return { context, answered: true };
}

/**
 * An oversize request (./raw_http.ts `oversizeRequest`) was refused early: a 413 with
 * `Connection: close` arrived although the client never finished its body. Returns the 413 for
 * the suite to check its body.
 */
export function expectEarly413(exchange: RawExchange, context: string): RawResponse {
  expect(exchange.timedOut, context).toBe(false);
  const answer = exchange.responses[0];
  expect(answer?.status, context).toBe(413);
  expect(header(answer as RawResponse, "connection"), context).toBe("close");
  return answer as RawResponse;
}

/**
 * A client that declares a body over `limit` and keeps sending it, reading nothing for 300 ms (a
 * slow network), still reads the server's early 413: the server closes lingering instead of
 * resetting the connection under the unread answer. Returns the 413 for the suite to check.
 */
export async function expectEarly413ReachesLateReader(
  port: number,
  path: string,
  headers: readonly (readonly [string, string])[],
  limit: number,
): Promise<RawResponse> {
  const [head] = oversizeRequest(path, headers, limit, { declared: true, excess: 1 << 30 });
  const exchange = await lateReadingExchange(port, head ?? Buffer.alloc(0), 4 * 1024 * 1024, 300);
  const context = JSON.stringify({
    error: exchange.error,
    responses: exchange.responses.map(summary),
  });
  expect(exchange.responses[0]?.status, context).toBe(413);
  return exchange.responses[0] as RawResponse;
}

/**
 * What loopback kernel buffers may hold on top of what the server read: the client's send buffer
 * and the server's receive buffer. Over {@link LINGER_BYTES} plus this, the server read past its
 * budget.
 */
const KERNEL_BUFFER_SLACK = 12 * 1024 * 1024;

/**
 * After an early 413 the server really reads on, and only up to its byte budget. A client that
 * declares a huge body and sends 6 MiB more (under the budget, over what loopback kernel buffers
 * hold, about 4 MiB) gets every byte out, reads the 413, and sees a clean close: a server that
 * stopped reading would leave bytes stuck and reset the connection. A client sending 64 MiB is cut
 * off after more than the budget went out but long before it is done (at loopback speed it would
 * send it all within the 1 s deadline), and no later than the budget plus what kernel buffers hold:
 * the budget closed it, not the deadline (a server without a budget on a slow machine would also
 * stop short of 64 MiB, but far past the budget). `LINGER_BYTES` is the emulator's; the
 * driver-proxy app server declares the same 8 MiB. Returns the 413s.
 */
export async function expectLingerReadsOnWithinBudget(
  port: number,
  path: string,
  headers: readonly (readonly [string, string])[],
  limit: number,
): Promise<RawResponse[]> {
  const [head] = oversizeRequest(path, headers, limit, { declared: true, excess: 1 << 30 });
  const under = await floodAfterHead(port, head ?? Buffer.alloc(0), 6 * 1024 * 1024);
  const underContext = JSON.stringify({ ...under, responses: under.responses.map(summary) });
  expect(under.responses[0]?.status, underContext).toBe(413);
  expect(under.flushed, underContext).toBe(6 * 1024 * 1024);
  expect(under.error, underContext).toBeUndefined();
  expect(under.closed, underContext).toBe(true);

  const total = 64 * 1024 * 1024;
  const over = await floodAfterHead(port, head ?? Buffer.alloc(0), total);
  const overContext = JSON.stringify({ ...over, responses: over.responses.map(summary) });
  expect(over.responses[0]?.status, overContext).toBe(413);
  expect(over.closed, overContext).toBe(true);
  expect(over.flushed, overContext).toBeGreaterThan(LINGER_BYTES);
  expect(over.flushed, overContext).toBeLessThan(LINGER_BYTES + KERNEL_BUFFER_SLACK);
  return [under.responses[0] as RawResponse, over.responses[0] as RawResponse];
}

/**
 * A request pipelined behind a refused body (declared over `limit`, or chunked past it, both sent
 * in full) is read while the connection lingers but never served: only the 413 comes back, and
 * `served()` (the suite's count of model or backend calls) does not move. `valid` is a request the
 * server would otherwise serve.
 */
export async function expectPipelinedAfterRefusalNotServed(
  port: number,
  path: string,
  headers: readonly (readonly [string, string])[],
  limit: number,
  valid: FuzzRequest,
  served: () => number,
): Promise<void> {
  const excess = 4096;
  const declaredHead = oversizeRequest(path, headers, limit, { declared: true, excess });
  const declared = [...declaredHead, Buffer.alloc(limit + excess, "a")];
  const chunked = [
    ...oversizeRequest(path, headers, limit, { declared: false, excess }),
    Buffer.from("0\r\n\r\n"),
  ];
  for (const refused of [declared, chunked]) {
    const before = served();
    const exchange = await rawExchange(port, {
      pieces: [...refused, ...requestPieces(valid)],
      finish: "half-close",
      responses: 2,
    });
    // A handler reached would call the model or backend asynchronously: give it the time to.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const context = JSON.stringify({ ...exchange, responses: exchange.responses.map(summary) });
    expect(exchange.timedOut, context).toBe(false);
    expect(
      exchange.responses.map((r) => r.status),
      context,
    ).toEqual([413]);
    expect(served(), context).toBe(before);
  }
}

/**
 * How long a stalled client may hold on before the server must have cut it off, for a server
 * started with a 250 ms request timeout: Node checks the deadline every 250 ms, the client trickles
 * some bytes first, and a busy two-core machine (the whole suite runs beside) delays timers by
 * seconds at times. Only a failing case waits this long.
 */
export const STALLED_CLIENT_BOUND_MS = 5_000;

/**
 * The stalled-client property: a client that sends part of `validRequest`, trickled, then stalls,
 * half-closes or vanishes, is never served and is cut off within `boundMs` (Node's bare `408` for a
 * stalled client, `400` or `408` for a half-closed one), and the server at `port` still serves
 * afterwards. `boundMs` covers the server's request timeout, Node's periodic check of it, the
 * trickle, and slack.
 */
export function stalledClientProperty(
  port: number,
  validRequest: FuzzRequest,
  boundMs = STALLED_CLIENT_BOUND_MS,
): fc.IAsyncPropertyWithHooks<[StalledClient]> {
  return fc.asyncProperty(fuzzStalledClient, async (client) => {
    const exchange = await rawExchange(port, stalledPlan(validRequest, client, boundMs));
    const context = JSON.stringify({ client, exchange });
    expect(exchange.timedOut, context).toBe(false);
    expect(exchange.malformed, context).toBeUndefined();
    // An unfinished request is never served, and is answered, not only closed: Node answers it
    // bare, 408 when the client stalls past the request timeout; when the client ends its side
    // mid-request, 400 (an unfinished head) or 408 (a body Node keeps waiting for). A client that
    // vanished reads nothing.
    for (const response of exchange.responses) {
      expect(isNodeParserAnswer(response), context).toBe(true);
    }
    if (client.then !== "destroy") {
      const statuses = exchange.responses.map((response) => response.status);
      if (client.then === "stall") expect(statuses, context).toEqual([408]);
      else expect([[400], [408]], context).toContainEqual(statuses);
    }
    await expectStillServing(port, validRequest);
  });
}
