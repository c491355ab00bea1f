import { EmulatorConfigError } from "./errors.js";
import { createHash } from "node:crypto";
import { createBackend } from "./backends/create.js";
import type { Backend } from "./backends/types.js";
import type { EndpointConfig, JsonObject } from "./types.js";

const MIB = 1024 * 1024;

/** A configured endpoint with its backend and derived facts. */
export interface EndpointEntry {
  config: EndpointConfig;
  backend: Backend;
  /** Stable id derived from the name (32 hex chars, like real endpoint ids). */
  id: string;
  /** Value of the `served-model-name` header and of `model` in LLM answers. */
  servedModelName: string;
  /** Foundation-model or external-model endpoint: strict OpenAI-like parsing. */
  openAIStyle: boolean;
  /** Request body limit in bytes. */
  maxRequestBytes: number;
  createdAt: number;
  /** Prompt prefixes cached by `cache_control` (Claude endpoints; `prompt_cache.ts`). */
  promptCache: Set<string>;
}

/** Whether `endpointType` names a foundation-model or external-model endpoint. */
export function isOpenAIStyleType(endpointType: string | undefined): boolean {
  const t = (endpointType ?? "").toUpperCase();
  return t === "FOUNDATION_MODEL_API" || t === "EXTERNAL_MODEL";
}

/** Build the registry entry of one endpoint (this also builds its backend). */
export function createEndpointEntry(config: EndpointConfig, now = Date.now()): EndpointEntry {
  if (typeof config.name !== "string" || config.name === "") {
    throw new EmulatorConfigError("Every emulator endpoint needs a non-empty name.");
  }
  const openAIStyle = isOpenAIStyleType(config.endpointType);
  const agent = (config.task ?? "").startsWith("agent/");
  return {
    config,
    backend: createBackend(config),
    id: createHash("sha256").update(config.name).digest("hex").slice(0, 32),
    servedModelName: openAIStyle ? config.name : `${config.name}-1`,
    openAIStyle,
    // Documented serving limits: 16 MB, or 4 MB for foundation/external models and agents.
    maxRequestBytes: config.maxRequestBytes ?? (openAIStyle || agent ? 4 * MIB : 16 * MIB),
    createdAt: now,
    promptCache: new Set(),
  };
}

/** `ServingEndpointDetailed` as returned by `GET /api/2.0/serving-endpoints/{name}`. */
export function describeEndpoint(entry: EndpointEntry, creator: string): JsonObject {
  const { config } = entry;
  const ready = config.state ?? "READY";
  const type = (config.endpointType ?? "").toUpperCase();
  const entity: JsonObject = {
    name: entry.servedModelName,
    state: {
      deployment: ready === "READY" ? "DEPLOYMENT_READY" : "DEPLOYMENT_CREATING",
      deployment_state_message: ready === "READY" ? "" : "Creating the served entity.",
    },
    creator,
    creation_timestamp: entry.createdAt,
  };
  if (type === "FOUNDATION_MODEL_API") {
    entity["foundation_model"] = {
      name: config.name,
      display_name: config.name,
      docs: "Local emulator model.",
      description: `Emulated foundation model (${entry.backend.type} backend).`,
    };
  } else if (type === "EXTERNAL_MODEL") {
    entity["external_model"] = { name: config.name, provider: "openai", task: config.task ?? "" };
  } else {
    entity["entity_name"] = `emulator.models.${config.name}`;
    entity["entity_version"] = "1";
    entity["workload_size"] = "Small";
    entity["scale_to_zero_enabled"] = true;
  }
  const detailed: JsonObject = {
    name: config.name,
    id: entry.id,
    creator,
    creation_timestamp: entry.createdAt,
    last_updated_timestamp: entry.createdAt,
    state: { ready, config_update: "NOT_UPDATING" },
    config: {
      served_entities: [entity],
      served_models: [entity],
      traffic_config: {
        routes: [{ served_model_name: entry.servedModelName, traffic_percentage: 100 }],
      },
      config_version: 1,
    },
    permission_level: "CAN_MANAGE",
    route_optimized: false,
    tags: [],
    description: `Local emulator endpoint (${entry.backend.type} backend).`,
  };
  if (config.task !== undefined) detailed["task"] = config.task;
  // What ai-bridge reads before using tools (modern-serving.md §9, Q21): every emulated chat-like
  // endpoint can call functions.
  if (config.task === "llm/v1/chat" || (config.task ?? "").startsWith("agent/"))
    detailed["capabilities"] = { function_calling: true };
  if (config.endpointType !== undefined) detailed["endpoint_type"] = config.endpointType;
  return detailed;
}
