/**
 * The scenarios: each runs every contender for `rounds` rounds, rotating the order per round, and
 * reports per contender the median over rounds of each metric.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ChatOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { ChatDatabricks, Databricks } from "langchain-databricks";
import {
  CALL_CONTENDERS,
  textOfChat,
  NoIoChatModel,
  NoIoLLM,
  STREAM_CONTENDERS,
  type Call,
  type CallContender,
  type Stream,
} from "./contenders.js";
import { ANSWER_TEXT, CHAT_BODY, COMPLETION_BODY } from "./fixtures.js";
import { median, medianOfRounds, percentile, rotate } from "./stats.js";

export interface BenchServer {
  url: string;
  /** The server process's own CPU time so far, in µs (user + system). */
  cpuMicros(): Promise<number>;
  /** POST requests the server has answered so far. */
  requests(): Promise<number>;
  close(): Promise<void>;
}

/** Start `bench/server.ts` in a child process (through tsx) and wait for its port. */
export async function startServer(latencyMs = 0): Promise<BenchServer> {
  const script = fileURLToPath(new URL("./server.ts", import.meta.url));
  const args = [
    "--import",
    "tsx",
    script,
    ...(latencyMs > 0 ? ["--latency", String(latencyMs)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, "line")) as [string];
  lines.close();
  const { port } = JSON.parse(first) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const stats = async (): Promise<{ user: number; system: number; requests: number }> =>
    (await (await fetch(`${url}/__cpu`)).json()) as {
      user: number;
      system: number;
      requests: number;
    };
  return {
    url,
    cpuMicros: async () => {
      const usage = await stats();
      return usage.user + usage.system;
    },
    requests: async () => (await stats()).requests,
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

export interface Row {
  name: string;
  group: string;
  metrics: Record<string, number>;
}

export async function checkedCall(name: string, call: Call, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const text = await call();
    if (text !== ANSWER_TEXT) throw new Error(`${name} answered ${JSON.stringify(text)}`);
  }
}

/** Warm every contender, then run `measure` per round in rotated order; median over rounds. */
export async function roundsOf<C extends { name: string; group: string }, T>(
  contenders: readonly C[],
  rounds: number,
  prepare: (contender: C) => Promise<T>,
  measure: (prepared: T, contender: C) => Promise<Record<string, number>>,
): Promise<Row[]> {
  const prepared = new Map<C, T>();
  for (const contender of contenders) prepared.set(contender, await prepare(contender));
  const results = new Map<C, Record<string, number>[]>();
  for (let round = 0; round < rounds; round++) {
    for (const contender of rotate(contenders, round)) {
      const result = await measure(prepared.get(contender) as T, contender);
      results.set(contender, [...(results.get(contender) ?? []), result]);
    }
  }
  return contenders.map((c) => ({
    name: c.name,
    group: c.group,
    metrics: medianOfRounds(results.get(c) ?? []),
  }));
}

/** S0: client work per call with no socket: LangChain core alone, and each client on an in-memory `fetch`. */
export async function s0Overhead(calls: number, rounds: number): Promise<Row[]> {
  const chatJson = CHAT_BODY.toString("utf8");
  const completionJson = COMPLETION_BODY.toString("utf8");
  const memoryFetch = (async (_input: unknown, init?: RequestInit) =>
    new Response(String(init?.body ?? "").includes('"prompt"') ? completionJson : chatJson, {
      status: 200,
      headers: { "content-type": "application/json" },
    })) as typeof fetch;
  const url = "http://127.0.0.1:9";
  const contenders: CallContender[] = [
    {
      // What the WHATWG `fetch` seam costs by itself (a `Response`, its stream, `text()`): every
      // row below that takes the in-memory `fetch` pays it; the two core-only rows do not.
      name: "floor: the in-memory `fetch` + `res.json()` alone",
      group: "floor",
      create: () => async () =>
        textOfChat(await (await memoryFetch(url, { method: "POST", body: "{}" })).json()),
    },
    {
      name: "ref: no-I/O `LLM` subclass (core only)",
      group: "reference",
      create: () => noIo(new NoIoLLM({})),
    },
    {
      name: "ref: no-I/O `BaseChatModel` subclass (core only)",
      group: "reference",
      create: () => {
        const chat = new NoIoChatModel({});
        return async () => (await chat.invoke("Hello")).text;
      },
    },
    {
      name: "`openai` `chat.completions.create`, in-memory fetch",
      group: "incumbent",
      create: () => {
        const client = new OpenAI({ apiKey: "x", baseURL: url, fetch: memoryFetch });
        return async () =>
          (
            await client.chat.completions.create({
              model: "bench",
              messages: [{ role: "user", content: "Hello" }],
            })
          ).choices[0]?.message.content ?? "";
      },
    },
    {
      name: "`ChatOpenAI.invoke`, in-memory fetch",
      group: "incumbent",
      create: () => {
        const chat = new ChatOpenAI({
          model: "bench",
          apiKey: "x",
          configuration: { baseURL: url, fetch: memoryFetch },
        });
        return async () => (await chat.invoke("Hello")).text;
      },
    },
    {
      name: "**`ChatDatabricks.invoke`**, in-memory fetch",
      group: "ours",
      create: () => {
        const chat = new ChatDatabricks({
          model: "bench",
          host: url,
          token: "x",
          fetch: memoryFetch,
        });
        return async () => (await chat.invoke("Hello")).text;
      },
    },
    {
      name: "**`Databricks.invoke`**, in-memory fetch",
      group: "ours",
      create: () => {
        const llm = new Databricks({
          endpointName: "bench",
          task: "llm/v1/completions",
          host: url,
          token: "x",
          fetch: memoryFetch,
        });
        return () => llm.invoke("Hello");
      },
    },
  ];
  return roundsOf(
    contenders,
    rounds,
    async (c) => {
      const call = c.create(url);
      await checkedCall(c.name, call, Math.max(200, calls >> 2));
      return call;
    },
    async (call) => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) await call();
      return { usPerCall: ((performance.now() - start) * 1000) / calls };
    },
  );
}

function noIo(llm: NoIoLLM): Call {
  return () => llm.invoke("Hello");
}

/** S1: one call after another. */
export async function s1Sequential(
  server: BenchServer,
  calls: number,
  warmup: number,
  rounds: number,
): Promise<Row[]> {
  return roundsOf(
    CALL_CONTENDERS,
    rounds,
    async (c) => {
      const call = c.create(server.url);
      await checkedCall(c.name, call, warmup);
      return call;
    },
    async (call) => {
      await checkedCall("", call, Math.min(50, warmup)); // re-warm after the other contenders
      const times: number[] = new Array<number>(calls);
      const start = performance.now();
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await call();
        times[i] = performance.now() - t0;
      }
      const total = performance.now() - start;
      return {
        medianUs: median(times) * 1000,
        p99Us: percentile(times, 99) * 1000,
        callsPerSec: calls / (total / 1000),
      };
    },
  );
}

/** S2: `concurrency` calls in flight until `calls` are done; client (and server) CPU per call. */
export async function s2Concurrent(
  server: BenchServer,
  calls: number,
  concurrency: number,
  warmup: number,
  rounds: number,
): Promise<Row[]> {
  const pool = async (call: Call, total: number): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next++ < total) await call();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  return roundsOf(
    CALL_CONTENDERS,
    rounds,
    async (c) => {
      const call = c.create(server.url);
      await checkedCall(c.name, call, 1);
      await pool(call, warmup);
      return call;
    },
    async (call) => {
      await pool(call, Math.min(concurrency * 4, warmup));
      const serverBefore = await server.cpuMicros();
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      await pool(call, calls);
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const serverCpu = (await server.cpuMicros()) - serverBefore;
      return {
        callsPerSec: calls / seconds,
        cpuUsPerCall: (cpu.user + cpu.system) / calls,
        serverCpuUsPerCall: serverCpu / calls,
        clientCores: (cpu.user + cpu.system) / 1e6 / seconds,
      };
    },
  );
}

async function drain(
  stream: Stream,
): Promise<{ count: number; firstMs: number; totalMs: number; rssGrowth: number }> {
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const start = performance.now();
  let firstMs = Number.NaN;
  let count = 0;
  for await (const _ of stream()) {
    if (count === 0) firstMs = performance.now() - start;
    count++;
    if (count % 1000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
  }
  const totalMs = performance.now() - start;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { count, firstMs, totalMs, rssGrowth: peak - rss0 };
}

/** S4: one long stream (chunks/s), and many short streams (time to the first chunk). */
export async function s4Streaming(
  server: BenchServer,
  chunks: number,
  shortStreams: number,
  shortChunks: number,
  rounds: number,
): Promise<Row[]> {
  return roundsOf(
    STREAM_CONTENDERS,
    rounds,
    async (c) => {
      const long = c.create(server.url, chunks);
      const short = c.create(server.url, shortChunks);
      for (let i = 0; i < 20; i++) await drain(short);
      await drain(c.create(server.url, Math.min(chunks, 2000)));
      return { long, short };
    },
    async ({ long, short }) => {
      for (let i = 0; i < 5; i++) await drain(short);
      const firsts: number[] = [];
      for (let i = 0; i < shortStreams; i++) firsts.push((await drain(short)).firstMs);
      const run = await drain(long);
      return {
        chunksPerSec: run.count / (run.totalMs / 1000),
        chunksSeen: run.count,
        firstChunkMs: median(firsts),
        rssGrowthMB: run.rssGrowth / 1e6,
      };
    },
  );
}

interface ColdCase {
  name: string;
  group: string;
  code: string;
}

/** S6: fresh `node` processes importing each package (and, for two, making a first call). */
export async function s6ColdStart(
  server: BenchServer,
  runs: number,
  warmUp = true,
): Promise<Row[]> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const ours = new URL("../packages/langchain-databricks/dist/index.mjs", import.meta.url).href;
  const timed = (body: string): string =>
    `const t0 = performance.now(); ${body}; const t1 = performance.now(); ` +
    `process.stdout.write(JSON.stringify({ startMs: t0, workMs: t1 - t0 }));`;
  const imp = (spec: string): string => timed(`await import(${JSON.stringify(spec)})`);
  const cases: ColdCase[] = [
    { name: "`node` (empty script)", group: "floor", code: timed("") },
    {
      name: "first global `fetch` call (loads Node's bundled undici)",
      group: "floor",
      code: timed(`await (await fetch(${JSON.stringify(`${server.url}/__cpu`)})).text()`),
    },
    { name: '`import("undici")`', group: "floor", code: imp("undici") },
    { name: '`import("openai")`', group: "incumbent", code: imp("openai") },
    {
      name: '`import("@langchain/core/language_models/chat_models")`',
      group: "reference",
      code: imp("@langchain/core/language_models/chat_models"),
    },
    { name: '`import("@langchain/openai")`', group: "incumbent", code: imp("@langchain/openai") },
    {
      name: '**`import("langchain-databricks")`** (dist/index.mjs)',
      group: "ours",
      code: imp(ours),
    },
    {
      name: "import + first `ChatOpenAI.invoke`",
      group: "incumbent",
      code: timed(
        `const { ChatOpenAI } = await import("@langchain/openai"); ` +
          `await new ChatOpenAI({ model: "bench", apiKey: "x", configuration: { baseURL: ${JSON.stringify(`${server.url}/serving-endpoints`)} } }).invoke("Hello")`,
      ),
    },
    {
      name: "**import + first `ChatDatabricks.invoke`**",
      group: "ours",
      code: timed(
        `const { ChatDatabricks } = await import(${JSON.stringify(ours)}); ` +
          `await new ChatDatabricks({ model: "bench", host: ${JSON.stringify(server.url)}, token: "x" }).invoke("Hello")`,
      ),
    },
  ];
  const runOnce = async (code: string): Promise<Record<string, number>> => {
    const start = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (piece: Buffer) => (out += piece.toString()));
    const [exitCode] = (await once(child, "exit")) as [number | null];
    const wallMs = performance.now() - start;
    if (exitCode !== 0)
      throw new Error(`cold start case failed (exit ${String(exitCode)}): ${code}`);
    const { startMs, workMs } = JSON.parse(out) as { startMs: number; workMs: number };
    return { wallMs, startMs, workMs };
  };
  return roundsOf(
    cases.map((c) => ({ ...c })),
    runs,
    async (c) => {
      if (warmUp) await runOnce(c.code); // fills the OS file cache; not counted
      return c.code;
    },
    runOnce,
  );
}
