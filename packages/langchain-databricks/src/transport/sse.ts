/**
 * Server-sent events → parsed JSON payloads, for Model Serving streams (`"stream": true`).
 *
 * Databricks streams `data: <json>` frames separated by blank lines and ends with `data: [DONE]`
 * (docs/PROTOCOL.md §3.1). The decoder follows the WHATWG SSE parsing rules that matter here:
 * `\n`, `\r\n` and a lone `\r` all end a line, even when a chunk boundary falls between `\r` and
 * `\n`; lines starting with `:` are comments; several `data:` lines in one event are joined with
 * `\n`; one space after the colon is dropped; other fields are ignored. It works line by line with
 * `indexOf`, so it never buffers the whole stream and never runs a regular expression per byte.
 */
import {
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksError,
  DatabricksResponseError,
} from "../errors.js";
import { isAbortLike } from "../utils/abort.js";
import { statusForErrorCode } from "./error_body.js";

const LF = 10;
const CR = 13;
const DONE = "[DONE]";

/**
 * How a kind of stream departs from the Databricks default (`data:` frames ended by `[DONE]`,
 * `event: error` meaning an error).
 */
export interface SseRules {
  /**
   * Whether a body that ends without `data: [DONE]` is complete after this last event (OpenAI-style
   * Responses streams end after `response.completed` with no `[DONE]`). Unset: it never is.
   */
  completeAtEof?: ((lastEvent: unknown) => boolean) | undefined;
  /**
   * Payloads name their own kind in a JSON `type` (Responses streams): `event:` lines are ignored,
   * so an `event: error` frame reaches the caller, which reads its `type`, whatever the framing.
   */
  ignoreEventNames?: boolean | undefined;
}

/** Options for {@link sseEvents}. */
export interface SseEventsOptions extends SseRules {
  /** Method and path, used in error messages (`POST /serving-endpoints/x/invocations`). */
  request?: string | undefined;
  /** Response headers, copied onto an in-stream {@link DatabricksAPIError}. */
  headers?: Record<string, string> | undefined;
}

/**
 * Decode an SSE byte stream into parsed JSON `data:` payloads.
 *
 * Returns (without yielding it) at `data: [DONE]`. Throws:
 * - {@link DatabricksAPIError} for an error object sent mid-stream, in the Databricks shape
 *   (`{"error_code", "message"}`) or the OpenAI shape (`{"error": {...}}`), or an `event: error`
 *   frame; its status is the one the payload names, else 500;
 * - {@link DatabricksAPIError} too for a body that is not an event stream but a whole JSON error
 *   in either shape (an error answered with a 2xx status instead of a stream), as if it had come
 *   mid-stream;
 * - {@link DatabricksResponseError} for a `data:` payload that is not JSON, or a body that is not
 *   an event stream at all (any other JSON, a page answered instead);
 * - {@link DatabricksConnectionError} when the body ends (or fails) before `[DONE]`.
 *
 * Aborts raised by the body (`AbortError`) propagate unchanged so the caller can map them.
 */
export async function* sseEvents(
  body: AsyncIterable<Uint8Array>,
  options: SseEventsOptions = {},
): AsyncGenerator<unknown> {
  const decoder = new TextDecoder("utf-8");
  const where = options.request ? ` on ${options.request}` : "";
  // A line that has started but not ended yet (its pieces come from several chunks).
  let partial = "";
  // The previous chunk ended with `\r`; a leading `\n` in the next one belongs to the same break.
  let skipLeadingLF = false;
  let data = "";
  let hasData = false;
  let eventName = "";
  let received = 0;
  let last: unknown;
  // The first line that no event stream has (a JSON or HTML body sent instead of SSE).
  let notEventStream: string | undefined;
  // The body's text until the first event, up to MAX_FOREIGN_BODY_CHARS (then undefined): a body
  // that turns out not to be an event stream may be a whole JSON error, which is parsed at the end.
  let bodyBeforeFirstEvent: string | undefined = "";
  const keepBeforeFirstEvent = (text: string): void => {
    if (received > 0 || bodyBeforeFirstEvent === undefined) return;
    const kept = bodyBeforeFirstEvent + text;
    bodyBeforeFirstEvent = kept.length <= MAX_FOREIGN_BODY_CHARS ? kept : undefined;
  };

  // The parsed payload, or DONE_MARKER at `[DONE]`; throws for in-stream errors.
  const dispatch = (): unknown => {
    const payload = data;
    const name = eventName;
    data = "";
    hasData = false;
    eventName = "";
    if (payload === DONE) return DONE_MARKER;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (error) {
      throw new DatabricksResponseError(
        `Malformed server-sent event${where} after ${received} event(s): expected JSON data, got ${preview(payload)}`,
        { cause: error },
      );
    }
    if ((name === "error" && options.ignoreEventNames !== true) || isErrorPayload(parsed)) {
      const label = options.request !== undefined ? `${options.request} (in stream)` : undefined;
      throw apiErrorFrom(parsed, payload, options.headers ?? {}, label);
    }
    received += 1;
    last = parsed;
    return parsed;
  };

  // Handle one complete line. Returns an event payload, DONE_MARKER, or undefined.
  const onLine = (line: string): unknown => {
    if (line.length === 0) {
      if (hasData) return dispatch();
      eventName = "";
      return undefined;
    }
    const first = line.charCodeAt(0);
    if (first === 58 /* ":" */) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    if (field === "data") {
      data = hasData ? `${data}\n${value}` : value;
      hasData = true;
    } else if (field === "event") {
      eventName = value;
    } else if (notEventStream === undefined && !isSseField(field, colon !== -1)) {
      notEventStream = line;
    }
    // `id:` and `retry:` are meaningless for a one-shot POST stream; unknown fields are ignored.
    return undefined;
  };

  try {
    for await (const bytes of body) {
      const text = decoder.decode(bytes, { stream: true });
      keepBeforeFirstEvent(text);
      let pos = 0;
      if (skipLeadingLF && text.length > 0) {
        if (text.charCodeAt(0) === LF) pos = 1;
        skipLeadingLF = false;
      }
      // Next `\n` / `\r` at or after `pos`, cached so a CR-free chunk is scanned once, not per line.
      let nextLF = text.indexOf("\n", pos);
      let nextCR = text.indexOf("\r", pos);
      while (nextLF !== -1 || nextCR !== -1) {
        const end = nextCR === -1 || (nextLF !== -1 && nextLF < nextCR) ? nextLF : nextCR;
        const piece = text.slice(pos, end);
        const line = partial === "" ? piece : partial + piece;
        partial = "";
        pos = end + 1;
        if (text.charCodeAt(end) === CR) {
          if (pos === text.length) skipLeadingLF = true;
          else if (text.charCodeAt(pos) === LF) pos += 1;
        }
        if (nextLF !== -1 && nextLF < pos) nextLF = text.indexOf("\n", pos);
        if (nextCR !== -1 && nextCR < pos) nextCR = text.indexOf("\r", pos);
        const event = onLine(line);
        if (event === DONE_MARKER) return;
        if (event !== undefined) yield event;
      }
      if (pos < text.length) partial += text.slice(pos);
    }
  } catch (error) {
    if (error instanceof DatabricksError || isAbortLike(error)) throw error;
    throw new DatabricksConnectionError(
      `Stream interrupted${where} after ${received} event(s) before [DONE]: ${errorMessage(error)}`,
      { cause: error },
    );
  }

  // End of body. A server may omit the blank line after the final `data: [DONE]`; accept that, but
  // never yield an unterminated JSON event: a body cut mid-event is a broken stream.
  const flushed = decoder.decode();
  keepBeforeFirstEvent(flushed);
  const tail = partial + flushed;
  if (tail !== "") onLine(tail);
  if (hasData && data === DONE) return;
  if (!hasData && received > 0 && options.completeAtEof?.(last) === true) return;
  // A whole answer that was never an event stream (a JSON object, a text or HTML page with a 2xx
  // status) is a wrong answer, not a lost connection: the body arrived, in the wrong shape.
  if (received === 0 && notEventStream !== undefined) {
    // An error answered whole, with a 2xx status, instead of a stream: the typed error it names,
    // as the same payload would give mid-stream, not a quote of its first line.
    const answered =
      bodyBeforeFirstEvent === undefined ? undefined : errorPayloadIn(bodyBeforeFirstEvent);
    if (answered !== undefined) {
      const label =
        options.request !== undefined ? `${options.request} (instead of a stream)` : undefined;
      throw apiErrorFrom(answered.parsed, answered.raw, options.headers ?? {}, label);
    }
    throw new DatabricksResponseError(
      `Expected server-sent events${where}, got a body that is not an event stream: ${preview(notEventStream)}`,
    );
  }
  throw new DatabricksConnectionError(
    `Stream ended${where} before [DONE] after ${received} event(s)${hasData ? " (last event incomplete)" : ""}`,
  );
}

const DONE_MARKER: unique symbol = Symbol("sse-done");

/**
 * The most of a non-stream body kept to read it as a JSON error: error answers are short, and the
 * message is cut to 2000 characters anyway. A longer foreign body is quoted by its first line.
 */
const MAX_FOREIGN_BODY_CHARS = 64 * 1024;

const SSE_FIELDS = ["data", "event", "id", "retry"];

/**
 * Whether a line's field can be part of an event stream: a known field, or, for a line without a
 * colon, the start of one (the last line of a stream cut mid-word, `dat`). Unknown fields are
 * legal SSE but no Databricks stream sends them, so a line with one is taken as foreign.
 */
function isSseField(field: string, hasColon: boolean): boolean {
  return hasColon ? SSE_FIELDS.includes(field) : SSE_FIELDS.some((name) => name.startsWith(field));
}

/** An error object in either shape Databricks streams can carry. */
function isErrorPayload(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const obj = value as Record<string, unknown>;
  if (obj["error_code"] !== undefined && obj["error_code"] !== null) return true;
  const error = obj["error"];
  return (typeof error === "string" && error !== "") || (!!error && typeof error === "object");
}

/** A whole body that is one JSON error object in either shape: it, parsed, and its raw text. */
function errorPayloadIn(body: string): { parsed: unknown; raw: string } | undefined {
  const raw = body.trim();
  if (!raw.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isErrorPayload(parsed) ? { parsed, raw } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The typed error for an error payload, read by the one error-body parser (`fromResponse`), with
 * the status the payload names (see {@link statusOf}); `request` labels where it came from.
 */
function apiErrorFrom(
  parsed: unknown,
  raw: string,
  headers: Record<string, string>,
  request: string | undefined,
): DatabricksAPIError {
  return DatabricksAPIError.fromResponse({
    status: statusOf(parsed),
    headers,
    body: raw,
    ...(request !== undefined ? { request } : {}),
  });
}

/**
 * The HTTP status an in-stream error names (`status`, `status_code`, integer codes), else the one
 * an OpenAI-style `error.code` names (`rate_limit_exceeded` → 429, shared with the Responses
 * assembler's `error` events), else 500.
 */
function statusOf(parsed: unknown): number {
  if (!parsed || typeof parsed !== "object") return 500;
  const obj = parsed as Record<string, unknown>;
  const inner =
    obj["error"] && typeof obj["error"] === "object"
      ? (obj["error"] as Record<string, unknown>)
      : {};
  for (const candidate of [
    obj["status"],
    obj["status_code"],
    obj["error_code"],
    inner["status"],
    inner["status_code"],
    inner["code"],
  ]) {
    const n =
      typeof candidate === "string" && /^\d{3}$/.test(candidate) ? Number(candidate) : candidate;
    if (typeof n === "number" && Number.isInteger(n) && n >= 400 && n <= 599) return n;
  }
  return statusForErrorCode(inner["code"]) ?? 500;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
