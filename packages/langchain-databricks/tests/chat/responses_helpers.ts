/**
 * Recorded Responses API shapes (modern-serving §3.3, §3.4), verbatim, and a raw SSE writer that
 * can add `event:` lines, omit `[DONE]` and cut the body mid-event.
 */
import type { ServerResponse } from "node:http";
import type { AIMessageChunk } from "@langchain/core/messages";
import { sleep } from "./helpers.js";

/** The non-streaming response of §3.3, as printed there. */
export const RESPONSE_3_3 =
  JSON.parse(`{"id":"resp_…","object":"response","created_at":1761660865.18,"model":"…","status":"completed",
 "output":[
   {"type":"reasoning","id":"rs_…","summary":[{"type":"summary_text","text":"…"}],"encrypted_content":null},
   {"type":"function_call","id":"fc_…","call_id":"call_1","name":"get_weather","arguments":"{…}","status":"completed"},
   {"type":"function_call_output","call_id":"call_1","output":"…"},
   {"type":"message","id":"msg_…","role":"assistant","status":"completed",
    "content":[{"type":"output_text","text":"It is 18°C.","annotations":[],"logprobs":null}]}],
 "usage":{"input_tokens":505,"input_tokens_details":{"cached_tokens":0},
          "output_tokens":94,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":599},
 "error":null,"incomplete_details":null,
 "custom_outputs":{"…":"…"},
 "databricks_output":{"databricks_request_id":"…","trace":{"info":{"trace_id":"tr-…"}, "…":"…"}},
 "metadata":{"trace_id":"tr-…"}}`) as Record<string, unknown>;

/** The minimal agent stream of §3.4 (MLflow helpers), as printed there. */
export const MINIMAL_AGENT_STREAM = `data: {"type":"response.output_text.delta","item_id":"msg_1","delta":"Hel"}
data: {"type":"response.output_text.delta","item_id":"msg_1","delta":"lo"}
data: {"type":"response.output_item.done","item":{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Hello"}]}}
data: {"trace_id":"tr-abc123"}
data: [DONE]`;

/** A minimal response object with the given output items. */
export function response(
  output: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: "resp_1",
    object: "response",
    created_at: 1,
    model: "databricks-gpt-5",
    status: "completed",
    output,
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    error: null,
    incomplete_details: null,
    ...extra,
  };
}

export function messageItem(text: string, id = "msg_1"): Record<string, unknown> {
  return {
    type: "message",
    id,
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  };
}

export function functionCallItem(
  callId: string,
  name: string,
  args: unknown,
): Record<string, unknown> {
  return {
    type: "function_call",
    id: `fc_${callId}`,
    call_id: callId,
    name,
    arguments: JSON.stringify(args),
    status: "completed",
  };
}

export interface RawSseOptions {
  /** Write `event: <type>` before each `data:` line (the OpenAI passthrough framing). */
  eventLines?: boolean;
  /** End with `data: [DONE]` (default true). */
  done?: boolean;
  /** After the frames, write this partial text and drop the connection. */
  cutWith?: string;
}

/** Write events as SSE frames; a string is written verbatim (a pre-framed recorded stream). */
export async function rawSse(
  res: ServerResponse,
  events: readonly unknown[] | string,
  options: RawSseOptions = {},
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  if (typeof events === "string") {
    // A recorded stream prints one frame per line: frames are separated by a blank line.
    res.write(`${events.split("\n").join("\n\n")}\n\n`);
    res.end();
    return;
  }
  for (const event of events) {
    const type = (event as { type?: unknown }).type;
    const head = options.eventLines && typeof type === "string" ? `event: ${type}\n` : "";
    res.write(`${head}data: ${JSON.stringify(event)}\n\n`);
  }
  if (options.cutWith !== undefined) {
    res.write(options.cutWith);
    await sleep(30);
    res.socket?.destroy();
    return;
  }
  if (options.done !== false) res.write("data: [DONE]\n\n");
  res.end();
}

export async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk[]> {
  const out: AIMessageChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

export function merge(chunks: readonly AIMessageChunk[]): AIMessageChunk {
  const [first, ...rest] = chunks;
  if (!first) throw new Error("no chunks");
  return rest.reduce((acc, c) => acc.concat(c), first);
}
