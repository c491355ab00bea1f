import { EmulatorConfigError } from "../errors.js";
import type { BackendSpec, EndpointConfig } from "../types.js";
import { createEchoBackend } from "./echo.js";
import { createFunctionBackend } from "./function.js";
import { createHashingEmbedderBackend } from "./hashing_embedder.js";
import { createNgramBackend } from "./ngram.js";
import { createOpenAIUpstreamBackend } from "./openai_upstream.js";
import { createScriptedBackend } from "./scripted.js";
import type { Backend } from "./types.js";

/** The backend an endpoint gets when its config names none. */
export function defaultBackendSpec(endpoint: EndpointConfig): BackendSpec {
  return endpoint.task === "llm/v1/embeddings" ? { type: "hashing-embedder" } : { type: "ngram" };
}

/**
 * Build the backend of an endpoint. Text-only backends (ngram, echo, scripted) get the hashing
 * embedder as their `embed`, so any endpoint can answer an embeddings request.
 */
export function createBackend(endpoint: EndpointConfig): Backend {
  const spec = endpoint.backend ?? defaultBackendSpec(endpoint);
  let backend: Backend;
  switch (spec.type) {
    case "ngram":
      backend = createNgramBackend(spec);
      break;
    case "hashing-embedder":
      return createHashingEmbedderBackend(spec);
    case "echo":
      backend = createEchoBackend();
      break;
    case "scripted":
      backend = createScriptedBackend(spec);
      break;
    case "openai-upstream":
      return createOpenAIUpstreamBackend(spec);
    case "function":
      return createFunctionBackend(spec);
    default:
      throw new EmulatorConfigError(`Unknown backend type '${(spec as { type: string }).type}'.`);
  }
  const embedder = createHashingEmbedderBackend({});
  return { ...backend, ...(embedder.embed !== undefined ? { embed: embedder.embed } : {}) };
}
