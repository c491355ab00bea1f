import type { IncomingMessage, ServerResponse } from "node:http";
import { errorCodeForStatus } from "./errors.js";

/**
 * Response helpers shared by every route: the Databricks JSON error shape, the common headers
 * (`Server: databricks`, `X-Databricks-Reason-Phrase` on errors), and bounded body reading.
 */

/**
 * The `error_code` name the emulator sends for a status that has no more specific code: the
 * Databricks names ({@link errorCodeForStatus}). The one
 * emulator-specific rule comes first: a non-error status, which only arrives here through an
 * injected fault (`failNext.status`), gets `BAD_REQUEST` rather than the shared `UNKNOWN`.
 */
export function errorCodeFor(status: number): string {
  return status < 400 ? "BAD_REQUEST" : errorCodeForStatus(status);
}

/**
 * Thrown by route handlers to answer with an error. `body` is sent verbatim when it is a string
 * (with `contentType`), else as JSON.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | string,
    readonly headers: Record<string, string> = {},
    readonly contentType = "application/json; charset=utf-8",
  ) {
    super(typeof body === "string" ? body : String(body["message"] ?? status));
  }
}

/** A Databricks-style `{"error_code", "message"}` error. */
export function apiError(
  status: number,
  message: string,
  errorCode: string = errorCodeFor(status),
  headers: Record<string, string> = {},
): HttpError {
  return new HttpError(status, { error_code: errorCode, message }, headers);
}

/** A header-safe reason phrase: printable ASCII, one line, bounded length. */
function reasonPhrase(message: string): string {
  const clean = message.replace(/[^\x20-\x7e]+/g, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}

/** Headers sent on every answer. */
export function baseHeaders(): Record<string, string> {
  return { Server: "databricks" };
}

/** Send a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(),
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Send a raw body with an explicit content type. */
export function sendRaw(
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...baseHeaders(),
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** The faults that act on a whole (non-stream) answer's body; see `ResponseFaults`. */
export interface BodyFaults {
  malformedJson: boolean;
  cutBodyAfterBytes?: number | undefined;
}

/**
 * Send a whole answer, as the body faults make it: under `cutBodyAfterBytes`, the status and
 * headers with the `Content-Length` of the whole body, then its first `min(bytes, length - 1)`
 * bytes, then a reset connection (a TCP RST where the runtime can send one), as a proxy dying
 * mid-answer does: at least one byte is always withheld, so a body of one byte or more is always
 * cut mid-body, and an empty one arrives whole (`Content-Length: 0`) before the reset. Under
 * `malformedJson`, a complete answer holding the first half of the body (truncated JSON).
 * Otherwise the body as is. Endpoint answers and driver-app answers both go through here.
 *
 * Any `Content-Length` among `headers` (a driver app's, in whatever case it was sent) is dropped,
 * so exactly one is sent: two would make the answer invalid HTTP rather than faulty.
 */
export function sendWithBodyFaults(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | string[] | number>,
  faults: BodyFaults,
): void {
  const whole = typeof body === "string" ? Buffer.from(body) : body;
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-length"),
  );
  const cut = faults.cutBodyAfterBytes;
  if (cut !== undefined) {
    res.writeHead(status, { ...kept, "Content-Length": whole.length });
    res.flushHeaders();
    const sent = whole.subarray(0, Math.max(0, Math.min(cut, whole.length - 1)));
    res.write(sent, () => {
      const socket = res.socket;
      if (socket === null) res.destroy();
      else socket.resetAndDestroy();
    });
    return;
  }
  const sent = faults.malformedJson
    ? whole.subarray(0, Math.max(1, Math.floor(whole.length / 2)))
    : whole;
  res.writeHead(status, { ...kept, "Content-Length": sent.length });
  res.end(sent);
}

/** Send an {@link HttpError}, adding `X-Databricks-Reason-Phrase` for error statuses. */
export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = error.body;
  const message =
    typeof body === "string"
      ? body
      : String(body["message"] ?? body["error_description"] ?? body["error"] ?? error.status);
  const headers: Record<string, string> = { ...error.headers };
  if (error.status >= 400 && headers["X-Databricks-Reason-Phrase"] === undefined) {
    headers["X-Databricks-Reason-Phrase"] = reasonPhrase(message);
  }
  if (typeof error.body === "string") {
    sendRaw(res, error.status, error.body, error.contentType, headers);
  } else {
    sendJson(res, error.status, error.body, headers);
  }
}

/**
 * Read a request body of at most `limit` bytes. A larger body is refused (413) as soon as that is
 * known: at once when `Content-Length` declares it, else when the bytes received cross the limit.
 * The rest is never buffered: the 413 closes the connection (see {@link tooLarge}), so a client
 * can make the emulator neither buffer nor wait for more than `limit` bytes.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new Error("request aborted"));
    });
  });
}

/** How long a connection refused before its body was read keeps being read before it closes. */
export const LINGER_MS = 1_000;
/** How many bytes such a connection may still send, discarded, before it is closed anyway. */
export const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Lingering sockets ({@link closeLingering}), with the `bytesRead` past which the socket is closed
 * (`Infinity` until the answer is out). Requests the client pipelined behind the refused body still
 * get parsed while the socket lingers: {@link ignoreIfLingering} keeps them from being served.
 * The same code is in packages/langchain-databricks/src/driver_proxy/server.ts (the packages share
 * no source): keep both in step.
 */
const lingering = new WeakMap<IncomingMessage["socket"], number>();

/** Read and discard `req`'s body; past the lingering socket's byte budget, close the socket. */
function discardLingering(req: IncomingMessage): void {
  const socket = req.socket;
  const overBudget = (): boolean => socket.bytesRead > (lingering.get(socket) ?? Infinity);
  if (overBudget()) {
    socket.destroy();
    return;
  }
  req.on("data", () => {
    if (overBudget()) socket.destroy();
  });
  req.resume();
}

/**
 * Close the connection of `req` lingering, as HTTP servers do after refusing a body they did not
 * read (an early 413): when the answer (which must carry `Connection: close`) is written, end our
 * side, then read and discard what the client still sends, for at most {@link LINGER_MS} or
 * {@link LINGER_BYTES}, and only then destroy the socket. Destroying it at once makes the kernel
 * answer the client's next body bytes with a reset, which can throw away the 413 before the client
 * has read it (on a real network it usually does). Nothing is buffered. Call before sending.
 *
 * The bytes are read through the request (node:http's parser consumes the socket's handle itself,
 * so a `data` listener on the socket never fires): the rest of the refused body arrives as the
 * request's data, and a request pipelined after it reaches the request listener, which must drop
 * it with {@link ignoreIfLingering}.
 */
export function closeLingering(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  lingering.set(socket, Infinity);
  // Node ends a `Connection: close` answer with `destroySoon()`: replace it for this socket only.
  socket.destroySoon = () => {
    socket.end();
    lingering.set(socket, socket.bytesRead + LINGER_BYTES);
    // Restart the handle's reads in case node:http stopped them (it does when a request body is
    // not consumed, or answers back up); a no-op when it reads already.
    socket.pause();
    socket.resume();
  };
  // Started when the answer is out, whether or not Node calls destroySoon (it always should).
  res.on("finish", () => {
    const deadline = setTimeout(() => socket.destroy(), LINGER_MS);
    deadline.unref();
    socket.once("close", () => clearTimeout(deadline));
  });
  discardLingering(req);
}

/**
 * Whether `req` came on a connection closing lingering ({@link closeLingering}): a request the
 * client pipelined behind a refused body. It is then drained, never routed nor answered: call first
 * thing in the request listener and return when true.
 */
export function ignoreIfLingering(req: IncomingMessage): boolean {
  if (!lingering.has(req.socket)) return false;
  discardLingering(req);
  return true;
}

/**
 * 413 for a body over an endpoint's limit (status and code are the emulator's choice). It closes
 * the connection, lingering ({@link closeLingering}): the rest of the body is discarded, never
 * buffered, and the connection cannot carry another request.
 */
export function tooLarge(limit: number): HttpError {
  return apiError(
    413,
    `Request payload size exceeds the limit of ${limit} bytes for this endpoint.`,
    "REQUEST_ENTITY_TOO_LARGE",
    { Connection: "close" },
  );
}

/** Parsed `Content-Type`: lower-cased MIME type and parameters (as MLflow splits them). */
export function parseContentType(header: string | undefined): {
  raw: string;
  mime: string;
  params: Map<string, string>;
} {
  const raw = header ?? "";
  const parts = raw.split(";").map((p) => p.trim());
  const params = new Map<string, string>();
  for (const pair of parts.slice(1)) {
    const at = pair.indexOf("=");
    const key = at === -1 ? pair : pair.slice(0, at);
    params.set(key, at === -1 ? "" : pair.slice(at + 1));
  }
  return { raw, mime: (parts[0] ?? "").toLowerCase(), params };
}

/** Drop the query string, so logs never carry `?token=`-style secrets. */
export function pathOnly(url: string | undefined): string {
  const value = url ?? "/";
  const q = value.indexOf("?");
  return q === -1 ? value : value.slice(0, q);
}

/**
 * A percent-decoded path segment, or the segment as sent when its escapes are invalid (`%zz`):
 * such a name then matches nothing and gets the route's "not found" answer instead of a crash.
 */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
