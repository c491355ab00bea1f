/**
 * The seed notebook ("Databricks" page of LangChain's LLM integrations), cell by cell, in TypeScript.
 * Run it against the local emulator with `npm run demo`, or against a real workspace by setting
 * DATABRICKS_HOST / DATABRICKS_TOKEN (and DATABRICKS_CLUSTER_ID for the driver proxy part) and
 * `npx tsx examples/seed_notebook.ts`.
 */
import { Databricks } from "../src/index.js";

/** One executed cell: the Python line it mirrors, and what the model answered. */
export interface SeedCell {
  section: "serving endpoint" | "cluster driver proxy app";
  python: string;
  answer: string;
}

/** Run every example of the notebook in order; `onCell` sees each result as it arrives. */
export async function runSeedNotebook(
  options: {
    endpointName?: string;
    clusterDriverPort?: string;
    clusterId?: string;
    host?: string;
    onCell?: (cell: SeedCell) => void;
  } = {},
): Promise<SeedCell[]> {
  const endpointName = options.endpointName ?? "dolly";
  const port = options.clusterDriverPort ?? "7777";
  const clusterId = options.clusterId ?? "0000-000000-xxxxxxxx";
  const cells: SeedCell[] = [];
  const record = (section: SeedCell["section"], python: string, answer: string): void => {
    const cell = { section, python, answer };
    cells.push(cell);
    options.onCell?.(cell);
  };

  // --- Wrapping a serving endpoint ---------------------------------------------------------------
  // Host and token come from DATABRICKS_HOST / DATABRICKS_TOKEN (a notebook context in Python).
  let llm = new Databricks({ endpointName });
  record(
    "serving endpoint",
    'llm = Databricks(endpoint_name="dolly")\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );
  record(
    "serving endpoint",
    'llm("How are you?", stop=["."])',
    await llm.invoke("How are you?", { stop: ["."] }),
  );

  // Explicit host; the token still comes from DATABRICKS_TOKEN (never hard-code it).
  llm = new Databricks({
    host: options.host ?? process.env["DATABRICKS_HOST"] ?? "",
    endpointName,
  });
  record(
    "serving endpoint",
    'llm = Databricks(host="myworkspace.cloud.databricks.com", endpoint_name="dolly")\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  llm = new Databricks({ endpointName, modelKwargs: { temperature: 0.1 } });
  record(
    "serving endpoint",
    'llm = Databricks(endpoint_name="dolly", model_kwargs={"temperature": 0.1})\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  const transformInput = (request: Record<string, unknown>): Record<string, unknown> => ({
    ...request,
    prompt: `${String(request["prompt"])}\nBe Concise.\n`,
  });
  llm = new Databricks({ endpointName, transformInputFn: transformInput });
  record(
    "serving endpoint",
    'llm = Databricks(endpoint_name="dolly", transform_input_fn=transform_input)\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  // --- Wrapping a cluster driver proxy app ---------------------------------------------------------
  // On the cluster itself the cluster id is known; elsewhere set DATABRICKS_CLUSTER_ID (or a profile's cluster_id).
  process.env["DATABRICKS_CLUSTER_ID"] ??= clusterId;
  llm = new Databricks({ clusterDriverPort: port });
  record(
    "cluster driver proxy app",
    'llm = Databricks(cluster_driver_port="7777")\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  llm = new Databricks({ clusterId, clusterDriverPort: port });
  record(
    "cluster driver proxy app",
    'llm = Databricks(cluster_id="0000-000000-xxxxxxxx", cluster_driver_port="7777")\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  llm = new Databricks({ clusterDriverPort: port, modelKwargs: { temperature: 0.1 } });
  record(
    "cluster driver proxy app",
    'llm = Databricks(cluster_driver_port="7777", model_kwargs={"temperature": 0.1})\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );

  const transformOutput = (response: unknown): string => String(response).toUpperCase();
  llm = new Databricks({
    clusterDriverPort: port,
    transformInputFn: transformInput,
    transformOutputFn: transformOutput,
  });
  record(
    "cluster driver proxy app",
    'llm = Databricks(cluster_driver_port="7777", transform_input_fn=transform_input, transform_output_fn=transform_output)\nllm("How are you?")',
    await llm.invoke("How are you?"),
  );
  return cells;
}
