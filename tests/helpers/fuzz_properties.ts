/**
 * The assertions and properties both fuzz suites share (the emulator's and the driver-proxy app
 * server's), on top of the raw-HTTP driver in ./raw_http.ts. Apart from it because these need
 * vitest's `expect`, while the driver is framework-free.
 */
import fc from "fast-check";
import { expect } from "vitest";
import {
  ANSWER_BOUND_MS,
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
 * The checks every fuzzed exchange must pass whatever the server: valid HTTP, an answer or a close
 * within the bound. Returns the context to print with further checks, and whether there is an
 * answer to check at all (there is none when the client vanished mid-request).
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
  expect(exchange.responses.length > 0 || exchange.closedByServer, context).toBe(true);
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
 * How long a stalled client may hold on before the server must have cut it off, for a server
 * started with a 250 ms request timeout: Node checks the deadline every 250 ms, the client trickles
 * some bytes first, and a busy two-core machine (the whole suite runs beside) delays timers by
 * seconds at times. Only a failing case waits this long.
 */
export const STALLED_CLIENT_BOUND_MS = 5_000;

/**
 * The stalled-client property: a client that sends part of `validRequest`, trickled, then stalls,
 * half-closes or vanishes, is never served and is cut off (Node's bare `400`/`408`, or a close)
 * within `boundMs`, and the server at `port` still serves afterwards. `boundMs` covers the
 * server's request timeout, Node's periodic check of it, the trickle, and slack.
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
    // An unfinished request is never served: Node's bare 400 (cut by the client) or 408 (too
    // slow), or the connection closes.
    for (const response of exchange.responses) {
      expect(isNodeParserAnswer(response), context).toBe(true);
    }
    if (client.then !== "destroy") {
      expect(exchange.responses.length > 0 || exchange.closedByServer, context).toBe(true);
    }
    await expectStillServing(port, validRequest);
  });
}
