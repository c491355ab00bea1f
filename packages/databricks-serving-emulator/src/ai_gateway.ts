import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth.js";
import type { EndpointEntry } from "./endpoints.js";
import { apiError, HttpError } from "./http_util.js";
import { isJsonObject } from "./json.js";
import { handleOpenAIRoute, type GatewayRules, type OpenAIRoute } from "./openai_routes.js";
import type { EmulatorState } from "./state.js";
import type { JsonObject } from "./types.js";

/**
 * The AI Gateway's MLflow routes (modern-serving.md §6, §9): `/ai-gateway/mlflow/v1/{chat/
 * completions, embeddings, responses}` serve the same endpoints as the `/serving-endpoints`
 * forms, also under their Unity Catalog names (`system.ai.<name>`), and refuse `store` and tool
 * `strict` by presence. Any other `/ai-gateway/...` path is `404 ENDPOINT_NOT_FOUND` "Invalid path".
 */

/** Paths under this prefix belong to the gateway. */
export const AI_GATEWAY_PREFIX = "/ai-gateway/";

const ROUTES: Readonly<Record<string, OpenAIRoute>> = {
  "/ai-gateway/mlflow/v1/chat/completions": "chat",
  "/ai-gateway/mlflow/v1/embeddings": "embeddings",
  "/ai-gateway/mlflow/v1/responses": "responses",
};

/**
 * An endpoint name, or a UC model service `system.ai.<name>`: the endpoint `<name>`, else
 * `databricks-<name>` (`system.ai.claude-sonnet-4-5` → `databricks-claude-sonnet-4-5`).
 */
export function resolveGatewayModel(
  state: EmulatorState,
  model: string,
): EndpointEntry | undefined {
  const direct = state.endpoints.get(model);
  if (direct !== undefined) return direct;
  const service = /^system\.ai\.(.+)$/.exec(model)?.[1];
  if (service === undefined) return undefined;
  return state.endpoints.get(service) ?? state.endpoints.get(`databricks-${service}`);
}

function extraInput(field: string): HttpError {
  // Q3's captured gateway body; the upstream validator calls every function tool `custom`.
  return apiError(400, `${field}: Extra inputs are not permitted`, "BAD_REQUEST");
}

/** `store` and `tools[].function.strict` (or a flat Responses tool's `strict`), by presence. */
function checkGatewayBody(_route: OpenAIRoute, body: JsonObject): void {
  if ("store" in body) throw extraInput("store");
  const tools = Array.isArray(body["tools"]) ? body["tools"] : [];
  for (const [i, tool] of tools.entries()) {
    if (!isJsonObject(tool)) continue;
    const fn = isJsonObject(tool["function"]) ? tool["function"] : tool;
    if ("strict" in fn) throw extraInput(`tools.${i}.custom.strict`);
  }
}

const GATEWAY_RULES: GatewayRules = { resolve: resolveGatewayModel, check: checkGatewayBody };

/**
 * Gateway authentication: the workspace credentials, but a refused one is answered
 * `400 Invalid Token` in plain text, as the gateway does (unity-gateway; docs/PROTOCOL.md §9.23).
 */
function authenticateGateway(state: EmulatorState, req: IncomingMessage): void {
  try {
    authenticate(req, state.pats, state.tokens, state.revoked);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    throw new HttpError(400, "Invalid Token", {}, "text/plain; charset=utf-8");
  }
}

/** Serve one `/ai-gateway/...` request. */
export async function handleGateway(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): Promise<void> {
  authenticateGateway(state, req);
  const route = ROUTES[path];
  if (route === undefined) throw apiError(404, "Invalid path", "ENDPOINT_NOT_FOUND");
  // A JSON answer to GET lets ai-bridge-style probes detect the gateway (§6.1).
  if (method !== "POST")
    throw apiError(405, `Method ${method} is not allowed for ${path}. Use POST.`, "BAD_REQUEST");
  await handleOpenAIRoute(state, req, res, route, GATEWAY_RULES);
}
