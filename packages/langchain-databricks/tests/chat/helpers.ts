import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Socket } from "node:net";
/**
 * A loopback test server we control byte for byte: every request body is captured, and each test
 * scripts the answer (JSON, SSE with chosen framing, cuts, errors, delays).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ChatDatabricks, type ChatDatabricksInput } from "../../src/chat_models.js";

/** One request as the server saw it. */
export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** Answers request number `n` (0-based). */
export type Handler = (
  request: CapturedRequest,
  res: ServerResponse,
  n: number,
) => void | Promise<void>;

export interface TestServer {
  url: string;
  requests: CapturedRequest[];
  /** Bodies of the requests, in order. */
  bodies(): Record<string, unknown>[];
  setHandler(handler: Handler): void;
  /** Requests currently being answered. */
  inFlight(): number;
  maxInFlight(): number;
  close(): Promise<void>;
}

export const TEST_TOKEN = "dapi0123456789abcdef-test";

/**
 * One test server for a whole test file: started before its tests, closed after them, and before
 * each test cleared of recorded requests and given `defaultHandler()` again.
 */
export function useTestServer(defaultHandler: () => Handler): TestServer {
  const server = {} as TestServer;
  beforeAll(async () => {
    Object.assign(server, await startTestServer());
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.setHandler(defaultHandler());
  });
  return server;
}

export async function startTestServer(initial?: Handler): Promise<TestServer> {
  let handler: Handler = initial ?? ((_req, res) => json(res, chatCompletion("ok")));
  const requests: CapturedRequest[] = [];
  let active = 0;
  let peak = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown>;
      try {
        body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = { __raw: text };
      }
      const captured: CapturedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      };
      const n = requests.length;
      requests.push(captured);
      active += 1;
      peak = Math.max(peak, active);
      res.on("close", () => {
        active -= 1;
      });
      Promise.resolve(handler(captured, res, n)).catch((error: unknown) => {
        if (!res.headersSent)
          json(res, { error_code: "TEST_FAILURE", message: String(error) }, 500);
        else res.destroy();
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies: () => requests.map((r) => r.body),
    setHandler(next) {
      handler = next;
    },
    inFlight: () => active,
    maxInFlight: () => peak,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(
  res: ServerResponse,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SseOptions {
  /** End with `data: [DONE]` (default true). */
  done?: boolean;
  /** Delay between frames, ms. */
  delayMs?: number;
  /** Destroy the socket after this many frames (no [DONE]). */
  cutAfter?: number;
}

/** Write SSE frames; strings are sent verbatim as `data:` payloads. */
export async function sse(
  res: ServerResponse,
  events: readonly unknown[],
  options: SseOptions = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  let sent = 0;
  for (const event of events) {
    if (options.cutAfter !== undefined && sent >= options.cutAfter) {
      await cut(res);
      return;
    }
    if (res.destroyed) return;
    res.write(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`);
    sent += 1;
    if (options.delayMs) await sleep(options.delayMs);
  }
  if (options.cutAfter !== undefined && sent >= options.cutAfter) {
    await cut(res);
    return;
  }
  if (options.done !== false) res.write("data: [DONE]\n\n");
  res.end();
}

/** Drop the connection mid-body, after what was written so far has reached the client. */
async function cut(res: ServerResponse): Promise<void> {
  await sleep(30);
  res.socket?.destroy();
}

/** A non-streaming chat completion body. */
export function chatCompletion(
  content: unknown,
  extra: { tool_calls?: unknown[]; usage?: unknown; finish_reason?: string; model?: string } = {},
): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content };
  if (extra.tool_calls) message["tool_calls"] = extra.tool_calls;
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: extra.model ?? "test-model",
    choices: [{ index: 0, message, finish_reason: extra.finish_reason ?? "stop" }],
    usage: extra.usage ?? { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

/** A streamed chunk with a delta. */
export function chunk(
  delta: Record<string, unknown>,
  extra: { finish_reason?: string | null; usage?: unknown } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: "chatcmpl-s",
    object: "chat.completion.chunk",
    model: "test-model",
    choices: [{ index: 0, delta, finish_reason: extra.finish_reason ?? null }],
  };
  if (extra.usage !== undefined) out["usage"] = extra.usage;
  return out;
}

/** Text streamed as one chunk per piece, first with the role. */
export function textChunks(pieces: readonly string[]): Record<string, unknown>[] {
  return pieces.map((p, i) => chunk(i === 0 ? { role: "assistant", content: p } : { content: p }));
}

export function toolCall(id: string, name: string, args: unknown): Record<string, unknown> {
  return {
    id,
    type: "function",
    function: { name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
  };
}

/** A model pointed at the test server with fast retries. */
export function chatModel(
  server: TestServer,
  fields: Partial<ChatDatabricksInput> = {},
): ChatDatabricks {
  return new ChatDatabricks({
    model: "my-endpoint",
    host: server.url,
    token: TEST_TOKEN,
    retryBaseDelayMs: 1,
    ...fields,
  });
}
