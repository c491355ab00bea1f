/**
 * `npm run bench [-- --quick] [-- --only s1,s4] [-- --rounds 3] [-- --scale 0.5]`
 *
 * Measures langchain-databricks against global `fetch`, `undici`, the `openai` SDK and
 * `@langchain/openai` on this machine, against a `node:http` server in a child process on
 * 127.0.0.1, and prints one markdown table per scenario. See docs/BENCHMARKS.md.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import {
  s0Overhead,
  s1Sequential,
  s2Concurrent,
  s4Streaming,
  s6ColdStart,
  startServer,
  type Row,
} from "./scenarios.js";
import { CHAT_BODY, COMPLETION_BODY } from "./fixtures.js";
import { fmt, ratio, table } from "./stats.js";

// Builds inject the version; running the sources with tsx does not (see scripts/demo.ts).
const pkg = JSON.parse(
  readFileSync(new URL("../packages/langchain-databricks/package.json", import.meta.url), "utf8"),
) as {
  version: string;
};
Object.assign(globalThis, { __PKG_VERSION__: pkg.version });

const ALL = ["s0", "s1", "s2", "s4", "s6"] as const;
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    rounds: { type: "string" },
    scale: { type: "string" },
    latency: { type: "string", default: "20" },
    concurrency: { type: "string", default: "64" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm run bench -- [options]
  --quick            small counts (about a minute in all)
  --only s0,s1,...   scenarios to run (${ALL.join(", ")}); default all
  --rounds N         rounds per scenario, contenders rotated each round (default 3; S6 runs 7, quick 3)
  --scale X          multiply every count by X (after --quick)
  --latency MS       server latency of the S2 latency variant (default 20; 0 skips it)
  --concurrency N    S2 concurrency (default 64)`);
  process.exit(0);
}

const quick = values.quick;
const scale = Number(values.scale ?? "1");
const n = (full: number, small: number): number =>
  Math.max(1, Math.round((quick ? small : full) * scale));
const rounds = Number(values.rounds ?? "3");
const concurrency = Number(values.concurrency);
const latencyMs = Number(values.latency);
const counts = {
  s0Calls: n(20_000, 3_000),
  s1Calls: n(2_000, 300),
  s1Warmup: n(300, 100),
  s2Calls: n(10_000, 1_500),
  s2Warmup: n(1_000, 300),
  s2LatencyCalls: n(6_400, 1_280),
  s4Chunks: n(20_000, 3_000),
  s4ShortStreams: n(100, 20),
  s6Runs: Number(values.rounds ?? (quick ? "3" : "7")),
};
const selected = new Set(
  (values.only ?? ALL.join(",")).split(",").map((s) => s.trim().toLowerCase()),
);
for (const name of selected) {
  if (!(ALL as readonly string[]).includes(name)) throw new Error(`unknown scenario ${name}`);
}

function version(name: string): string {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

function find(rows: readonly Row[], prefix: string): Row | undefined {
  return rows.find((r) => r.name.replace(/\*/g, "").startsWith(prefix));
}

/** Throughput metric (higher is better) vs the global-fetch and ChatOpenAI rows. */
function vs(rows: readonly Row[], metric: string, fetchPrefix: string, openaiPrefix: string) {
  const fetchRow = find(rows, fetchPrefix);
  const chatOpenAI = find(rows, openaiPrefix);
  return (row: Row): string[] => [
    ratio(row.metrics[metric] ?? Number.NaN, fetchRow?.metrics[metric]),
    ratio(row.metrics[metric] ?? Number.NaN, chatOpenAI?.metrics[metric]),
  ];
}

const m = (row: Row, key: string, digits = 0): string =>
  fmt(row.metrics[key] ?? Number.NaN, digits);

const cpus = os.cpus();
console.log("# langchain-databricks benchmarks\n");
console.log(
  [
    `- date: ${new Date().toISOString()}`,
    `- node ${process.version}, ${os.platform()} ${os.release()} ${os.arch()}`,
    `- cpus: ${cpus.length} × ${cpus[0]?.model ?? "unknown"}; memory ${fmt(os.totalmem() / 2 ** 30, 1)} GiB`,
    `- versions: langchain-databricks ${pkg.version} (sources via tsx; S6 imports dist/), ` +
      `@langchain/core ${version("@langchain/core")}, @langchain/openai ${version("@langchain/openai")}, ` +
      `openai ${version("openai")}, undici ${version("undici")}`,
    `- mode: ${quick ? "quick" : "full"}${scale !== 1 ? ` × ${scale}` : ""}; ${rounds} rounds per scenario, contenders rotated, medians shown; ` +
      `every client at its library defaults (retries included: no cost on the success path)`,
    `- server: node:http in a child process on 127.0.0.1; fixed answers of ${CHAT_BODY.length} bytes (chat) and ${COMPLETION_BODY.length} bytes (completion)`,
  ].join("\n"),
);

const server = await startServer();
try {
  if (selected.has("s0")) {
    console.log(`\n## S0 — client work per call without a socket (${fmt(counts.s0Calls)} calls)\n`);
    const rows = await s0Overhead(counts.s0Calls, rounds);
    const ref = find(rows, "`ChatOpenAI.invoke`")?.metrics["usPerCall"];
    console.log(
      table(
        ["contender", "µs per call", "vs ChatOpenAI (speed)"],
        rows.map((r) => [
          r.name,
          m(r, "usPerCall", 1),
          ratio(ref ?? Number.NaN, r.metrics["usPerCall"]),
        ]),
      ),
    );
  }

  if (selected.has("s1")) {
    console.log(`\n## S1 — one call after another (${fmt(counts.s1Calls)} calls)\n`);
    const rows = await s1Sequential(server, counts.s1Calls, counts.s1Warmup, rounds);
    const rel = vs(rows, "callsPerSec", "global `fetch`", "`ChatOpenAI");
    console.log(
      table(
        ["contender", "median per call", "p99", "calls/s", "vs `fetch`", "vs ChatOpenAI"],
        rows.map((r) => [
          r.name,
          `${m(r, "medianUs")} µs`,
          `${m(r, "p99Us")} µs`,
          m(r, "callsPerSec"),
          ...rel(r),
        ]),
      ),
    );
  }

  if (selected.has("s2")) {
    const printS2 = (rows: Row[], ideal?: number): void => {
      const rel = vs(rows, "callsPerSec", "global `fetch`", "`ChatOpenAI");
      const headers = [
        "contender",
        "calls/s",
        "vs `fetch`",
        "vs ChatOpenAI",
        "client CPU / call",
        "server CPU / call",
        "client cores",
      ];
      if (ideal !== undefined) headers.push("% of ideal");
      console.log(
        table(
          headers,
          rows.map((r) => [
            r.name,
            m(r, "callsPerSec"),
            ...rel(r),
            `${m(r, "cpuUsPerCall")} µs`,
            `${m(r, "serverCpuUsPerCall")} µs`,
            m(r, "clientCores", 2),
            ...(ideal !== undefined
              ? [`${fmt((100 * (r.metrics["callsPerSec"] ?? 0)) / ideal)}%`]
              : []),
          ]),
        ),
      );
    };
    console.log(`\n## S2 — concurrency ${concurrency} (${fmt(counts.s2Calls)} calls)\n`);
    printS2(await s2Concurrent(server, counts.s2Calls, concurrency, counts.s2Warmup, rounds));
    if (latencyMs > 0) {
      const ideal = (concurrency * 1000) / latencyMs;
      console.log(
        `\n### S2 latency variant — server answers after ${latencyMs} ms, concurrency ${concurrency} ` +
          `(${fmt(counts.s2LatencyCalls)} calls; ideal ${fmt(ideal)} calls/s)\n`,
      );
      const slow = await startServer(latencyMs);
      try {
        const rows = await s2Concurrent(
          slow,
          counts.s2LatencyCalls,
          concurrency,
          concurrency * 2,
          rounds,
        );
        printS2(rows, ideal);
      } finally {
        await slow.close();
      }
    }
  }

  if (selected.has("s4")) {
    console.log(
      `\n## S4 — streaming: one ${fmt(counts.s4Chunks)}-chunk SSE stream; first chunk of ` +
        `${fmt(counts.s4ShortStreams)} short (5-chunk) streams\n`,
    );
    const rows = await s4Streaming(server, counts.s4Chunks, counts.s4ShortStreams, 5, rounds);
    const rel = vs(rows, "chunksPerSec", "`fetch`", "`ChatOpenAI");
    console.log(
      table(
        [
          "contender",
          "chunks/s",
          "vs `fetch`",
          "vs ChatOpenAI",
          "chunks yielded",
          "first chunk (short)",
          "peak RSS growth",
        ],
        rows.map((r) => [
          r.name,
          m(r, "chunksPerSec"),
          ...rel(r),
          m(r, "chunksSeen"),
          `${m(r, "firstChunkMs", 2)} ms`,
          `${m(r, "rssGrowthMB", 1)} MB`,
        ]),
      ),
    );
  }

  if (selected.has("s6")) {
    console.log(`\n## S6 — cold start: fresh \`node\` processes (median of ${counts.s6Runs})\n`);
    const dist = new URL("../packages/langchain-databricks/dist/index.mjs", import.meta.url);
    if (!existsSync(dist)) throw new Error("S6 imports dist/index.mjs: run `npm run build` first");
    const built = statSync(dist).mtime;
    console.log(
      `dist/index.mjs built ${built.toISOString()} (run \`npm run build\` to refresh it)\n`,
    );
    const rows = await s6ColdStart(server, counts.s6Runs);
    const ref = find(rows, '`import("@langchain/openai")`')?.metrics["workMs"];
    console.log(
      table(
        [
          "case",
          "process wall time",
          "node start → first line",
          "import / work",
          "vs @langchain/openai import",
        ],
        rows.map((r) => [
          r.name,
          `${m(r, "wallMs")} ms`,
          `${m(r, "startMs")} ms`,
          `${m(r, "workMs")} ms`,
          r.name.includes("first") || !((r.metrics["workMs"] ?? 0) >= 1)
            ? ""
            : ratio(ref ?? Number.NaN, r.metrics["workMs"]),
        ]),
      ),
    );
  }
} finally {
  await server.close();
}
