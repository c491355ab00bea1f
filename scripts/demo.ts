/**
 * `npm run demo`: the whole seed notebook on a fresh machine, no Databricks account needed.
 *
 * 1. Start a driver proxy app (`serveDriverProxyApp`, the TypeScript counterpart of the notebook's
 *    Flask app) serving the emulator's n-gram text model.
 * 2. Start the local workspace emulator with the `dolly` custom-model endpoint, a chat endpoint,
 *    an embeddings endpoint, and cluster 0000-000000-xxxxxxxx whose port 7777 proxies to that app.
 * 3. Point DATABRICKS_HOST / DATABRICKS_TOKEN at the emulator and run every notebook cell through
 *    the `Databricks` class, as a user would write it; then a taste of ChatDatabricks and
 *    DatabricksEmbeddings, and LangChain's `createAgent` on a Claude-like endpoint with thinking
 *    and on a ResponsesAgent endpoint (`examples/agent_run.ts`).
 *
 * Everything listens on 127.0.0.1 with ephemeral ports and is closed before exit.
 */
import { runSeedNotebook, type SeedCell } from "../examples/seed_notebook.js";
import { createDriverBackend } from "../packages/langchain-databricks/src/cli/commands/driver_backends.js";
import { packageVersion } from "../packages/langchain-databricks/src/cli/version.js";
import { serveDriverProxyApp } from "langchain-databricks/driver-proxy";
import { defaultEmulatorOptions, startEmulator } from "databricks-serving-emulator";
import { ChatDatabricks, DatabricksEmbeddings } from "langchain-databricks";
import { formatAgentRun, runAgentExamples } from "../examples/agent_run.js";

// Builds inject the version; running the sources with tsx does not (as in the CLI's main.ts).
Object.assign(globalThis, { __PKG_VERSION__: packageVersion() });

const CLUSTER_ID = "0000-000000-xxxxxxxx";
const DRIVER_PORT = "7777";
const quiet = (): void => undefined;

/** The notebook's Flask app cell, and the TypeScript server that played its part here. */
function printDriverAppCell(): void {
  console.log("[app] Python (seed notebook): the Flask app on the driver");
  console.log(
    '      app = Flask("dolly"); @app.route("/", methods=["POST"]) → jsonify(llm(**request.json))',
  );
  console.log('      app.run(host="0.0.0.0", port="7777")');
  console.log("    TypeScript (langchain-databricks):");
  console.log("      await serveDriverProxyApp({ model, port: 7777 });");
  console.log(
    `    → serving the emulator's n-gram model, reachable as cluster ${CLUSTER_ID} port ${DRIVER_PORT}\n`,
  );
}

function printCell(cell: SeedCell, index: number, previous: SeedCell | undefined): void {
  if (cell.section !== previous?.section) {
    console.log(`${previous ? "" : "\n"}## ${cell.section}\n`);
    if (cell.section === "Wrapping a cluster driver proxy app") printDriverAppCell();
  }
  const indent = (text: string, prefix: string): string =>
    text
      .split("\n")
      .map((line) => `${prefix}${line}`)
      .join("\n");
  console.log(`[${index + 1}] Python (seed notebook):\n${indent(cell.python, "      ")}`);
  console.log(`    TypeScript (langchain-databricks):\n${indent(cell.typescript, "      ")}`);
  console.log(`    → ${JSON.stringify(cell.answer)}\n`);
}

async function main(): Promise<void> {
  const app = await serveDriverProxyApp({
    model: await createDriverBackend({ type: "ngram" }),
    port: 0,
    host: "127.0.0.1",
    log: quiet,
    warn: quiet,
  });
  const emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    driverApps: [{ clusterId: CLUSTER_ID, port: DRIVER_PORT, target: app.url }],
    log: quiet,
  });
  try {
    process.env["DATABRICKS_HOST"] = emulator.url;
    process.env["DATABRICKS_TOKEN"] = emulator.token;
    process.env["DATABRICKS_CLUSTER_ID"] = CLUSTER_ID;
    console.log(
      "# langchain-databricks demo: the seed notebook, run against a local workspace emulator",
    );
    console.log(`DATABRICKS_HOST=${emulator.url}  (emulator; demo PAT in DATABRICKS_TOKEN)`);
    console.log(
      `driver proxy app on ${app.url}, reachable as cluster ${CLUSTER_ID} port ${DRIVER_PORT}`,
    );

    const cells: SeedCell[] = [];
    await runSeedNotebook({
      endpointName: "dolly",
      clusterDriverPort: DRIVER_PORT,
      clusterId: CLUSTER_ID,
      onCell: (cell) => {
        printCell(cell, cells.length, cells.at(-1));
        cells.push(cell);
      },
    });

    console.log("## Beyond the notebook\n");
    const chat = new ChatDatabricks({ model: "databricks-llama", maxTokens: 24 });
    process.stdout.write(
      'ChatDatabricks({ model: "databricks-llama" }).stream("Tell me about Paris") → ',
    );
    for await (const chunk of await chat.stream("Tell me about Paris"))
      process.stdout.write(chunk.text);
    console.log();
    const embeddings = new DatabricksEmbeddings({ endpoint: "databricks-embeddings" });
    const [first, second] = await embeddings.embedDocuments([
      "the lakehouse platform",
      "a lakehouse for data",
    ]);
    const cosine = (first ?? []).reduce((sum, value, i) => sum + value * (second?.[i] ?? 0), 0);
    console.log(
      `DatabricksEmbeddings({ endpoint: "databricks-embeddings" }) → ${first?.length ?? 0}-dim vectors, cosine ${cosine.toFixed(3)}`,
    );
    console.log("\n## An agent: LangChain's createAgent with a tool and a structured answer\n");
    const runs = await runAgentExamples({
      onRun: (run) => console.log(`${formatAgentRun(run)}\n`),
    });
    console.log(
      `${cells.length} notebook cells and ${runs.length} agent runs ran, ${emulator.requests} requests reached the emulator.`,
    );
  } finally {
    await emulator.close();
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
