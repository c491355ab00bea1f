/**
 * The seed notebook ("Databricks" page of LangChain's LLM integrations), cell by cell, in TypeScript.
 * Run it against the local emulator with `npm run demo`, or against a real workspace by setting
 * DATABRICKS_HOST / DATABRICKS_TOKEN (and DATABRICKS_CLUSTER_ID for the driver proxy part) and
 * running `npx tsx examples/seed_notebook.ts`.
 */
import { pathToFileURL } from "node:url";
import { Databricks } from "langchain-databricks";

/** One executed cell: the Python it mirrors, the TypeScript that ran, and the model's answer. */
export interface SeedCell {
  section: "Wrapping a serving endpoint" | "Wrapping a cluster driver proxy app";
  python: string;
  typescript: string;
  answer: string;
}

/** Where the notebook's examples point. Host and token always come from the environment. */
export interface SeedNotebookOptions {
  /** The serving endpoint of the first half. @default "dolly" */
  endpointName?: string;
  /** The driver app's port. @default "7777" */
  clusterDriverPort?: string;
  /** The cluster of the second half. @default "0000-000000-xxxxxxxx" */
  clusterId?: string;
  /** Sees each cell as soon as it ran. */
  onCell?: (cell: SeedCell) => void;
}

// The notebook's prompt template: append "Be Concise." to every prompt.
function transformInput(request: Record<string, unknown>): Record<string, unknown> {
  return { ...request, prompt: `${String(request["prompt"])}\nBe Concise.\n` };
}

// The notebook's output transform: upper-case the app's string answer.
function transformOutput(response: unknown): string {
  return String(response).toUpperCase();
}

/** Run every example of the notebook, in order. */
export async function runSeedNotebook(options: SeedNotebookOptions = {}): Promise<SeedCell[]> {
  const endpointName = options.endpointName ?? "dolly";
  const port = options.clusterDriverPort ?? "7777";
  const clusterId = options.clusterId ?? "0000-000000-xxxxxxxx";
  const cells: SeedCell[] = [];
  const run = async (
    section: SeedCell["section"],
    python: string,
    typescript: string,
    call: () => Promise<string>,
  ): Promise<void> => {
    const cell = { section, python, typescript, answer: await call() };
    cells.push(cell);
    options.onCell?.(cell);
  };
  const serving = "Wrapping a serving endpoint" as const;
  const driver = "Wrapping a cluster driver proxy app" as const;

  // In a notebook, host and token come from the notebook context; here from DATABRICKS_HOST and
  // DATABRICKS_TOKEN (or a ~/.databrickscfg profile).
  const llm = new Databricks({ endpointName });
  await run(
    serving,
    'llm = Databricks(endpoint_name="dolly")\nllm("How are you?")',
    'const llm = new Databricks({ endpointName: "dolly" });\nawait llm.invoke("How are you?");',
    () => llm.invoke("How are you?"),
  );
  await run(
    serving,
    'llm("How are you?", stop=["."])',
    'await llm.invoke("How are you?", { stop: ["."] });',
    () => llm.invoke("How are you?", { stop: ["."] }),
  );

  // The host given explicitly; the token still comes from DATABRICKS_TOKEN, never the code.
  const host = process.env["DATABRICKS_HOST"] ?? "";
  const explicitHost = new Databricks({ host, endpointName });
  await run(
    serving,
    'llm = Databricks(host="myworkspace.cloud.databricks.com", endpoint_name="dolly")\nllm("How are you?")',
    `const llm = new Databricks({ host: "${host}", endpointName: "dolly" });\nawait llm.invoke("How are you?");`,
    () => explicitHost.invoke("How are you?"),
  );

  const withKwargs = new Databricks({ endpointName, modelKwargs: { temperature: 0.1 } });
  await run(
    serving,
    'llm = Databricks(endpoint_name="dolly", model_kwargs={"temperature": 0.1})\nllm("How are you?")',
    'const llm = new Databricks({ endpointName: "dolly", modelKwargs: { temperature: 0.1 } });\nawait llm.invoke("How are you?");',
    () => withKwargs.invoke("How are you?"),
  );

  const withTemplate = new Databricks({ endpointName, transformInputFn: transformInput });
  await run(
    serving,
    'llm = Databricks(endpoint_name="dolly", transform_input_fn=transform_input)\nllm("How are you?")',
    'const llm = new Databricks({ endpointName: "dolly", transformInputFn: transformInput });\nawait llm.invoke("How are you?");',
    () => withTemplate.invoke("How are you?"),
  );

  // On the cluster itself the cluster id is known; elsewhere DATABRICKS_CLUSTER_ID (or a profile's
  // cluster_id) says which cluster runs the app.
  process.env["DATABRICKS_CLUSTER_ID"] ??= clusterId;
  const app = new Databricks({ clusterDriverPort: port });
  await run(
    driver,
    'llm = Databricks(cluster_driver_port="7777")\nllm("How are you?")',
    'const llm = new Databricks({ clusterDriverPort: "7777" });\nawait llm.invoke("How are you?");',
    () => app.invoke("How are you?"),
  );

  const namedCluster = new Databricks({ clusterId, clusterDriverPort: port });
  await run(
    driver,
    'llm = Databricks(cluster_id="0000-000000-xxxxxxxx", cluster_driver_port="7777")\nllm("How are you?")',
    `const llm = new Databricks({ clusterId: "${clusterId}", clusterDriverPort: "7777" });\nawait llm.invoke("How are you?");`,
    () => namedCluster.invoke("How are you?"),
  );

  const appWithKwargs = new Databricks({
    clusterDriverPort: port,
    modelKwargs: { temperature: 0.1 },
  });
  await run(
    driver,
    'llm = Databricks(cluster_driver_port="7777", model_kwargs={"temperature": 0.1})\nllm("How are you?")',
    'const llm = new Databricks({ clusterDriverPort: "7777", modelKwargs: { temperature: 0.1 } });\nawait llm.invoke("How are you?");',
    () => appWithKwargs.invoke("How are you?"),
  );

  const appWithTransforms = new Databricks({
    clusterDriverPort: port,
    transformInputFn: transformInput,
    transformOutputFn: transformOutput,
  });
  await run(
    driver,
    'llm = Databricks(cluster_driver_port="7777", transform_input_fn=transform_input, transform_output_fn=transform_output)\nllm("How are you?")',
    'const llm = new Databricks({\n  clusterDriverPort: "7777",\n  transformInputFn: transformInput,\n  transformOutputFn: transformOutput,\n});\nawait llm.invoke("How are you?");',
    () => appWithTransforms.invoke("How are you?"),
  );
  return cells;
}

// `npx tsx examples/seed_notebook.ts` against whatever DATABRICKS_* points at.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runSeedNotebook({
    onCell: (cell) => console.log(`${cell.typescript}\n→ ${JSON.stringify(cell.answer)}\n`),
  });
}
