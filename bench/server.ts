/**
 * The benchmark's HTTP server, run in a CHILD process so the client's CPU is measured apart from it.
 *
 * `node --import tsx bench/server.ts [--latency <ms>]` listens on 127.0.0.1 (ephemeral port) and
 * prints `{"port": N}` on stdout once ready. Every POST is answered from its JSON body:
 * - `"stream": true` → an SSE stream of `max_tokens` (or `max_completion_tokens`) chunks, chat
 *   chunks when the body has `messages`, completion chunks when it has `prompt`, then `[DONE]`;
 * - `"prompt"` → a fixed `text_completion` JSON;
 * - `"dataframe_records"` (a custom MLflow model) → `{"predictions": [...]}`, one answer per row;
 * - `"input"` (embeddings) → one vector per text, as floats, or as base64 little-endian float32
 *   when `"encoding_format": "base64"` (what the `openai` SDK asks for by default);
 * - anything else → a fixed `chat.completion` JSON.
 * `GET /__cpu` returns the server's own `process.cpuUsage()` and the number of POSTs answered so
 * far, so a scenario can report server CPU and count requests (S3 checks that rows were packed).
 * Fixed bodies and streams are built once and cached; `--latency` delays every answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  CHAT_BODY,
  COMPLETION_BODY,
  embeddingsBody,
  predictionsBody,
  streamBody,
  type Kind,
} from "./fixtures.js";

const latencyArg = process.argv.indexOf("--latency");
const latencyMs = latencyArg === -1 ? 0 : Number(process.argv[latencyArg + 1] ?? "0");

function send(res: ServerResponse, type: string, body: Buffer): void {
  res.writeHead(200, { "content-type": type, "content-length": body.length });
  res.end(body);
}

let requests = 0;

function answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
  if (req.method === "GET") {
    const stats = { ...process.cpuUsage(), requests };
    send(res, "application/json", Buffer.from(JSON.stringify(stats)));
    return;
  }
  requests++;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // a fixed answer whatever arrived
  }
  const rows = body["dataframe_records"];
  if (Array.isArray(rows)) {
    send(res, "application/json", predictionsBody(rows.length));
    return;
  }
  const input = body["input"];
  if (Array.isArray(input)) {
    send(
      res,
      "application/json",
      embeddingsBody(input.length, body["encoding_format"] === "base64"),
    );
    return;
  }
  const kind: Kind = typeof body["prompt"] === "string" ? "completion" : "chat";
  if (body["stream"] === true) {
    const count = Number(body["max_tokens"] ?? body["max_completion_tokens"] ?? 5);
    send(
      res,
      "text/event-stream",
      streamBody(kind, Number.isInteger(count) && count > 0 ? count : 5),
    );
    return;
  }
  send(res, "application/json", kind === "chat" ? CHAT_BODY : COMPLETION_BODY);
}

const server = createServer((req, res) => {
  const pieces: Buffer[] = [];
  req.on("data", (piece: Buffer) => pieces.push(piece));
  req.on("end", () => {
    const raw = Buffer.concat(pieces).toString("utf8");
    if (latencyMs > 0) setTimeout(() => answer(req, res, raw), latencyMs);
    else answer(req, res, raw);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 0;
server.requestTimeout = 0;

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, chatBytes: CHAT_BODY.length })}\n`);
});

// The parent closes our stdin when it is done (or dies): exit then.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
