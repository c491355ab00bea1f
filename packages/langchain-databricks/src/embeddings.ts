import { Embeddings, type EmbeddingsParams } from "@langchain/core/embeddings";
import { DatabricksConfigError, DatabricksResponseError } from "./errors.js";
import {
  checkBatchSize,
  checkModelFields,
  ModelSupport,
  resolveEndpoint,
} from "./model_support.js";
import type {
  DatabricksGatewayOptions,
  DatabricksModelFields,
  DatabricksModelOptions,
  Settled,
} from "./types.js";
import { servingRoute } from "./utils/paths.js";
import { chunks, describeValue, isRecord } from "./utils/values.js";

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

/** Options of `DatabricksEmbeddings` that no other class has. */
export interface DatabricksEmbeddingsOwnOptions {
  /** Extra body fields for `embedQuery` (e.g. `{instruction: "..."}`). @default {} */
  queryParams?: Record<string, unknown> | undefined;
  /** Extra body fields for `embedDocuments`. @default {} */
  documentsParams?: Record<string, unknown> | undefined;
  /** Texts per request, as the Python classes send. @default 20 */
  batchSize?: number | undefined;
  /** Request envelope; see {@link DatabricksEmbeddingsInputFormat}. @default "input" */
  inputFormat?: DatabricksEmbeddingsInputFormat | undefined;
  /** Column name for `inputFormat: "dataframe_records"`. @default "input" */
  inputColumn?: string | undefined;
}

/** Constructor options of {@link DatabricksEmbeddings}. */
export interface DatabricksEmbeddingsInput
  extends
    EmbeddingsParams,
    DatabricksModelOptions,
    DatabricksEmbeddingsOwnOptions,
    DatabricksGatewayOptions {}

const DEFAULT_BATCH_SIZE = 20;
const FORMATS: readonly DatabricksEmbeddingsInputFormat[] = [
  "input",
  "inputs",
  "instances",
  "dataframe_records",
];

/**
 * The settings of a `DatabricksEmbeddings` instance, read-only: what it was built with and uses
 * on every call, defaults applied (declared once, in the option types).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- fields typed once, in the option interfaces
export interface DatabricksEmbeddings
  extends
    DatabricksModelFields,
    Settled<DatabricksEmbeddingsOwnOptions>,
    Settled<DatabricksGatewayOptions> {}

/**
 * LangChain embeddings for Databricks Model Serving embedding endpoints. Texts are sent in batches
 * of `batchSize`, concurrently up to `maxConcurrency`, through the package's one transport (auth,
 * retries, timeouts); the result keeps the input order.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class DatabricksEmbeddings extends Embeddings {
  private readonly support: ModelSupport;

  constructor(fields: DatabricksEmbeddingsInput) {
    super(checkModelFields(fields, "DatabricksEmbeddings"));
    const endpoint = resolveEndpoint(fields, "DatabricksEmbeddings");
    if (endpoint === undefined) {
      throw new DatabricksConfigError(
        "DatabricksEmbeddings needs `endpoint`: the name of the embedding serving endpoint (aliases `model`, `endpointName`).",
      );
    }
    const batchSize = checkBatchSize(fields.batchSize, DEFAULT_BATCH_SIZE);
    const inputFormat = fields.inputFormat ?? "input";
    if (!FORMATS.includes(inputFormat)) {
      throw new DatabricksConfigError(
        `Invalid inputFormat: ${String(fields.inputFormat)}. Use one of ${FORMATS.map((f) => `"${f}"`).join(", ")}.`,
      );
    }
    if (fields.useAiGateway === true && inputFormat !== "input") {
      throw new DatabricksConfigError(
        `useAiGateway takes OpenAI-style embeddings requests only: remove inputFormat "${inputFormat}" (custom MLflow models are queried on /serving-endpoints).`,
      );
    }
    const useAiGateway = fields.useAiGateway ?? false;
    refuseReservedParams(fields, inputFormat, useAiGateway);
    const inputColumn = fields.inputColumn ?? "input";
    if (typeof inputColumn !== "string" || inputColumn.trim() === "") {
      throw new DatabricksConfigError(
        `Invalid inputColumn: ${JSON.stringify(inputColumn)}. Use the name of the model's text column (default "input").`,
      );
    }
    this.support = new ModelSupport(fields);
    this.support.attach(this, endpoint, {
      queryParams: { ...fields.queryParams },
      documentsParams: { ...fields.documentsParams },
      batchSize,
      inputFormat,
      inputColumn,
      useAiGateway,
    });
  }

  /** Embed texts with `documentsParams`, `batchSize` per request; vectors in input order. */
  async embedDocuments(documents: string[]): Promise<number[][]> {
    // A lone string would be cut into batches of characters and answered with a vector count
    // that matches nothing: refuse it, and any non-string text, before sending.
    if (!Array.isArray(documents)) {
      throw new DatabricksConfigError(
        `embedDocuments takes a list of texts, got ${describeValue(documents)}: pass [text], or use embedQuery(text).`,
      );
    }
    documents.forEach((text, index) => requireText(text, `embedDocuments: text ${index}`));
    return this.embed(documents, this.documentsParams);
  }

  /** Embed one text with `queryParams`. */
  async embedQuery(document: string): Promise<number[]> {
    requireText(document, "embedQuery");
    const [vector] = await this.embed([document], this.queryParams);
    return vector as number[];
  }

  private async embed(
    texts: readonly string[],
    params: Record<string, unknown>,
  ): Promise<number[][]> {
    // Every batch is in flight at once, up to `maxConcurrency`; the order is kept.
    const results = await Promise.all(
      chunks(texts, this.batchSize).map((batch) => this.embedBatch(batch, params)),
    );
    return results.flat();
  }

  private async embedBatch(
    batch: readonly string[],
    params: Record<string, unknown>,
  ): Promise<number[][]> {
    const route = servingRoute("embeddings", this.endpoint, this.useAiGateway);
    const body = this.requestBody(batch, params);
    // On the gateway the body names the model (first, as OpenAI clients send it).
    const sent = route.model === undefined ? body : { model: route.model, ...body };
    const { data } = await this.support.requestJson("POST", route.path, sent, {});
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

/** A text to embed must be a string; `where` says which argument was not. */
function requireText(text: unknown, where: string): void {
  if (typeof text !== "string") {
    throw new DatabricksConfigError(
      `${where} is ${describeValue(text)}, not a string: embed text only (convert it with String() or JSON.stringify() first).`,
    );
  }
}

/**
 * Body fields the class writes next to `queryParams`/`documentsParams` (OpenAI-style `input`
 * bodies only: custom models get the params under `params`). A param of that name would be
 * silently dropped (`input`, the texts) or replace the gateway's `model`: refused instead.
 */
function refuseReservedParams(
  fields: Pick<DatabricksEmbeddingsOwnOptions, "queryParams" | "documentsParams">,
  inputFormat: DatabricksEmbeddingsInputFormat,
  useAiGateway: boolean,
): void {
  if (inputFormat !== "input") return;
  const reserved = useAiGateway ? ["input", "model"] : ["input"];
  for (const option of ["queryParams", "documentsParams"] as const) {
    const key = reserved.find((name) => name in (fields[option] ?? {}));
    if (key !== undefined) {
      throw new DatabricksConfigError(
        `${option} must not contain \`${key}\`: ${key === "input" ? "the texts are the arguments of embedQuery()/embedDocuments()" : "the gateway request names the endpoint (`endpoint`)"}. Remove it.`,
      );
    }
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
  if (!Array.isArray(vector) || vector.length === 0 || !allFiniteNumbers(vector)) {
    throw new DatabricksResponseError(
      `Embedding ${position} is not a non-empty list of numbers (got ${kind(vector)}).`,
    );
  }
  return vector as number[];
}

/**
 * Whether every element is a finite number. A plain loop, not `every` with a callback: it runs
 * over every float of every answer (20 × 1,024 per request by default), where the callback cost
 * 15% of the `JSON.parse` of the answer and the loop 2% (S5, docs/BENCHMARKS.md).
 */
function allFiniteNumbers(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== "number" || !Number.isFinite(x)) return false;
  }
  return true;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value;
}
