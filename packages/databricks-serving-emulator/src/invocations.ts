import type { IncomingMessage, ServerResponse } from "node:http";
import type { EndpointEntry } from "./endpoints.js";
import { underFaults } from "./faults.js";
import { apiError, HttpError, parseContentType, readBody } from "./http_util.js";
import { handleChatAgent } from "./chat_agent.js";
import { handleChat, handleCompletions, handleEmbeddings, type TaskContext } from "./llm_tasks.js";
import { handleResponsesAgent, isResponsesAgent } from "./responses_api.js";
import { handleAnyChat } from "./family_chat.js";
import { handleCustomModel } from "./mlflow_scoring.js";
import type { EmulatorState } from "./state.js";
import type { JsonObject, JsonValue } from "./types.js";
import { endpointNotFound } from "./workspace_api.js";

/**
 * Non-MLflow endpoints (foundation/external models, agents) accept JSON only. The real status and
 * text are undocumented; 415 `UNSUPPORTED_MEDIA_TYPE` is the emulator's choice.
 */
export function requireJsonObject(req: IncomingMessage, raw: Buffer): JsonObject {
  const { raw: header, mime } = parseContentType(req.headers["content-type"]);
  if (mime !== "application/json") {
    throw apiError(
      415,
      `Unsupported Content-Type '${header}'. This endpoint only accepts 'application/json'.`,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  }
  let body: JsonValue;
  try {
    body = JSON.parse(raw.toString("utf8")) as JsonValue;
  } catch (error) {
    throw apiError(
      400,
      `Malformed JSON in request body: ${(error as Error).message}`,
      "BAD_REQUEST",
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw apiError(400, "Bad request: the request body must be a JSON object.", "BAD_REQUEST");
  }
  return body;
}

/** 503 for endpoints that are not READY (status and text are the emulator's choice). */
function assertReady(entry: EndpointEntry): void {
  if ((entry.config.state ?? "READY") !== "READY") {
    throw apiError(
      503,
      `Endpoint '${entry.config.name}' is not ready yet (state NOT_READY). Please retry later.`,
      "TEMPORARILY_UNAVAILABLE",
    );
  }
}

/**
 * `x-mlflow-return-trace-id: true` (MLflow `agent_server/server.py` `RETURN_TRACE_HEADER`, which
 * compares the lower-cased value with `"true"`).
 */
function wantsTraceId(req: IncomingMessage): boolean {
  const value = req.headers["x-mlflow-return-trace-id"];
  return typeof value === "string" && value.toLowerCase() === "true";
}

/**
 * Serve one call of an endpoint, the same for `/invocations` and the OpenAI-compatible routes:
 * counted in the endpoint's stats; errors carry `served-model-name` like answers; 503 when not
 * ready; then `read()` (the body and its limit), the endpoint's faults, and `handle`.
 */
export async function serveEndpoint<T>(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  entry: EndpointEntry,
  read: () => Promise<T> | T,
  handle: (ctx: TaskContext, input: T) => Promise<void>,
): Promise<void> {
  const name = entry.config.name;
  const prepare = (): Promise<T> | T => {
    assertReady(entry);
    return read();
  };
  try {
    await underFaults(state, name, req, prepare, (faults, input) => {
      const headers = { "served-model-name": entry.servedModelName };
      const returnTraceId = wantsTraceId(req);
      return handle(
        { entry, res, faults, headers, strict: entry.openAIStyle, returnTraceId },
        input,
      );
    });
  } catch (error) {
    if (error instanceof HttpError) {
      throw new HttpError(
        error.status,
        error.body,
        { ...error.headers, "served-model-name": entry.servedModelName },
        error.contentType,
      );
    }
    throw error;
  }
}

function dispatchOpenAIStyle(ctx: TaskContext, body: JsonObject): Promise<void> {
  switch (ctx.entry.config.task) {
    case "llm/v1/chat":
      return handleAnyChat(ctx, body);
    case "llm/v1/completions":
      return handleCompletions(ctx, body);
    case "llm/v1/embeddings":
      return handleEmbeddings(ctx, body);
    default:
      if ("messages" in body) return handleAnyChat(ctx, body);
      if ("prompt" in body) return handleCompletions(ctx, body);
      if ("input" in body) return handleEmbeddings(ctx, body);
      throw apiError(400, "Bad request: expected one of messages, prompt or input.", "BAD_REQUEST");
  }
}

/**
 * `POST /serving-endpoints/{name}/invocations` (and the sdk-js alias under `/api`). Order: endpoint
 * lookup (404), readiness (503), bounded body read (413), faults, then content-type and body rules
 * of the endpoint kind.
 */
export async function handleInvocation(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
): Promise<void> {
  const entry = state.endpoints.get(name);
  if (entry === undefined) throw endpointNotFound(name);
  await serveEndpoint(
    state,
    req,
    res,
    entry,
    () => readBody(req, entry.maxRequestBytes),
    (ctx, raw) => {
      const task = entry.config.task ?? "";
      if (entry.openAIStyle) return dispatchOpenAIStyle(ctx, requireJsonObject(req, raw));
      if (task === "agent/v2/chat") return handleChatAgent(ctx, requireJsonObject(req, raw));
      if (task === "agent/v1/chat") return handleChat(ctx, requireJsonObject(req, raw));
      if (isResponsesAgent(entry.config))
        return handleResponsesAgent(ctx, requireJsonObject(req, raw));
      return handleCustomModel(ctx, raw, req.headers["content-type"]);
    },
  );
}
