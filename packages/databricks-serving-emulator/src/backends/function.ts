import type { BackendRequest, BackendResult } from "../types.js";
import type { Backend } from "./types.js";

/**
 * `function` backend: calls user code with the normalised {@link BackendRequest}. For embedding
 * requests the function must return `{ embeddings: number[][] }`; for generation a string, one
 * string per choice, or a structured `BackendOutput` (tool calls, finish reasons, usage).
 */
export function createFunctionBackend(spec: {
  fn: (request: BackendRequest) => BackendResult | Promise<BackendResult>;
}): Backend {
  return {
    type: "function",
    generate: async (request) => spec.fn(request),
    embed: async (request) => {
      const result = await spec.fn(request);
      if (typeof result === "object" && !Array.isArray(result) && result.embeddings !== undefined) {
        return result.embeddings;
      }
      throw new Error("The function backend returned no `embeddings` for an embedding request.");
    },
  };
}
