/**
 * `npm run bench [-- --quick] [-- --only s1,s4] [-- --rounds 3] [-- --scale 0.5]`
 *
 * Measures langchain-databricks against global `fetch`, `undici`, the `openai` SDK and
 * `@langchain/openai` on this machine, against a `node:http` server in a child process on
 * 127.0.0.1, prints one markdown table per scenario and writes the run to `bench/results/`
 * (`latest.json` + `latest.md` for a full run at the default settings, `dev.*` otherwise). See
 * docs/BENCHMARKS.md.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { s3Packing, s5Embeddings, s7BatchCli } from "./batch_scenarios.js";
import { gitCommit, machine, writeRecord, type RunRecord, type Section } from "./report.js";
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
import { fmt, ratioValue, table, times as x } from "./stats.js";
import { packageVersion } from "../packages/langchain-databricks/src/cli/version.js";

// Builds inject the version; running the sources with tsx does not (as in the CLI's main.ts).
const PKG_VERSION = packageVersion();
Object.assign(globalThis, { __PKG_VERSION__: PKG_VERSION });

const DEFAULT_LATENCY_MS = "20";
const DEFAULT_CONCURRENCY = "64";
const ALL = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"] as const;
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    rounds: { type: "string" },
    scale: { type: "string" },
    latency: { type: "string", default: DEFAULT_LATENCY_MS },
    concurrency: { type: "string", default: DEFAULT_CONCURRENCY },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm run bench -- [options]
  --quick            small counts and 2 rounds (under a minute on 2 cores)
  --only s0,s1,...   scenarios to run (${ALL.join(", ")}); default all
  --rounds N         rounds per scenario, contenders rotated each round (default 3, quick 2; S6 runs 7, quick 2)
  --scale X          multiply every count by X (after --quick)
  --latency MS       server latency of the S2 latency variant (default 20; 0 skips it)
  --concurrency N    S2 concurrency (default 64)`);
  process.exit(0);
}

const quick = values.quick;
const scale = Number(values.scale ?? "1");
const n = (full: number, small: number): number =>
  Math.max(1, Math.round((quick ? small : full) * scale));
// Quick runs are for development: 2 rounds keep them under a minute; medians need the full 3.
const rounds = Number(values.rounds ?? (quick ? "2" : "3"));
const concurrency = Number(values.concurrency);
const latencyMs = Number(values.latency);
const counts = {
  s0Calls: n(20_000, 3_000),
  s1Calls: n(2_000, 300),
  s1Warmup: n(300, 100),
  s2Calls: n(10_000, 1_000),
  s2Warmup: n(1_000, 200),
  s2LatencyCalls: n(6_400, 640),
  s4Chunks: n(20_000, 3_000),
  s4ShortStreams: n(100, 20),
  s3Prompts: n(1_000, 320),
  s5Texts: n(20_000, 2_000),
  s6Runs: Number(values.rounds ?? (quick ? "2" : "7")),
  s7Prompts: n(5_000, 200),
};
const S3_BATCH_SIZE = 32;
const S3_LATENCY_MS = 20;
const S3_CONCURRENCY = 8;
const S5_CONCURRENCY = 8;
const S7_FAIL_RATIO = 0.1;
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

/** The JSON record of the run, filled as scenarios finish. */
const record: RunRecord = {
  date: new Date().toISOString(),
  mode: { quick, scale, rounds, only: [...selected] },
  machine: machine(),
  versions: {
    "langchain-databricks": PKG_VERSION,
    "@langchain/core": version("@langchain/core"),
    "@langchain/openai": version("@langchain/openai"),
    openai: version("openai"),
    undici: version("undici"),
  },
  commit: gitCommit(fileURLToPath(new URL("..", import.meta.url))),
  counts,
  sections: [],
};
const markdown: string[] = [];
function print(text: string): void {
  console.log(text);
  markdown.push(text);
}

type Ratios = (row: Row) => Record<string, number>;

/** Print a scenario's table (ratio columns formatted from `ratios`) and record it. */
function report(
  id: string,
  title: string,
  started: number,
  rows: readonly Row[],
  headers: readonly string[],
  cells: (row: Row, ratios: Record<string, number>) => string[],
  ratios: Ratios = () => ({}),
): void {
  const withRatios = rows.map((row) => ({ ...row, ratios: ratios(row) }));
  if (rows.length > 0)
    print(
      table(
        headers,
        withRatios.map((row) => cells(row, row.ratios)),
      ),
    );
  const section: Section = {
    id,
    title,
    seconds: (performance.now() - started) / 1000,
    rows: withRatios,
  };
  record.sections.push(section);
}

function find(rows: readonly Row[], prefix: string): Row | undefined {
  return rows.find((r) => r.name.replace(/\*/g, "").startsWith(prefix));
}

/** Throughput metric (higher is better) vs the global-fetch and ChatOpenAI rows. */
function vs(rows: readonly Row[], metric: string, fetchPrefix: string, openaiPrefix: string) {
  const fetchRow = find(rows, fetchPrefix);
  const chatOpenAI = find(rows, openaiPrefix);
  return (row: Row): Record<string, number> => ({
    vsFetch: ratioValue(row.metrics[metric] ?? Number.NaN, fetchRow?.metrics[metric]),
    vsChatOpenAI: ratioValue(row.metrics[metric] ?? Number.NaN, chatOpenAI?.metrics[metric]),
  });
}

const m = (row: Row, key: string, digits = 0): string =>
  fmt(row.metrics[key] ?? Number.NaN, digits);

const mc = record.machine;
print("# langchain-databricks benchmarks\n");
print(
  [
    `- date: ${record.date}`,
    `- commit: ${record.commit ? `${record.commit.sha.slice(0, 10)} "${record.commit.subject}"${record.commit.dirty ? " (with uncommitted changes)" : ""}` : "unknown (not a git work tree)"}`,
    `- node ${mc.node}, ${mc.os}`,
    `- cpus: ${mc.cores} × ${mc.cpuModel}; memory ${fmt(mc.memoryGiB, 1)} GiB`,
    `- versions: langchain-databricks ${PKG_VERSION} (sources via tsx; S6 imports dist/), ${Object.entries(
      record.versions,
    )
      .filter(([name]) => name !== "langchain-databricks")
      .map(([name, v]) => `${name} ${v}`)
      .join(", ")}`,
    `- mode: ${quick ? "quick" : "full"}${scale !== 1 ? ` × ${scale}` : ""}; ${rounds} rounds per scenario, contenders rotated, medians shown; ` +
      `every client at its library defaults (retries included: no cost on the success path)`,
    `- server: node:http in a child process on 127.0.0.1; fixed answers of ${CHAT_BODY.length} bytes (chat) and ${COMPLETION_BODY.length} bytes (completion)`,
  ].join("\n"),
);

const server = await startServer();
try {
  if (selected.has("s0")) {
    const started = performance.now();
    const title = `S0 — client work per call without a socket (${fmt(counts.s0Calls)} calls)`;
    print(`\n## ${title}\n`);
    const rows = await s0Overhead(counts.s0Calls, rounds);
    const ref = find(rows, "`ChatOpenAI.invoke`")?.metrics["usPerCall"];
    const llmRef = find(rows, "ref: no-I/O `LLM`")?.metrics["usPerCall"];
    const chatRef = find(rows, "ref: no-I/O `BaseChatModel`")?.metrics["usPerCall"];
    const fetchFloor = find(rows, "floor: the in-memory `fetch`")?.metrics["usPerCall"];
    report(
      "s0",
      title,
      started,
      rows,
      [
        "contender",
        "µs per call",
        "vs ChatOpenAI (speed)",
        "cost vs core-only ref",
        "cost without the fetch floor vs core-only ref",
      ],
      (r, q) => [
        r.name,
        m(r, "usPerCall", 1),
        x(q["vsChatOpenAI"]),
        x(q["costVsCoreRef"]),
        x(q["ownCostVsCoreRef"]),
      ],
      (r) => {
        const us = r.metrics["usPerCall"] ?? Number.NaN;
        // Our classes against the no-I/O LangChain class they extend (targets: ≤ 2.5× and ≤ 3×).
        const core = r.name.includes("ChatDatabricks")
          ? chatRef
          : r.name.includes("`Databricks")
            ? llmRef
            : undefined;
        return {
          vsChatOpenAI: ratioValue(ref ?? Number.NaN, us),
          ...(core !== undefined
            ? {
                costVsCoreRef: ratioValue(us, core),
                ownCostVsCoreRef: ratioValue(us - (fetchFloor ?? Number.NaN), core),
              }
            : {}),
        };
      },
    );
  }

  if (selected.has("s1")) {
    const started = performance.now();
    const title = `S1 — one call after another (${fmt(counts.s1Calls)} calls)`;
    print(`\n## ${title}\n`);
    const rows = await s1Sequential(server, counts.s1Calls, counts.s1Warmup, rounds);
    report(
      "s1",
      title,
      started,
      rows,
      ["contender", "median per call", "p99", "calls/s", "vs `fetch`", "vs ChatOpenAI"],
      (r, q) => [
        r.name,
        `${m(r, "medianUs")} µs`,
        `${m(r, "p99Us")} µs`,
        m(r, "callsPerSec"),
        x(q["vsFetch"]),
        x(q["vsChatOpenAI"]),
      ],
      vs(rows, "callsPerSec", "global `fetch`", "`ChatOpenAI"),
    );
  }

  if (selected.has("s2")) {
    const s2 = (id: string, title: string, started: number, rows: Row[], ideal?: number): void => {
      const rel = vs(rows, "callsPerSec", "global `fetch`", "`ChatOpenAI");
      const undici = find(rows, "`undici.request`")?.metrics["callsPerSec"];
      const headers = [
        "contender",
        "calls/s",
        "vs `fetch`",
        "vs ChatOpenAI",
        "vs `undici`",
        "client CPU / call",
        "server CPU / call",
        "client cores",
      ];
      if (ideal !== undefined) headers.push("% of ideal");
      report(
        id,
        title,
        started,
        rows,
        headers,
        (r, q) => [
          r.name,
          m(r, "callsPerSec"),
          x(q["vsFetch"]),
          x(q["vsChatOpenAI"]),
          x(q["vsUndici"]),
          `${m(r, "cpuUsPerCall")} µs`,
          `${m(r, "serverCpuUsPerCall")} µs`,
          m(r, "clientCores", 2),
          ...(ideal !== undefined ? [`${fmt(100 * (q["ofIdeal"] ?? Number.NaN))}%`] : []),
        ],
        (r) => ({
          ...rel(r),
          vsUndici: ratioValue(r.metrics["callsPerSec"] ?? Number.NaN, undici),
          ...(ideal !== undefined
            ? { ofIdeal: ratioValue(r.metrics["callsPerSec"] ?? Number.NaN, ideal) }
            : {}),
        }),
      );
    };
    let started = performance.now();
    const title = `S2 — concurrency ${concurrency} (${fmt(counts.s2Calls)} calls)`;
    print(`\n## ${title}\n`);
    s2(
      "s2",
      title,
      started,
      await s2Concurrent(server, counts.s2Calls, concurrency, counts.s2Warmup, rounds),
    );
    if (latencyMs > 0) {
      started = performance.now();
      const ideal = (concurrency * 1000) / latencyMs;
      const latencyTitle =
        `S2 latency variant — server answers after ${latencyMs} ms, concurrency ${concurrency} ` +
        `(${fmt(counts.s2LatencyCalls)} calls; ideal ${fmt(ideal)} calls/s)`;
      print(`\n### ${latencyTitle}\n`);
      const slow = await startServer(latencyMs);
      try {
        const rows = await s2Concurrent(
          slow,
          counts.s2LatencyCalls,
          concurrency,
          concurrency * 2,
          rounds,
        );
        s2("s2-latency", latencyTitle, started, rows, ideal);
      } finally {
        await slow.close();
      }
    }
  }

  if (selected.has("s3")) {
    const started = performance.now();
    const title =
      `S3 — row packing: ${fmt(counts.s3Prompts)} prompts to a custom-model endpoint that takes ` +
      `${S3_LATENCY_MS} ms per request, \`maxConcurrency: ${S3_CONCURRENCY}\``;
    print(`\n## ${title}\n`);
    const slow = await startServer(S3_LATENCY_MS);
    let rows: Row[];
    try {
      rows = await s3Packing(slow, counts.s3Prompts, S3_BATCH_SIZE, S3_CONCURRENCY, rounds);
    } finally {
      await slow.close();
    }
    const single = rows[0]?.metrics["promptsPerSec"];
    report(
      "s3",
      title,
      started,
      rows,
      ["contender", "prompts/s", "requests sent", "vs one request per prompt"],
      (r, q) => [r.name, m(r, "promptsPerSec"), m(r, "requests"), x(q["vsUnpacked"])],
      (r) => ({ vsUnpacked: ratioValue(r.metrics["promptsPerSec"] ?? Number.NaN, single) }),
    );
  }

  if (selected.has("s4")) {
    const started = performance.now();
    const title =
      `S4 — streaming: one ${fmt(counts.s4Chunks)}-chunk SSE stream; first chunk of ` +
      `${fmt(counts.s4ShortStreams)} short (5-chunk) streams`;
    print(`\n## ${title}\n`);
    const rows = await s4Streaming(server, counts.s4Chunks, counts.s4ShortStreams, 5, rounds);
    const rel = vs(rows, "chunksPerSec", "`fetch`", "`ChatOpenAI");
    const coreRef = find(rows, "ref: no-I/O `BaseChatModel.stream`")?.metrics["chunksPerSec"];
    report(
      "s4",
      title,
      started,
      rows,
      [
        "contender",
        "chunks/s",
        "vs `fetch`",
        "vs ChatOpenAI",
        "vs core-only ref",
        "chunks yielded",
        "first chunk (short)",
        "peak RSS growth",
      ],
      (r, q) => [
        r.name,
        m(r, "chunksPerSec"),
        x(q["vsFetch"]),
        x(q["vsChatOpenAI"]),
        x(q["vsCoreRef"]),
        m(r, "chunksSeen"),
        `${m(r, "firstChunkMs", 2)} ms`,
        `${m(r, "rssGrowthMB", 1)} MB`,
      ],
      (r) => ({
        ...rel(r),
        vsCoreRef: ratioValue(r.metrics["chunksPerSec"] ?? Number.NaN, coreRef),
      }),
    );
  }

  if (selected.has("s5")) {
    const started = performance.now();
    const title =
      `S5 — embeddings: ${fmt(counts.s5Texts)} texts, 20 per request, ` +
      `\`maxConcurrency: ${S5_CONCURRENCY}\``;
    print(`\n## ${title}\n`);
    const rows = await s5Embeddings(server, counts.s5Texts, S5_CONCURRENCY, rounds);
    // The issue's comparison is against OpenAIEmbeddings as users run it (base64 by default).
    const openai = find(rows, "`OpenAIEmbeddings")?.metrics["textsPerSec"];
    report(
      "s5",
      title,
      started,
      rows,
      ["contender", "texts/s", "vs OpenAIEmbeddings"],
      (r, q) => [r.name, m(r, "textsPerSec"), x(q["vsOpenAIEmbeddings"])],
      (r) => ({ vsOpenAIEmbeddings: ratioValue(r.metrics["textsPerSec"] ?? Number.NaN, openai) }),
    );
  }

  if (selected.has("s6")) {
    const started = performance.now();
    const title = `S6 — cold start: fresh \`node\` processes (median of ${counts.s6Runs})`;
    print(`\n## ${title}\n`);
    const dist = new URL("../packages/langchain-databricks/dist/index.mjs", import.meta.url);
    if (!existsSync(dist)) {
      // A fresh clone after `npm ci` has no dist/: build it once rather than fail.
      print("dist/index.mjs is missing: building the library (`npm run build`) for S6\n");
      execFileSync("npm", ["run", "build", "--workspace", "packages/langchain-databricks"], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        stdio: ["ignore", "ignore", "inherit"],
      });
    }
    const built = statSync(dist).mtime;
    print(`dist/index.mjs built ${built.toISOString()} (run \`npm run build\` to refresh it)\n`);
    // Quick runs skip the file-cache warm-up run of each case: S6 is their longest scenario.
    const rows = await s6ColdStart(server, counts.s6Runs, !quick);
    const ref = find(rows, '`import("@langchain/openai")`')?.metrics["workMs"];
    report(
      "s6",
      title,
      started,
      rows,
      [
        "case",
        "process wall time",
        "node start → first line",
        "import / work",
        "vs @langchain/openai import",
      ],
      (r, q) => [
        r.name,
        `${m(r, "wallMs")} ms`,
        `${m(r, "startMs")} ms`,
        `${m(r, "workMs")} ms`,
        q["vsOpenAIImport"] === undefined ? "" : x(q["vsOpenAIImport"]),
      ],
      (r) =>
        r.name.includes("first") || !((r.metrics["workMs"] ?? 0) >= 1)
          ? {}
          : { vsOpenAIImport: ratioValue(ref ?? Number.NaN, r.metrics["workMs"]) },
    );
  }

  if (selected.has("s7")) {
    const started = performance.now();
    const title =
      `S7 — the \`batch\` CLI: ${fmt(counts.s7Prompts)} prompts to the emulator, ` +
      `${fmt(S7_FAIL_RATIO * 100)}% of requests answered 429 (one run)`;
    print(`\n## ${title}\n`);
    const rows = await s7BatchCli(counts.s7Prompts, S7_FAIL_RATIO);
    report(
      "s7",
      title,
      started,
      rows,
      [
        "contender",
        "exit code",
        "answered",
        "prompts/s",
        "every prompt exactly once",
        "requests",
        "peak in flight",
      ],
      (r) => [
        r.name,
        m(r, "exitCode"),
        `${fmt(100 * (r.metrics["completion"] ?? Number.NaN), 1)}%`,
        m(r, "promptsPerSec"),
        r.metrics["exactlyOnce"] === 1 ? "yes" : "**no**",
        m(r, "requests"),
        m(r, "maxInFlight"),
      ],
    );
  }
} finally {
  await server.close();
}

// Only a full run of every scenario with the default method replaces the recorded `latest.*`
// (committed, quoted in docs/BENCHMARKS.md); quick and partial runs, and runs with any of
// --scale, --rounds, --latency or --concurrency changed, go to `dev.*`, which git ignores.
// `--rounds` counts whatever its value: it also sets S6's runs (7 by default).
const full =
  !quick &&
  scale === 1 &&
  values.rounds === undefined &&
  latencyMs === Number(DEFAULT_LATENCY_MS) &&
  concurrency === Number(DEFAULT_CONCURRENCY) &&
  ALL.every((name) => selected.has(name));
const path = writeRecord(
  new URL("./results/", import.meta.url),
  full ? "latest" : "dev",
  record,
  `${markdown.join("\n")}\n`,
);
console.log(`\n(written to ${path} and the .md beside it)`);
