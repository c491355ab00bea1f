/**
 * Validation of the driver-proxy app request body: the LangChain convention
 * `{"prompt": string, "stop"?: string[], ...kwargs}` (docs/PROTOCOL.md §5.2), or several such
 * requests as the rows of an MLflow scoring body `{"dataframe_records": [...]}` (§9.40).
 */

/** A request the app refuses; `status` is the HTTP status to answer with. */
export class DriverProxyRequestError extends Error {
  override name = "DriverProxyRequestError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A validated request body. */
export interface DriverProxyRequest {
  prompt: string;
  /** Absent when the body had no `stop` (or `"stop": null`). */
  stop?: string[];
  /** Every other top-level field, passed to the model as keyword arguments. */
  kwargs: Record<string, unknown>;
}

/** A validated body: one request, or the rows of a `dataframe_records` body. */
export type DriverProxyBody =
  | { kind: "prompt"; request: DriverProxyRequest }
  | { kind: "dataframe_records"; rows: DriverProxyRequest[] };

/**
 * Parse and validate a raw JSON body that is one request or `{"dataframe_records": [request, ...]}`
 * (what a `Databricks` client with `driverAppFormat: "dataframe_records"` sends). Throws
 * {@link DriverProxyRequestError} (400) naming the offending row and field.
 */
export function parseDriverProxyBody(body: string): DriverProxyBody {
  const value = parseJson(body);
  const records =
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)["dataframe_records"]
      : undefined;
  if (records === undefined) return { kind: "prompt", request: validateDriverProxyRequest(value) };
  if (!Array.isArray(records) || records.length === 0) {
    throw new DriverProxyRequestError(
      400,
      `"dataframe_records" must be a non-empty array of requests, got ${Array.isArray(records) ? "an empty array" : describe(records)}`,
    );
  }
  const rows = records.map((row, i) => {
    try {
      return validateDriverProxyRequest(row);
    } catch (error) {
      if (!(error instanceof DriverProxyRequestError)) throw error;
      throw new DriverProxyRequestError(400, `dataframe_records[${i}]: ${error.message}`);
    }
  });
  return { kind: "dataframe_records", rows };
}

/**
 * Parse and validate a raw JSON body. Throws {@link DriverProxyRequestError} (400) with a message
 * that names the offending field, so a caller behind the proxy can fix the request.
 */
export function parseDriverProxyRequest(body: string): DriverProxyRequest {
  return validateDriverProxyRequest(parseJson(body));
}

function parseJson(body: string): unknown {
  if (body.trim() === "") {
    throw new DriverProxyRequestError(
      400,
      'request body is empty: expected a JSON object with a string "prompt"',
    );
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DriverProxyRequestError(400, `request body is not valid JSON: ${detail}`);
  }
}

/** Validate an already-parsed body (see {@link parseDriverProxyRequest}). */
export function validateDriverProxyRequest(value: unknown): DriverProxyRequest {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DriverProxyRequestError(
      400,
      `request body must be a JSON object with a string "prompt", got ${describe(value)}`,
    );
  }
  const { prompt, stop, ...kwargs } = value as Record<string, unknown>;
  if (prompt === undefined) {
    throw new DriverProxyRequestError(400, 'missing required field "prompt" (a string)');
  }
  if (typeof prompt !== "string") {
    throw new DriverProxyRequestError(400, `"prompt" must be a string, got ${describe(prompt)}`);
  }
  // `"stop": null` is what a Python client sends for `stop=None`; treat it as absent.
  if (stop === undefined || stop === null) return { prompt, kwargs };
  if (!Array.isArray(stop)) {
    throw new DriverProxyRequestError(
      400,
      `"stop" must be an array of strings, got ${describe(stop)}`,
    );
  }
  const bad = stop.findIndex((s) => typeof s !== "string");
  if (bad !== -1) {
    throw new DriverProxyRequestError(
      400,
      `"stop" must be an array of strings, but stop[${bad}] is ${describe(stop[bad])}`,
    );
  }
  return { prompt, stop: stop as string[], kwargs };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
