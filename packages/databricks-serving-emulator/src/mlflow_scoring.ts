import { isJsonObject } from "./json.js";
import { embed, generate } from "./generation.js";
import { HttpError, parseContentType } from "./http_util.js";
import {
  handleChat,
  handleCompletions,
  handleEmbeddings,
  respond,
  type TaskContext,
} from "./llm_tasks.js";
import type { BackendRequest, JsonObject, JsonValue } from "./types.js";

/**
 * Custom (pyfunc) model endpoints: the MLflow scoring server's request rules (mlflow
 * `mlflow/pyfunc/scoring_server/__init__.py` @31b80593, reproduced message for message), in front
 * of an emulated text model:
 *
 * - Content type: `application/json` or `text/csv`, UTF-8 only, no other parameters (415, text/plain).
 * - Unified LLM input (`messages` / `prompt` / `input` present): the answer is the raw chat /
 *   completion / embeddings object, without a `predictions` wrapper.
 * - Otherwise exactly one of `dataframe_split`, `dataframe_records`, `instances`, `inputs`, with
 *   optional `params`; other keys are ignored. Answer: `{"predictions": [...]}` with one entry per
 *   row: the generated string (or `{"candidates": [{"text"}]}` for `llama2/chat`, or a vector when
 *   the backend only embeds).
 *
 * The emulated model reads its text from the first of the `prompt`, `input`, `text`, `question`,
 * `query` columns (else the first string column), and `stop`, `max_tokens`, `temperature`, `seed`
 * from the row, falling back to `params`.
 */

const SUPPORTED_FORMATS = ["dataframe_records", "dataframe_split", "instances", "inputs"] as const;
/** Python prints a set in hash order; this is the order docs/PROTOCOL.md §2.3 quotes. */
const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}";
const SCORING_PROTOCOL_CHANGE_INFO =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are" +
  " seeing this error, you are likely using an outdated scoring request format. To resolve the" +
  " error, either update your request format or adjust your MLflow Model's requirements file to" +
  " specify an older version of MLflow (for example, change the 'mlflow' requirement specifier" +
  " to 'mlflow==1.30.0'). If you are making a request using the MLflow client" +
  " (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in" +
  " order to use the new request format. For more information about the updated MLflow" +
  " Model scoring protocol in MLflow 2.0, see" +
  " https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";
const UNEXPECTED_ERROR =
  "Encountered an unexpected error while evaluating the model. Verify that the serialized input" +
  " Dataframe is compatible with the model for inference.";
const TEXT_COLUMNS = ["prompt", "input", "text", "question", "query"];
/** Echoed inputs are capped so a huge bad body does not come back whole. */
const MAX_ECHO = 1000;

function unsupported(message: string): HttpError {
  return new HttpError(415, message, {}, "text/plain; charset=utf-8");
}

function badRequest(message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(400, { error_code: "BAD_REQUEST", message, ...extra });
}

/** Python `repr()` of a string, as MLflow's f-strings print lists of keys. */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const body = value
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(new RegExp(quote, "g"), `\\${quote}`);
  return `${quote}${body}${quote}`;
}

function pyType(value: JsonValue): string {
  if (value === null) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return Array.isArray(value) ? "list" : "dict";
}

/** The MLflow content-type checks; returns the accepted MIME type. */
function checkContentType(header: string | undefined): "text/csv" | "application/json" {
  const { raw, mime, params } = parseContentType(header);
  const charset = (params.get("charset") ?? "utf-8").toLowerCase();
  if (charset !== "utf-8") throw unsupported("The scoring server only supports UTF-8");
  const unexpected = [...params.keys()].filter((k) => k !== "charset" && k !== "");
  if (unexpected.length > 0) {
    throw unsupported(
      `Unrecognized content type parameters: ${unexpected.join(", ")}. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    );
  }
  if (mime === "text/csv" || mime === "application/json") return mime;
  throw unsupported(
    `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${raw}'.`,
  );
}

function decodeJson(text: string): JsonObject {
  let decoded: JsonValue;
  try {
    decoded = JSON.parse(text) as JsonValue;
  } catch (error) {
    const echo = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text;
    throw badRequest(
      `Invalid input. Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError(${pyRepr((error as Error).message)})'\nInput: \n${echo}\n`,
    );
  }
  if (isJsonObject(decoded)) return decoded;
  if (Array.isArray(decoded))
    throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received a list.`);
  // MLflow's own message lacks the closing quote; kept as is.
  throw badRequest(
    `Invalid input. ${REQUIRED_INPUT_FORMAT}. Received unexpected input type '<class '${pyType(decoded)}'>.`,
  );
}

/** Minimal RFC 4180 CSV → rows of objects; numeric-looking cells become numbers (as pandas). */
function parseCsv(text: string): JsonObject[] {
  const records: string[][] = [];
  let field = "";
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      records.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    records.push(row);
  }
  const [header, ...data] = records.filter((r) => !(r.length === 1 && r[0] === ""));
  if (header === undefined) {
    throw badRequest(
      "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: 'No columns to parse from file'",
    );
  }
  return data.map((cells) => {
    const out: JsonObject = {};
    header.forEach((name, i) => {
      const cell = cells[i] ?? "";
      out[name] =
        cell === "" ? null : /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell) ? Number(cell) : cell;
    });
    return out;
  });
}

function formatError(format: string, detail: string): HttpError {
  // Not MLflow's text (pandas raises assorted errors here); the code and status match.
  return badRequest(`Failed to parse '${format}' input: ${detail}`);
}

/** Columnar `{col: [values]}` → rows; `{col: scalar}` → one row. */
function columnsToRows(columns: JsonObject): JsonObject[] {
  const values = Object.values(columns);
  if (values.length > 0 && values.every(Array.isArray)) {
    const length = Math.max(...values.map((v) => (v as JsonValue[]).length));
    return Array.from({ length }, (_, i) => {
      const row: JsonObject = {};
      for (const [key, list] of Object.entries(columns))
        row[key] = (list as JsonValue[])[i] ?? null;
      return row;
    });
  }
  return [columns];
}

function tensorRows(value: JsonValue, format: string): JsonObject[] {
  if (isJsonObject(value)) return columnsToRows(value);
  if (Array.isArray(value)) {
    return value.map((item) =>
      isJsonObject(item) ? item : { [TEXT_COLUMNS[0] ?? "prompt"]: item },
    );
  }
  if (typeof value === "string") return [{ prompt: value }];
  throw formatError(format, `expected a list or an object, got ${pyType(value)}.`);
}

function toRows(format: (typeof SUPPORTED_FORMATS)[number], value: JsonValue): JsonObject[] {
  switch (format) {
    case "dataframe_records":
      if (Array.isArray(value) && value.every(isJsonObject)) return value;
      if (isJsonObject(value)) return columnsToRows(value);
      throw formatError(format, "expected a list of records (objects).");
    case "dataframe_split": {
      if (!isJsonObject(value) || !Array.isArray(value["data"])) {
        throw formatError(format, "expected an object with 'columns' and 'data'.");
      }
      const data = value["data"];
      const columns = Array.isArray(value["columns"])
        ? value["columns"].map(String)
        : (Array.isArray(data[0]) ? data[0] : []).map((_, i) => String(i));
      return data.map((cells) => {
        if (!Array.isArray(cells) || cells.length !== columns.length) {
          throw formatError(
            format,
            `${columns.length} columns passed, passed data had a different number of columns.`,
          );
        }
        const row: JsonObject = {};
        columns.forEach((c, i) => (row[c] = cells[i] ?? null));
        return row;
      });
    }
    default:
      return tensorRows(value, format);
  }
}

function textOf(row: JsonObject): string | undefined {
  for (const column of TEXT_COLUMNS) {
    const value = row[column];
    if (typeof value === "string") return value;
  }
  for (const value of Object.values(row)) if (typeof value === "string") return value;
  return undefined;
}

function rowRequest(
  ctx: TaskContext,
  row: JsonObject,
  params: JsonObject,
  prompt: string,
): BackendRequest {
  const pick = (key: string): JsonValue | undefined => {
    const value = row[key];
    return value === undefined || value === null ? params[key] : value;
  };
  const stopRaw = pick("stop");
  const stop =
    typeof stopRaw === "string"
      ? [stopRaw]
      : Array.isArray(stopRaw)
        ? stopRaw.filter((s): s is string => typeof s === "string")
        : [];
  const request: BackendRequest = {
    kind: "completion",
    endpoint: ctx.entry.config.name,
    prompt,
    messages: [],
    input: [],
    n: 1,
    stop,
    tools: [],
    body: row,
  };
  const maxTokens = pick("max_tokens") ?? pick("max_new_tokens");
  if (typeof maxTokens === "number" && maxTokens >= 0) request.maxTokens = Math.floor(maxTokens);
  const temperature = pick("temperature");
  if (typeof temperature === "number") request.temperature = temperature;
  const seed = pick("seed");
  if (typeof seed === "number") request.seed = seed;
  return request;
}

async function predictRow(
  ctx: TaskContext,
  row: JsonObject,
  params: JsonObject,
): Promise<JsonValue> {
  const prompt = textOf(row);
  if (prompt === undefined) {
    throw badRequest(UNEXPECTED_ERROR, {
      stack_trace: `Traceback (most recent call last):\n  File "emulator/model.py", line 1, in predict\nKeyError: 'prompt'\n`,
    });
  }
  const request = rowRequest(ctx, row, params, prompt);
  if (ctx.entry.backend.generate === undefined) {
    const [vector] = await embed(ctx.entry.backend, {
      ...request,
      kind: "embedding",
      input: [prompt],
    });
    return vector ?? [];
  }
  const result = await generate(ctx.entry.backend, request);
  const text = result.choices[0]?.text ?? "";
  return ctx.entry.config.task === "llama2/chat" ? { candidates: [{ text }] } : text;
}

/** Answer an invocation of a custom MLflow model endpoint. */
export async function handleCustomModel(
  ctx: TaskContext,
  raw: Buffer,
  contentType: string | undefined,
): Promise<void> {
  const mime = checkContentType(contentType);
  let rows: JsonObject[];
  let params: JsonObject = {};
  if (mime === "text/csv") {
    rows = parseCsv(raw.toString("utf8"));
  } else {
    const body = decodeJson(raw.toString("utf8"));
    if ("messages" in body) return handleChat(ctx, body);
    if ("prompt" in body) return handleCompletions(ctx, body);
    if ("input" in body) return handleEmbeddings(ctx, body);
    const formats = Object.keys(body).filter((k) =>
      (SUPPORTED_FORMATS as readonly string[]).includes(k),
    ) as (typeof SUPPORTED_FORMATS)[number][];
    const format = formats[0];
    if (formats.length !== 1 || format === undefined) {
      throw badRequest(
        `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${formats.map(pyRepr).join(", ")}]. ${SCORING_PROTOCOL_CHANGE_INFO}`,
      );
    }
    rows = toRows(format, body[format] ?? null);
    const p = body["params"];
    if (isJsonObject(p)) params = p;
  }
  const predictions: JsonValue[] = [];
  for (const row of rows) predictions.push(await predictRow(ctx, row, params));
  respond(ctx, { predictions });
}
