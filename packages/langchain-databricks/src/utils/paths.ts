/** Paths the classes call (docs/PROTOCOL.md §2.1, §2.2, §5.1, §10); names are URL-encoded. */

/** `POST` here to query a serving endpoint (no `/api/2.0` prefix). */
export function invocationsPath(endpointName: string): string {
  return `/serving-endpoints/${encodeURIComponent(endpointName)}/invocations`;
}

/** `GET` here for a serving endpoint's metadata (`task`, `endpoint_type`). */
export function endpointMetadataPath(endpointName: string): string {
  return `/api/2.0/serving-endpoints/${encodeURIComponent(endpointName)}`;
}

/** `POST` here to reach an app on a cluster driver; org `0` is the workspace named by the host. */
export function driverProxyPath(clusterId: string, port: string): string {
  return `/driver-proxy-api/o/0/${encodeURIComponent(clusterId)}/${port}`;
}

/** The wire API a request speaks. */
export type ServingApi = "chat" | "responses" | "embeddings";

/** Where a request goes, and whether the endpoint name travels in the body as `model`. */
export interface ServingRoute {
  path: string;
  /** The body's `model` (the endpoint name), or undefined when the path names the endpoint. */
  model: string | undefined;
}

/** The AI Gateway's MLflow-compatible routes (modern-serving §6.1). */
const AI_GATEWAY_PREFIX = "/ai-gateway/mlflow/v1";

/**
 * The one place a model class's route is chosen (modern-serving §0, §3.1, §6.1):
 *
 * | API | default | `useAiGateway` |
 * |---|---|---|
 * | chat | `/serving-endpoints/{endpoint}/invocations` | `/ai-gateway/mlflow/v1/chat/completions` + `model` |
 * | responses | `/serving-endpoints/responses` + `model` | `/ai-gateway/mlflow/v1/responses` + `model` |
 * | embeddings | `/serving-endpoints/{endpoint}/invocations` | `/ai-gateway/mlflow/v1/embeddings` + `model` |
 */
export function servingRoute(
  api: ServingApi,
  endpoint: string,
  useAiGateway: boolean,
): ServingRoute {
  if (useAiGateway) {
    const tail = api === "chat" ? "chat/completions" : api;
    return { path: `${AI_GATEWAY_PREFIX}/${tail}`, model: endpoint };
  }
  if (api === "responses") return { path: "/serving-endpoints/responses", model: endpoint };
  return { path: invocationsPath(endpoint), model: undefined };
}

/** Whether a request path (or `METHOD path` description) is one of the AI Gateway's. */
export function isAiGatewayPath(path: string): boolean {
  return path.includes("/ai-gateway/");
}
