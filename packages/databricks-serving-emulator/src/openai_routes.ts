import type { IncomingMessage, ServerResponse } from "node:http";
import { apiError, readBody, tooLarge } from "./http_util.js";
import { requireJsonObject, serveEndpoint } from "./invocations.js";
import { handleAnyChat } from "./family_chat.js";
import { handleCompletions, handleEmbeddings } from "./llm_tasks.js";
import type { EmulatorState } from "./state.js";
import { endpointNotFound } from "./workspace_api.js";

const MAX_OPENAI_BODY = 16 * 1024 * 1024;

/** Which OpenAI-compatible route was called. */
export type OpenAIRoute = "chat" | "completions" | "embeddings";

/**
 * `POST /serving-endpoints/{chat/completions, completions, embeddings}`: the endpoint is named by
 * the body's `model` (docs/PROTOCOL.md §4). Faults and counters use that endpoint's name, and
 * the endpoint's own body limit applies once it is known.
 */
export async function handleOpenAIRoute(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  route: OpenAIRoute,
): Promise<void> {
  const raw = await readBody(req, MAX_OPENAI_BODY);
  const body = requireJsonObject(req, raw);
  const model = body["model"];
  if (typeof model !== "string" || model === "") {
    throw apiError(
      400,
      "model is required: set it to the serving endpoint name.",
      "INVALID_PARAMETER_VALUE",
    );
  }
  const entry = state.endpoints.get(model);
  if (entry === undefined) throw endpointNotFound(model);
  await serveEndpoint(
    state,
    req,
    res,
    entry,
    () => {
      if (raw.length > entry.maxRequestBytes) throw tooLarge(entry.maxRequestBytes);
    },
    (ctx) => {
      if (route === "chat") return handleAnyChat(ctx, body);
      if (route === "completions") return handleCompletions(ctx, body);
      return handleEmbeddings(ctx, body);
    },
  );
}
