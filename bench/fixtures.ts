/** The bench server's fixed answers, shared with S0's in-memory `fetch` so both use the same bytes. */

const CREATED = 1_700_000_000;
/** The text of every fixed answer (contenders check it, so a client that misparses cannot look fast). */
export const ANSWER_TEXT = "Hello from the bench server.";
/** The token every contender sends (the bench server does not check it). */
export const TOKEN = "dapi-bench-0000";
export const CHAT_BODY = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: CREATED,
    model: "bench",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: ANSWER_TEXT },
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  }),
);

export const COMPLETION_BODY = Buffer.from(
  JSON.stringify({
    id: "cmpl-bench",
    object: "text_completion",
    created: CREATED,
    model: "bench",
    choices: [{ index: 0, text: ANSWER_TEXT, finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  }),
);

export type Kind = "chat" | "completion";
const bodies = new Map<string, Buffer>();

/** Build a body once per key: the server answers from memory, so it costs the client, not itself. */
function cached(key: string, build: () => string): Buffer {
  let body = bodies.get(key);
  if (!body) {
    body = Buffer.from(build());
    bodies.set(key, body);
  }
  return body;
}

function chunkEvent(kind: Kind, index: number, last: boolean): string {
  const finish = last ? "stop" : null;
  const choice =
    kind === "chat"
      ? {
          index: 0,
          delta: index === 0 ? { role: "assistant", content: "tok " } : { content: "tok " },
          finish_reason: finish,
        }
      : { index: 0, text: "tok ", finish_reason: finish };
  const event: Record<string, unknown> = {
    id: kind === "chat" ? "chatcmpl-bench" : "cmpl-bench",
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: CREATED,
    model: "bench",
    choices: [choice],
  };
  if (last)
    event["usage"] = { prompt_tokens: 5, completion_tokens: index + 1, total_tokens: index + 6 };
  return `data: ${JSON.stringify(event)}\n\n`;
}

/** The whole SSE body for `count` chunks, built once per (kind, count). */
export function streamBody(kind: Kind, count: number): Buffer {
  return cached(`${kind}:${count}`, () => {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(chunkEvent(kind, i, i === count - 1));
    parts.push("data: [DONE]\n\n");
    return parts.join("");
  });
}

/** `{"predictions": [ANSWER × rows]}`: a custom MLflow model's answer to `rows` dataframe records. */
export function predictionsBody(rows: number): Buffer {
  return cached(`predictions:${rows}`, () =>
    JSON.stringify({ predictions: Array.from({ length: rows }, () => ANSWER_TEXT) }),
  );
}

/** Dimensions of the bench's embedding vectors (GTE-large-en on Databricks has 1,024). */
export const EMBEDDING_DIMENSIONS = 1024;
const VECTOR = Float32Array.from({ length: EMBEDDING_DIMENSIONS }, (_, i) => Math.sin(i + 1) / 32);

/**
 * An OpenAI-style embeddings answer with `count` vectors: float lists, or base64 of the
 * little-endian float32 bytes when the client asked for `encoding_format: "base64"`.
 */
export function embeddingsBody(count: number, base64: boolean): Buffer {
  return cached(`embeddings:${count}:${base64}`, () => {
    const embedding = base64
      ? Buffer.from(VECTOR.buffer, VECTOR.byteOffset, VECTOR.byteLength).toString("base64")
      : Array.from(VECTOR);
    return JSON.stringify({
      object: "list",
      model: "bench-embeddings",
      data: Array.from({ length: count }, (_, index) => ({
        object: "embedding",
        index,
        embedding,
      })),
      usage: { prompt_tokens: count, total_tokens: count },
    });
  });
}
