import { afterEach, describe, expect, it } from "vitest";
import { DatabricksEmbeddings } from "../../src/embeddings.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOKEN = "dapi-test-token-0123456789";
const vec = (text: string): number[] => [text.length, text.charCodeAt(text.length - 1)];

/**
 * An embeddings endpoint that holds every request until `release` of them wait (a safety timer
 * only keeps a broken run from hanging), then answers the held ones last-first: the most requests
 * in flight at once is observed by the server, not inferred from timing.
 */
async function holdingEndpoint(release: number) {
  const held: (() => void)[] = [];
  const seen = { inFlight: 0, max: 0 };
  server = await startLoopback((request, res) => {
    seen.inFlight += 1;
    seen.max = Math.max(seen.max, seen.inFlight);
    const input = (request.json as { input: string[] }).input;
    held.push(() => {
      seen.inFlight -= 1;
      const data = input.map((text, index) => ({ index, embedding: vec(text) }));
      sendJson(res, 200, { object: "list", data });
    });
    const flush = () =>
      held
        .splice(0)
        .toReversed()
        .forEach((answer) => answer());
    if (held.length >= release) flush();
    else setTimeout(flush, 2_000).unref();
  });
  return { url: server.url, seen };
}

describe("DatabricksEmbeddings: batches in flight together, order kept", () => {
  const texts = Array.from({ length: 24 }, (_, i) => `text ${i}`);

  it("up to maxConcurrency batches are in flight at once", async () => {
    const { url, seen } = await holdingEndpoint(4);
    const model = new DatabricksEmbeddings({
      endpoint: "e",
      host: url,
      token: TOKEN,
      batchSize: 3,
      maxConcurrency: 4,
    });
    expect(await model.embedDocuments(texts)).toEqual(texts.map(vec));
    expect(server?.requests).toHaveLength(8);
    expect(seen.max).toBe(4);
  });

  it("without maxConcurrency every batch is in flight at once", async () => {
    const { url, seen } = await holdingEndpoint(6);
    const model = new DatabricksEmbeddings({
      endpoint: "e",
      host: url,
      token: TOKEN,
      batchSize: 4,
    });
    expect(await model.embedDocuments(texts)).toEqual(texts.map(vec));
    expect(seen.max).toBe(6);
  });
});
