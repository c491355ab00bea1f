import type { IncomingMessage, ServerResponse } from "node:http";
import { handleChatAgent } from "./chat_agent.js";
import type { EndpointEntry } from "./endpoints.js";
import { handleAnyChat } from "./family_chat.js";
import { apiError, readBody, tooLarge } from "./http_util.js";
import { requireJsonObject, serveEndpoint } from "./invocations.js";
import { handleCompletions, handleEmbeddings, type TaskContext } from "./llm_tasks.js";
import { handleResponses } from "./responses_api.js";
import type { EmulatorState } from "./state.js";
import type { JsonObject } from "./types.js";
import { endpointNotFound } from "./workspace_api.js";

const MAX_OPENAI_BODY = 16 * 1024 * 1024;

/** Which OpenAI-compatible route was called. */
export type OpenAIRoute = "chat" | "completions" | "embeddings" | "responses";

/** How the AI Gateway differs from `/serving-endpoints` on the same routes (see `ai_gateway.ts`). */
export interface GatewayRules {
  /** The endpoint a body `model` names (`system.ai.<name>` included), or undefined. */
  resolve(state: EmulatorState, model: string): EndpointEntry | undefined;
  /** Refuse what the gateway refuses before the endpoint sees the body. */
  check(route: OpenAIRoute, body: JsonObject): void;
}

function dispatch(
  route: OpenAIRoute,
  ctx: TaskContext,
  body: JsonObject,
  gateway: boolean,
): Promise<void> {
  switch (route) {
    case "chat":
      // ChatAgent endpoints answer here too (modern-serving.md §0, §4.1).
      return ctx.entry.config.task === "agent/v2/chat"
        ? handleChatAgent(ctx, body)
        : handleAnyChat(ctx, body);
    case "completions":
      return handleCompletions(ctx, body);
    case "embeddings":
      return handleEmbeddings(ctx, body);
    case "responses":
      return handleResponses(ctx, body, gateway ? "gateway" : "serving");
  }
}

/**
 * `POST /serving-endpoints/{chat/completions, completions, embeddings, responses}` and their AI
 * Gateway forms: the endpoint is named by the body's `model` (docs/PROTOCOL.md §4). Faults and
 * counters use that endpoint's name, and the endpoint's own body limit applies once it is known.
 */
export async function handleOpenAIRoute(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  route: OpenAIRoute,
  gateway?: GatewayRules,
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
  const entry = gateway === undefined ? state.endpoints.get(model) : gateway.resolve(state, model);
  if (entry === undefined) throw endpointNotFound(model);
  gateway?.check(route, body);
  await serveEndpoint(
    state,
    req,
    res,
    entry,
    () => {
      if (raw.length > entry.maxRequestBytes) throw tooLarge(entry.maxRequestBytes);
    },
    (ctx) => dispatch(route, ctx, body, gateway !== undefined),
  );
}
