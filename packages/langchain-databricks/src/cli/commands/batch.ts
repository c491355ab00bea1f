/**
 * `langchain-databricks batch`: a JSONL file of prompts → a JSONL file of results, with adaptive
 * concurrency, bounded retries, progress, resume and a clean Ctrl-C.
 */
import type { Databricks, DatabricksCallOptions } from "langchain-databricks";
import { durationOption, integerOptionOr, parseCommand } from "../args.js";
import { AdaptiveLimit, DEFAULT_MAX_CONCURRENCY } from "../batch/concurrency.js";
import { duplicateIds, idKey, parseInputLines } from "../batch/jsonl.js";
import { planBatch, type Unit } from "../batch/plan.js";
import { badLineResult, failedResult, OrderedWriter, type OkResult } from "../batch/output.js";
import { createProgress, summaryLine, type BatchCounts } from "../batch/progress.js";
import { appendSink, loadPreviousResults, type ResultSink } from "../batch/results_file.js";
import { isEndpointWide } from "../batch/retry.js";
import { runScheduled } from "../batch/scheduler.js";
import { embeddingsEndpointError } from "../embeddings_hint.js";
import {
  CliInterruptedError,
  CliUsageError,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  PROGRAM,
} from "../errors.js";
import { readInputText, stdoutSink } from "../io_files.js";
import type { CliIO } from "../io.js";
import { LLM_OPTIONS, LLM_OPTIONS_USAGE, llmSettings } from "../model_options.js";
import { defaultCreateLlm, type CreateDatabricks } from "./invoke.js";

const NAME = "batch";
const DEFAULT_MAX_RETRIES = 5;
const DEFAULT_PROGRESS_INTERVAL_MS = 5000;

/** Help text of `batch`. */
export const BATCH_USAGE = `Usage: ${PROGRAM} batch --endpoint NAME [--input FILE] [--output FILE] [options]

Send every prompt of a JSONL file to a serving endpoint (or driver proxy app) and write one JSONL
result per prompt.

Input (--input FILE, else stdin), one per line:
  {"id": "q1", "prompt": "..."}   any string or number id, unique in the file
  "a prompt"                      a JSON string: its id is its line number (1-based)
A line that cannot be read becomes an error result (code INVALID_INPUT) and the job goes on; so
does a prompt the endpoint refuses. Failures every prompt would share (401, 403, 404: bad
credentials, no such endpoint) stop the job at once instead.

Output (--output FILE, else stdout), one line per input:
  {"id", "text", "latencyMs", "servedModel"?}                     answered
  {"id", "error": {"message", "status"?, "code"?}, "attempts"}    failed
Resume: when --output names a file that already holds results, the ids answered there are
skipped and the rest appended; earlier error results (and a last line cut short by a crash) are
dropped and those prompts tried again, so every id appears exactly once.

Batch options:
  --input FILE          prompts (JSONL); default stdin
  --output FILE         results (JSONL), appended to and resumed from; default stdout
  --order ORDER         input (default): results in input order; completed: as they finish
  --max-concurrency N   requests in flight at most (default ${DEFAULT_MAX_CONCURRENCY}); starts lower, halves on
                        429/503 (waiting Retry-After) and climbs back as calls succeed
  --max-retries N       retries per prompt after 429, 5xx, timeouts (default ${DEFAULT_MAX_RETRIES}), then an
                        error result
  --batch-size N        prompts per request (row packing) where the endpoint allows it
  --progress-interval DURATION  seconds between progress lines when stderr is not a terminal
                        (default 5s; a terminal gets a progress bar)
  --quiet               no progress and no summary

${LLM_OPTIONS_USAGE}
  -h, --help            show this help

Exit codes: 0 every prompt answered, 1 some failed (rerun with the same --output to retry them),
2 usage error, 130 interrupted (what was answered is kept: rerun to finish).

Example:
  ${PROGRAM} batch --endpoint my-llm --input prompts.jsonl --output results.jsonl
`;

/** Run `batch`; returns the exit code, throws usage and runtime errors. */
export async function runBatch(
  io: CliIO,
  argv: readonly string[],
  createLlm: CreateDatabricks = defaultCreateLlm,
): Promise<number> {
  const line = parseCommand(io.stdout, argv, {
    name: NAME,
    usage: BATCH_USAGE,
    options: {
      ...LLM_OPTIONS,
      input: { type: "string" },
      output: { type: "string" },
      order: { type: "string" },
      "max-concurrency": { type: "string" },
      "max-retries": { type: "string" },
      "batch-size": { type: "string" },
      "progress-interval": { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (line === undefined) return EXIT_OK;
  const { values } = line;
  const { input: llmInput, stop } = llmSettings(NAME, values);
  const order = values.order ?? "input";
  if (order !== "input" && order !== "completed") {
    throw new CliUsageError(`--order must be input or completed, got '${order}'`, NAME);
  }
  const maxConcurrency = integerOptionOr(
    NAME,
    "max-concurrency",
    values["max-concurrency"],
    1,
    10_000,
    DEFAULT_MAX_CONCURRENCY,
  );
  const maxRetries = integerOptionOr(
    NAME,
    "max-retries",
    values["max-retries"],
    0,
    100,
    DEFAULT_MAX_RETRIES,
  );
  const batchSize = integerOptionOr(NAME, "batch-size", values["batch-size"], 1, 10_000, undefined);
  const progressIntervalMs =
    values["progress-interval"] === undefined
      ? DEFAULT_PROGRESS_INTERVAL_MS
      : durationOption(NAME, "progress-interval", values["progress-interval"]);

  const { records, bad } = parseInputLines(await readInputText(io, values.input, NAME), "prompt");
  const duplicates = duplicateIds([...records, ...bad]);
  if (duplicates.length > 0) {
    throw new CliUsageError(
      `duplicate ids in the input: ${duplicates
        .slice(0, 5)
        .map((id) => JSON.stringify(id))
        .join(", ")} (ids must be unique so that results and resume can tell prompts apart)`,
      NAME,
    );
  }
  const previous =
    values.output === undefined ? undefined : await loadPreviousResults(values.output);
  const pending = records.filter((record) => !previous?.answered.has(idKey(record.id)));

  // The library retries nothing here: the CLI's loop sees every 429 to back off globally and
  // count retries. Packing (`batchSize`) is the LLM's own option, given only when asked for.
  const llm = await createLlm({
    ...llmInput,
    maxRetries: 0,
    ...(batchSize !== undefined ? { batchSize } : {}),
  });

  const sink: ResultSink = values.output === undefined ? stdoutSink(io) : appendSink(values.output);
  const writer = new OrderedWriter(sink, order);
  const plan = planBatch(pending, bad, batchSize ?? 1);
  for (const entry of plan.bad) writer.write(entry.seq, badLineResult(entry.bad));

  const limit = new AdaptiveLimit(maxConcurrency);
  const counts: BatchCounts = {
    total: pending.length + bad.length,
    ok: 0,
    failed: bad.length,
    retried: 0,
    skipped: records.length - pending.length,
    concurrency: limit.limit,
  };
  const latencies: number[] = [];
  const startedAt = Date.now();
  const progress = createProgress(io.stderr, () => ({ ...counts, concurrency: limit.limit }), {
    quiet: values.quiet === true,
    intervalMs: progressIntervalMs,
    startedAt,
  });
  const callOptions: DatabricksCallOptions = stop ? { stop } : {};
  let embeddingsCheck: Promise<Error | undefined> | undefined;

  progress.start();
  let outcome: "done" | "interrupted";
  try {
    outcome = await runScheduled<Unit>({
      units: plan.units,
      limit,
      maxRetries,
      signal: io.signal,
      send: (unit, signal) => generate(llm, unit, { ...callOptions, signal }),
      hooks: {
        onSuccess: (unit, value, latencyMs) => {
          const texts = value as { text: string; servedModel?: string }[];
          unit.records.forEach((record, index) => {
            const answer = texts[index];
            const result: OkResult = {
              id: record.id,
              text: answer?.text ?? "",
              latencyMs: Math.round(latencyMs),
            };
            if (answer?.servedModel !== undefined) result.servedModel = answer.servedModel;
            writer.write(unit.seqs[index] ?? 0, result);
            latencies.push(latencyMs);
            counts.ok += 1;
          });
        },
        onFailure: (unit, error, attempts, latencyMs) => {
          unit.records.forEach((record, index) => {
            writer.write(
              unit.seqs[index] ?? 0,
              failedResult(record.id, error, attempts, Math.round(latencyMs)),
            );
            counts.failed += 1;
          });
        },
        onRetry: (unit) => {
          counts.retried += unit.records.length;
        },
        // Stop at the first failure every prompt would share: auth, a missing endpoint, or an
        // embeddings endpoint (which refuses every prompt alike).
        fatal: async (error) =>
          isEndpointWide(error)
            ? (error as Error)
            : (embeddingsCheck ??= embeddingsEndpointError(llm, llmInput.endpoint, error, NAME)),
      },
    });
  } finally {
    progress.stop();
    // Whatever happens, what was answered reaches the file.
    writer.flushHeld();
    await sink.close();
  }
  if (values.quiet !== true) {
    io.stderr.write(`${summaryLine(counts, Date.now() - startedAt, latencies)}\n`);
  }
  if (outcome === "interrupted") {
    io.stderr.write(
      `${PROGRAM}: interrupted: ${counts.ok + counts.failed} of ${counts.total} results written; rerun with the same --output to finish\n`,
    );
    return EXIT_INTERRUPTED;
  }
  return counts.failed > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** Answer one unit's prompts: texts and served model, in the unit's order. */
async function generate(
  llm: Databricks,
  unit: Unit,
  options: DatabricksCallOptions,
): Promise<{ text: string; servedModel?: string }[]> {
  try {
    const result = await llm.generate(
      unit.records.map((record) => record.text),
      options,
    );
    return result.generations.map((generations) => {
      const generation = generations[0];
      const served = generation?.generationInfo?.["served_model_name"];
      return {
        text: generation?.text ?? "",
        ...(typeof served === "string" ? { servedModel: served } : {}),
      };
    });
  } catch (error) {
    if (options.signal?.aborted) throw new CliInterruptedError();
    throw error;
  }
}
