/** The bench server's fixed answers, shared with S0's in-memory `fetch` so both use the same bytes. */

const CREATED = 1_700_000_000;
export const CHAT_BODY = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: CREATED,
    model: "bench",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello from the bench server." },
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
    choices: [{ index: 0, text: "Hello from the bench server.", finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  }),
);

export type Kind = "chat" | "completion";
const streams = new Map<string, Buffer>();

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
  const key = `${kind}:${count}`;
  let body = streams.get(key);
  if (!body) {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(chunkEvent(kind, i, i === count - 1));
    parts.push("data: [DONE]\n\n");
    body = Buffer.from(parts.join(""));
    streams.set(key, body);
  }
  return body;
}
