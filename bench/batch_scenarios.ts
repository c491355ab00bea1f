/**
 * The many-prompts scenarios: S3 row packing, S5 embeddings throughput, S7 the `batch` CLI under
 * injected 429s.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAIEmbeddings } from "@langchain/openai";
import { defaultEmulatorOptions, startEmulator } from "databricks-serving-emulator";
import { Databricks, DatabricksEmbeddings } from "langchain-databricks";
import { ANSWER_TEXT, EMBEDDING_DIMENSIONS, TOKEN } from "./fixtures.js";
import { checkedCall, roundsOf, type BenchServer, type Row } from "./scenarios.js";

interface PromptContender {
  name: string;
  group: "ours" | "reference";
  batchSize: number;
}

/**
 * S3: `prompts` prompts through `Databricks.batch()` to a custom-model endpoint (`task: "custom"`,
 * `dataframe_records`) on a server that takes its latency per request, packed `batchSize` rows per
 * request against one request per prompt, both at `maxConcurrency`. Packing is verified by the
 * server's request count: a packed run that sent more than one request per two prompts throws.
 */
export async function s3Packing(
  server: BenchServer,
  prompts: number,
  batchSize: number,
  maxConcurrency: number,
  rounds: number,
): Promise<Row[]> {
  const inputs = Array.from({ length: prompts }, (_, i) => `Prompt ${i}`);
  const contenders: PromptContender[] = [
    { name: "`Databricks.batch()`, one request per prompt", group: "reference", batchSize: 1 },
    {
      name: `**\`Databricks.batch()\`, \`batchSize: ${batchSize}\`**`,
      group: "ours",
      batchSize,
    },
  ];
  const rows = await roundsOf(
    contenders,
    rounds,
    async (c) => {
      const llm = new Databricks({
        endpointName: "bench-custom",
        task: "custom",
        host: server.url,
        token: TOKEN,
        maxConcurrency,
        batchSize: c.batchSize,
      });
      await checkedCall(c.name, () => llm.invoke("Hello"), 3);
      return llm;
    },
    async (llm) => {
      const before = await server.requests();
      const start = performance.now();
      const answers = await llm.batch(inputs, { maxConcurrency });
      const seconds = (performance.now() - start) / 1000;
      const requests = (await server.requests()) - before;
      if (answers.length !== prompts || answers.some((a) => a !== ANSWER_TEXT))
        throw new Error("S3: a prompt was answered wrongly");
      return { promptsPerSec: prompts / seconds, requests };
    },
  );
  const requests = rows[1]?.metrics["requests"] ?? Number.NaN;
  if (!(requests <= prompts / 2)) {
    throw new Error(
      `S3: \`batchSize: ${batchSize}\` did not pack: the server received ${requests} requests ` +
        `for ${prompts} prompts`,
    );
  }
  return rows;
}

interface EmbedContender {
  name: string;
  group: "ours" | "incumbent";
  create(url: string): (texts: string[]) => Promise<number[][]>;
}

/**
 * S5: `texts` texts through `DatabricksEmbeddings` and `OpenAIEmbeddings`, both 20 texts per
 * request and `maxConcurrency` requests in flight, against the same server. The `openai` SDK asks
 * for base64 vectors (`encoding_format: "base64"`) and decodes them itself; the server answers each
 * client in the encoding it asked for, as Databricks answers floats.
 */
export async function s5Embeddings(
  server: BenchServer,
  texts: number,
  maxConcurrency: number,
  rounds: number,
): Promise<Row[]> {
  const inputs = Array.from({ length: texts }, (_, i) => `Text number ${i} to embed.`);
  const openai = (encodingFormat?: "float"): EmbedContender["create"] => {
    return (url) => {
      const model = new OpenAIEmbeddings({
        model: "bench-embeddings",
        apiKey: TOKEN,
        batchSize: 20,
        maxConcurrency,
        ...(encodingFormat ? { encodingFormat } : {}),
        configuration: { baseURL: `${url}/serving-endpoints` },
      });
      return (batch) => model.embedDocuments(batch);
    };
  };
  const contenders: EmbedContender[] = [
    {
      name: "`OpenAIEmbeddings.embedDocuments` (its default: base64 vectors)",
      group: "incumbent",
      create: openai(),
    },
    {
      // The wire format Databricks endpoints answer with: isolates the client from the encoding.
      name: '`OpenAIEmbeddings.embedDocuments`, `encodingFormat: "float"`',
      group: "incumbent",
      create: openai("float"),
    },
    {
      name: "**`DatabricksEmbeddings.embedDocuments`** (float vectors)",
      group: "ours",
      create: (url) => {
        const model = new DatabricksEmbeddings({
          endpoint: "bench-embeddings",
          host: url,
          token: TOKEN,
          batchSize: 20,
          maxConcurrency,
        });
        return (batch) => model.embedDocuments(batch);
      },
    },
  ];
  const check = (name: string, vectors: number[][], count: number): void => {
    if (vectors.length !== count || vectors.some((v) => v.length !== EMBEDDING_DIMENSIONS))
      throw new Error(`${name} returned ${vectors.length} vectors for ${count} texts`);
  };
  return roundsOf(
    contenders,
    rounds,
    async (c) => {
      const embed = c.create(server.url);
      check(c.name, await embed(inputs.slice(0, 200)), 200);
      return embed;
    },
    async (embed, c) => {
      const start = performance.now();
      const vectors = await embed(inputs);
      const seconds = (performance.now() - start) / 1000;
      check(c.name, vectors, texts);
      return { textsPerSec: texts / seconds };
    },
  );
}

/** The CLI run as its tests run it: the TypeScript entry through tsx's loader (no build needed). */
const CLI = [
  "--import",
  "tsx",
  fileURLToPath(new URL("../packages/langchain-databricks/src/cli/main.ts", import.meta.url)),
];

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, NO_PROXY: "*", DATABRICKS_CONFIG_FILE: "/nonexistent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (piece: string) => (stdout += piece));
    child.stderr.setEncoding("utf8").on("data", (piece: string) => (stderr += piece));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * S7: the `batch` CLI over `prompts` prompts against the emulator's `databricks-llama` endpoint,
 * which answers a seeded 10% of requests with 429 (`failRate`). Reports completion (prompts
 * answered with text), prompts/s over the whole process, and whether every prompt id appears
 * exactly once in the output. One run: it is a correctness-under-load check as much as a rate.
 */
export async function s7BatchCli(prompts: number, failRatio: number): Promise<Row[]> {
  const emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    faults: { "databricks-llama": { failRate: { status: 429, ratio: failRatio } } },
  });
  const dir = await mkdtemp(join(tmpdir(), "bench-s7-"));
  try {
    const env = { DATABRICKS_HOST: emulator.url, DATABRICKS_TOKEN: emulator.token };
    const input = join(dir, "prompts.jsonl");
    const output = join(dir, "results.jsonl");
    const lines = Array.from({ length: prompts }, (_, i) =>
      JSON.stringify({ id: `p${i}`, prompt: `Question ${i}: how are you?` }),
    );
    await writeFile(input, `${lines.join("\n")}\n`);
    emulator.resetStats();
    const start = performance.now();
    const run = await runCli(
      ["batch", "--endpoint", "databricks-llama", "--input", input, "--output", output],
      env,
    );
    const seconds = (performance.now() - start) / 1000;
    // A torn or otherwise unparsable line is counted, not thrown: it makes the run not exactly-once.
    let unparsable = 0;
    const results: { id?: unknown; text?: unknown; error?: unknown }[] = [];
    for (const line of (await readFile(output, "utf8").catch(() => "")).split("\n")) {
      if (line.trim() === "") continue;
      try {
        results.push(JSON.parse(line) as { id?: unknown; text?: unknown; error?: unknown });
      } catch {
        unparsable += 1;
      }
    }
    const seen = new Map<string, number>();
    for (const r of results) seen.set(String(r.id), (seen.get(String(r.id)) ?? 0) + 1);
    // `prompts` results, each of the `prompts` ids exactly once: no room for any other id.
    const exactlyOnce =
      unparsable === 0 &&
      results.length === prompts &&
      lines.every((_, i) => seen.get(`p${i}`) === 1);
    const answered = results.filter((r) => typeof r.text === "string").length;
    const stats = emulator.stats().endpoints["databricks-llama"];
    return [
      {
        name: "**`langchain-databricks batch`** (CLI process)",
        group: "ours",
        metrics: {
          exitCode: run.code ?? Number.NaN,
          completion: answered / prompts,
          promptsPerSec: prompts / seconds,
          exactlyOnce: exactlyOnce ? 1 : 0,
          requests: stats?.requests ?? Number.NaN,
          maxInFlight: stats?.maxInFlight ?? Number.NaN,
        },
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    await emulator.close();
  }
}
