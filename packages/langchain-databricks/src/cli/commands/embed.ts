/** `langchain-databricks embed`: texts → JSONL vectors, through the package's `DatabricksEmbeddings`. */
import { writeFile } from "node:fs/promises";
import type { DatabricksEmbeddings, DatabricksEmbeddingsInput } from "langchain-databricks";
import { integerOptionOr, parseCommand } from "../args.js";
import { parseInputLines, type InputRecord } from "../batch/jsonl.js";
import { CliInterruptedError, CliUsageError, EXIT_OK, PROGRAM } from "../errors.js";
import { readInputText } from "../io_files.js";
import type { CliIO } from "../io.js";
import { CONNECTION_OPTIONS, connectionInput, connectionUsage } from "../model_options.js";
import { untilAborted } from "../shutdown.js";

const NAME = "embed";
const DEFAULT_BATCH_SIZE = 20;

/** Help text of `embed`. */
export const EMBED_USAGE = `Usage: ${PROGRAM} embed --endpoint NAME [options] [text...]

Embed texts with a Databricks embeddings endpoint and write one JSONL line per text:
{"id", "embedding"}, in input order.

Texts (one of):
  text...               the arguments; ids 1, 2, ... in argument order
  --input FILE          JSONL: {"id": ..., "text": "..."} or a JSON string per line (id = its
                        1-based line number); a line that cannot be read stops the command
                        before any request
  (stdin)               one text per line; ids are line numbers (blank lines are skipped)

Options:
  --endpoint NAME       embeddings endpoint (e.g. databricks-gte-large-en)
  --output FILE         write the vectors there (replaced) instead of stdout
  --batch-size N        texts per request (default ${DEFAULT_BATCH_SIZE}); requests run concurrently, order is kept
${connectionUsage()}
  -h, --help            show this help

Example:
  ${PROGRAM} embed --endpoint databricks-gte-large-en "first text" "second text"
`;

/** Factory seam for tests: how `embed` builds its embeddings client. */
export type CreateEmbeddings = (
  options: DatabricksEmbeddingsInput,
) => DatabricksEmbeddings | Promise<DatabricksEmbeddings>;

/** Loaded on use, so `--help` and the other commands do not pay for `@langchain/core`. */
const defaultCreateEmbeddings: CreateEmbeddings = async (options) => {
  const { DatabricksEmbeddings } = await import("langchain-databricks");
  return new DatabricksEmbeddings(options);
};

/** Run `embed`; returns the exit code, throws usage and runtime errors. */
export async function runEmbed(
  io: CliIO,
  argv: readonly string[],
  createEmbeddings: CreateEmbeddings = defaultCreateEmbeddings,
): Promise<number> {
  const line = parseCommand(io.stdout, argv, {
    name: NAME,
    usage: EMBED_USAGE,
    positionals: true,
    options: {
      endpoint: { type: "string" },
      ...CONNECTION_OPTIONS,
      input: { type: "string" },
      output: { type: "string" },
      "batch-size": { type: "string" },
    },
  });
  if (line === undefined) return EXIT_OK;
  const { values, positionals } = line;
  if (values.endpoint === undefined || values.endpoint === "") {
    throw new CliUsageError("no endpoint: pass --endpoint NAME (an embeddings endpoint)", NAME);
  }
  if (positionals.length > 0 && values.input !== undefined) {
    throw new CliUsageError("pass texts as arguments or with --input, not both", NAME);
  }
  const batchSize = integerOptionOr(
    NAME,
    "batch-size",
    values["batch-size"],
    1,
    10_000,
    DEFAULT_BATCH_SIZE,
  );
  const records = await readTexts(io, positionals, values.input);

  const embeddings = await createEmbeddings({
    endpoint: values.endpoint,
    batchSize,
    ...connectionInput(NAME, values),
  });
  const vectors = await Promise.race([
    embeddings.embedDocuments(records.map((record) => record.text)),
    // The library call takes no signal: on Ctrl-C stop waiting for it (nothing is written).
    untilAborted(io.signal).then(() => {
      throw new CliInterruptedError();
    }),
  ]);
  const text = records
    .map((record, index) => `${JSON.stringify({ id: record.id, embedding: vectors[index] })}\n`)
    .join("");
  if (values.output === undefined) io.stdout.write(text);
  else await writeFile(values.output, text);
  return EXIT_OK;
}

/** The texts to embed with their ids, from the arguments, `--input` or stdin lines. */
async function readTexts(
  io: CliIO,
  positionals: readonly string[],
  input: string | undefined,
): Promise<InputRecord[]> {
  if (positionals.length > 0) {
    return positionals.map((text, index) => ({ id: index + 1, text, line: index + 1 }));
  }
  const raw = await readInputText(io, input, NAME);
  let records: InputRecord[];
  if (input !== undefined) {
    const parsed = parseInputLines(raw, "text");
    // Unlike `batch`, `embed` writes nothing until every vector is back: a bad line is fixed
    // first, rather than leaving a hole in the output.
    const bad = parsed.bad[0];
    if (bad) throw new CliUsageError(`--input ${input}: ${bad.message}`, NAME);
    records = parsed.records;
  } else {
    records = raw
      .split("\n")
      .map((text, index) => ({ id: index + 1, text: text.replace(/\r$/, ""), line: index + 1 }))
      .filter((record) => record.text.trim() !== "");
  }
  if (records.length === 0) throw new CliUsageError("no texts to embed", NAME);
  return records;
}
