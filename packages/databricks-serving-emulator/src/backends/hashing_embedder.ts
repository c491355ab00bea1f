import { fnv1a } from "./prng.js";
import type { Backend } from "./types.js";

/** Default vector size: large enough that word collisions are rare for short texts. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/**
 * Deterministic feature-hashing embedding of one text: lower-cased word unigrams (weight 1) and
 * adjacent-word bigrams (weight 0.5) are hashed into `dimensions` buckets with a hashed sign, then
 * the vector is L2-normalised. Texts sharing words therefore have a higher cosine similarity. It
 * captures lexical overlap only, not meaning. An empty text maps to a fixed unit vector.
 */
export function hashEmbed(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const size = Math.max(1, Math.floor(dimensions));
  const vector = Array.from({ length: size }, () => 0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    const sign = (fnv1a(feature, 0x9747b28c) & 1) === 0 ? 1 : -1;
    vector[h % size] = (vector[h % size] ?? 0) + sign * weight;
  };
  for (let i = 0; i < words.length; i++) {
    add(words[i] ?? "", 1);
    if (i > 0) add(`${words[i - 1]} ${words[i]}`, 0.5);
  }
  let norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[0] = 1;
    norm = 1;
  }
  // Rounded so responses stay compact; 7 decimals keep cosine similarities exact enough.
  return vector.map((v) => Math.round((v / norm) * 1e7) / 1e7);
}

/**
 * `hashing-embedder` backend: {@link hashEmbed} for each input. The request's OpenAI `dimensions`
 * field, when present, overrides the configured size. It cannot generate text.
 */
export function createHashingEmbedderBackend(spec: { dimensions?: number }): Backend {
  const configured = spec.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  return {
    type: "hashing-embedder",
    embed: (request) =>
      Promise.resolve(request.input.map((t) => hashEmbed(t, request.dimensions ?? configured))),
  };
}
