import { Embeddings, type EmbeddingsParams } from "@langchain/core/embeddings";
import { DatabricksConfigError, DatabricksResponseError } from "./errors.js";
import {
  createCaller,
  createDatabricksClient,
  type DatabricksConnectionOptions,
} from "./options.js";
import type { DatabricksClient } from "./transport/client.js";
import { invocationsPath } from "./utils/paths.js";
import { isRecord, nonEmpty } from "./utils/values.js";

/**
 * How texts are sent to the endpoint:
 * - `input` (default): Foundation Model APIs and external models, `{"input": [...texts], ...params}`,
 *   answered with `data[].embedding`;
 * - `inputs` / `instances`: custom MLflow models, `{"inputs": [...texts]}` / `{"instances": [...]}`;
 * - `dataframe_records`: custom MLflow models, `{"dataframe_records": [{<inputColumn>: text}, ...]}`.
 *
 * Custom models answer `{"predictions": ...}`, read as one vector per text (`number[][]`, or objects
 * with an `embedding` field). Their params go under `params`, which the MLflow scoring server reads.
 */
export type DatabricksEmbeddingsInputFormat =
  "input" | "inputs" | "instances" | "dataframe_records";

/** Constructor options of {@link DatabricksEmbeddings}. */
export interface DatabricksEmbeddingsInput extends EmbeddingsParams, DatabricksConnectionOptions {
  /** Serving endpoint name (`POST /serving-endpoints/{endpoint}/invocations`). Required (or `model`). */
  endpoint?: string;
  /** Alias of `endpoint`. */
  model?: string;
  /** Extra body fields for `embedQuery` (e.g. `{instruction: "..."}`). @default {} */
  queryParams?: Record<string, unknown>;
  /** Extra body fields for `embedDocuments`. @default {} */
  documentsParams?: Record<string, unknown>;
  /** Texts per request, as the Python classes send. @default 20 */
  batchSize?: number;
  /** Request envelope; see {@link DatabricksEmbeddingsInputFormat}. @default "input" */
  inputFormat?: DatabricksEmbeddingsInputFormat;
  /** Column name for `inputFormat: "dataframe_records"`. @default "input" */
  inputColumn?: string;
}

const DEFAULT_BATCH_SIZE = 20;
const FORMATS: readonly DatabricksEmbeddingsInputFormat[] = [
  "input",
  "inputs",
  "instances",
  "dataframe_records",
];

/**
 * LangChain embeddings for Databricks Model Serving embedding endpoints. Texts are sent in batches
 * of `batchSize`, concurrently up to `maxConcurrency`, through the package's one transport (auth,
 * retries, timeouts); the result keeps the input order.
 */
export class DatabricksEmbeddings extends Embeddings {
  /** Serving endpoint name. */
  endpoint: string;
  /** Extra body fields for `embedQuery`. */
  queryParams: Record<string, unknown>;
  /** Extra body fields for `embedDocuments`. */
  documentsParams: Record<string, unknown>;
  /** Texts per request. */
  batchSize: number;
  /** Request envelope. */
  inputFormat: DatabricksEmbeddingsInputFormat;
  /** Column name for `dataframe_records`. */
  inputColumn: string;

  /** The shared transport (host, auth, retries). */
  readonly client: DatabricksClient;

  constructor(fields: DatabricksEmbeddingsInput) {
    super(fields);
    const endpoint = nonEmpty(fields.endpoint) ?? nonEmpty(fields.model);
    if (endpoint === undefined) {
      throw new DatabricksConfigError(
        "DatabricksEmbeddings needs `endpoint`: the name of the embedding serving endpoint (alias `model`).",
      );
    }
    if (
      fields.endpoint !== undefined &&
      fields.model !== undefined &&
      fields.endpoint !== fields.model
    ) {
      throw new DatabricksConfigError(
        `Both \`endpoint\` ("${fields.endpoint}") and its alias \`model\` ("${fields.model}") were given; pass only \`endpoint\`.`,
      );
    }
    const batchSize = fields.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DatabricksConfigError(
        `Invalid batchSize: ${String(fields.batchSize)}. Use an integer >= 1.`,
      );
    }
    const inputFormat = fields.inputFormat ?? "input";
    if (!FORMATS.includes(inputFormat)) {
      throw new DatabricksConfigError(
        `Invalid inputFormat: ${String(fields.inputFormat)}. Use one of ${FORMATS.map((f) => `"${f}"`).join(", ")}.`,
      );
    }
    this.client = createDatabricksClient(fields).client;
    // LangChain's caller only limits concurrency here; the transport is the one retry layer.
    this.caller = createCaller({ maxConcurrency: fields.maxConcurrency });
    this.endpoint = endpoint;
    this.queryParams = { ...fields.queryParams };
    this.documentsParams = { ...fields.documentsParams };
    this.batchSize = batchSize;
    this.inputFormat = inputFormat;
    this.inputColumn = fields.inputColumn ?? "input";
  }

  /** Embed texts with `documentsParams`, `batchSize` per request; vectors in input order. */
  async embedDocuments(documents: string[]): Promise<number[][]> {
    return this.embed(documents, this.documentsParams);
  }

  /** Embed one text with `queryParams`. */
  async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.embed([document], this.queryParams);
    return vector as number[];
  }

  private async embed(
    texts: readonly string[],
    params: Record<string, unknown>,
  ): Promise<number[][]> {
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize)
      batches.push(texts.slice(i, i + this.batchSize));
    const results = await Promise.all(
      batches.map((batch) => this.caller.call(() => this.embedBatch(batch, params))),
    );
    return results.flat();
  }

  private async embedBatch(
    batch: readonly string[],
    params: Record<string, unknown>,
  ): Promise<number[][]> {
    const path = invocationsPath(this.endpoint);
    const { data } = await this.client.requestJson("POST", path, this.requestBody(batch, params));
    return parseEmbeddingsResponse(data, batch.length);
  }

  private requestBody(
    batch: readonly string[],
    params: Record<string, unknown>,
  ): Record<string, unknown> {
    if (this.inputFormat === "input") return { ...params, input: batch };
    const body: Record<string, unknown> =
      this.inputFormat === "dataframe_records"
        ? { dataframe_records: batch.map((text) => ({ [this.inputColumn]: text })) }
        : { [this.inputFormat]: batch };
    if (Object.keys(params).length > 0) body["params"] = params;
    return body;
  }
}

/**
 * Read one vector per text from an embeddings answer: `data[].embedding` (sorted by `index`) or
 * custom-model `predictions` (`number[][]`, `[{embedding}]`, or `{embeddings | data: [...]}`).
 * Throws {@link DatabricksResponseError} on any other shape or a count mismatch.
 */
export function parseEmbeddingsResponse(data: unknown, expected: number): number[][] {
  if (!isRecord(data)) {
    throw new DatabricksResponseError(
      `Expected a JSON object from the embeddings endpoint, got ${kind(data)}.`,
    );
  }
  let rows: unknown[];
  if (Array.isArray(data["data"])) {
    const items = data["data"] as unknown[];
    const indexed = items.every((item) => isRecord(item) && typeof item["index"] === "number");
    rows = indexed
      ? (items as Record<string, unknown>[]).toSorted(
          (a, b) => (a["index"] as number) - (b["index"] as number),
        )
      : items;
  } else if ("predictions" in data) {
    const predictions = data["predictions"];
    if (Array.isArray(predictions)) rows = predictions;
    else if (isRecord(predictions) && Array.isArray(predictions["embeddings"]))
      rows = predictions["embeddings"];
    else if (isRecord(predictions) && Array.isArray(predictions["data"]))
      rows = predictions["data"];
    else {
      throw new DatabricksResponseError(
        `Expected \`predictions\` to be a list of vectors, got ${kind(predictions)}.`,
      );
    }
  } else {
    throw new DatabricksResponseError(
      `Expected \`data\` (embeddings task) or \`predictions\` (custom model) in the embeddings answer, got keys [${Object.keys(data).join(", ")}].`,
    );
  }
  if (rows.length !== expected) {
    throw new DatabricksResponseError(
      `The embeddings endpoint returned ${rows.length} vector(s) for ${expected} text(s).`,
    );
  }
  return rows.map((row, i) => toVector(row, i));
}

function toVector(row: unknown, position: number): number[] {
  const vector = isRecord(row) ? (row["embedding"] ?? row["embeddings"]) : row;
  if (
    !Array.isArray(vector) ||
    vector.length === 0 ||
    !vector.every((x) => typeof x === "number" && Number.isFinite(x))
  ) {
    throw new DatabricksResponseError(
      `Embedding ${position} is not a non-empty list of numbers (got ${kind(vector)}).`,
    );
  }
  return vector as number[];
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value;
}
