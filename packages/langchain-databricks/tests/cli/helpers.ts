/** Shared CLI test tools: an in-process runner with captured streams and a fake workspace. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { vi } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";

/** A writable that remembers everything and lets a test wait for some output. */
export class Capture {
  text = "";
  private waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  write(chunk: string): boolean {
    this.text += chunk;
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(this.text)) return true;
      w.resolve();
      return false;
    });
    return true;
  }
  /** Resolve once the captured text matches `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    const match = (): RegExpExecArray | null => pattern.exec(this.text);
    if (match()) return Promise.resolve(match() as RegExpExecArray);
    return new Promise((resolve) => {
      this.waiters.push({
        test: () => match() !== null,
        resolve: () => resolve(match() as RegExpExecArray),
      });
    });
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string | CliIO["stdin"];
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  stdout?: Capture;
  stderr?: Capture;
}

/** Run the CLI in-process. Stdin defaults to an empty non-TTY stream. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = options.stdout ?? new Capture();
  const stderr = options.stderr ?? new Capture();
  const stdin =
    typeof options.stdin === "string" || options.stdin === undefined
      ? Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)])
      : options.stdin;
  const code = await runCli({
    argv,
    stdin,
    stdout,
    stderr,
    env: options.env ?? process.env,
    signal: options.signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A PAT-looking token, so that redaction would catch it if it leaked. */
export const TEST_TOKEN = "dapi0123456789abcdef0123456789abcd";

/** Point the `Databricks` class at `host` through the environment (it reads `process.env`). */
export function stubWorkspaceEnv(host: string, extra: Record<string, string> = {}): void {
  vi.stubEnv("DATABRICKS_HOST", host);
  vi.stubEnv("DATABRICKS_TOKEN", TEST_TOKEN);
  for (const name of [
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_AUTH_TYPE",
    "DATABRICKS_CONFIG_PROFILE",
    "DATABRICKS_CLUSTER_ID",
  ]) {
    vi.stubEnv(name, "");
  }
  vi.stubEnv("DATABRICKS_CONFIG_FILE", "/nonexistent/.databrickscfg");
  for (const [name, value] of Object.entries(extra)) vi.stubEnv(name, value);
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A fake workspace on 127.0.0.1 speaking just enough of the protocol for the CLI. */
export interface FakeWorkspace {
  url: string;
  requests: RecordedRequest[];
  /** Delay (ms) before answering invocations, for interruption tests. */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * Routes:
 * - `GET /api/2.0/serving-endpoints/{name}`: `completions` (FMAPI completions) and `custom` (a
 *   custom model); anything else → 404 RESOURCE_DOES_NOT_EXIST.
 * - `POST /serving-endpoints/{name}/invocations`: completions answer `answer to: <prompt>` (SSE in
 *   three pieces when `stream: true`, else JSON with `id`, `usage` and a `served-model-name:
 *   completions-model-1` header); custom answers `{"predictions": ["custom: <prompt>"]}`.
 * - `POST /driver-proxy-api/o/0/{cluster}/{port}`: a JSON string `driver <cluster>:<port>: <prompt>`.
 * - A token other than {@link TEST_TOKEN} → 403.
 */
export async function startFakeWorkspace(): Promise<FakeWorkspace> {
  const requests: RecordedRequest[] = [];
  const state = { delayMs: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readAll(req);
      const path = req.url ?? "/";
      const body: unknown = raw === "" ? undefined : JSON.parse(raw);
      requests.push({
        method: req.method ?? "",
        path,
        authorization: req.headers.authorization,
        body,
      });
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization !== `Bearer ${TEST_TOKEN}`) {
        json(403, { error_code: 403, message: "Invalid access token." });
        return;
      }
      const meta = /^\/api\/2\.0\/serving-endpoints\/([^/]+)$/.exec(path);
      if (meta && req.method === "GET") {
        const name = decodeURIComponent(meta[1] ?? "");
        if (name === "completions") {
          json(200, { name, task: "llm/v1/completions", endpoint_type: "FOUNDATION_MODEL_API" });
        } else if (name === "custom") {
          json(200, { name });
        } else {
          json(404, {
            error_code: "RESOURCE_DOES_NOT_EXIST",
            message: `Endpoint with name '${name}' does not exist.`,
          });
        }
        return;
      }
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      const invocation = /^\/serving-endpoints\/([^/]+)\/invocations$/.exec(path);
      if (invocation && req.method === "POST") {
        const name = decodeURIComponent(invocation[1] ?? "");
        const request = body as Record<string, unknown>;
        if (name === "custom") {
          const records = request["dataframe_records"] as { prompt: string }[];
          json(200, { predictions: [`custom: ${records[0]?.prompt ?? ""}`] });
          return;
        }
        const text = `answer to: ${String(request["prompt"])}`;
        if (request["stream"] === true) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          for (const piece of [text.slice(0, 6), text.slice(6, 12), text.slice(12)]) {
            res.write(`data: ${JSON.stringify({ choices: [{ text: piece, index: 0 }] })}\n\n`);
          }
          res.end("data: [DONE]\n\n");
          return;
        }
        res.writeHead(200, {
          "content-type": "application/json",
          "served-model-name": "completions-model-1",
        });
        res.end(
          JSON.stringify({
            id: "cmpl-1",
            choices: [{ text, index: 0, finish_reason: "stop" }],
            usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
          }),
        );
        return;
      }
      const driver = /^\/driver-proxy-api\/o\/0\/([^/]+)\/(\d+)$/.exec(path);
      if (driver && req.method === "POST") {
        const request = body as Record<string, unknown>;
        json(200, `driver ${driver[1] ?? ""}:${driver[2] ?? ""}: ${String(request["prompt"])}`);
        return;
      }
      json(404, {
        error_code: "ENDPOINT_NOT_FOUND",
        message: `No API found for '${req.method} ${path}'`,
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** POST JSON to a driver proxy app and return status and parsed body. */
export async function postJson(
  url: string,
  value: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
  return { status: res.status, body: await res.json() };
}
