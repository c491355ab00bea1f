import type { BackendRequest, BackendResult } from "../types.js";

/**
 * The internal seam every task route talks to. A backend implements text generation, embeddings,
 * or both; `backends/create.ts` fills the gaps (text backends embed with the hashing embedder).
 */
export interface Backend {
  /** The `BackendSpec.type` this backend was built from (for messages and logs). */
  readonly type: string;
  /** Generate `request.n` choices for a chat or completion request. */
  generate?(request: BackendRequest): Promise<BackendResult>;
  /** One vector per `request.input` entry. */
  embed?(request: BackendRequest): Promise<number[][]>;
}
