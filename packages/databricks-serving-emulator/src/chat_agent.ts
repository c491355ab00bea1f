import { randomUUID } from "node:crypto";
import { agentExtras, executedToolCalls, type ExecutedToolCall } from "./agents.js";
import { generate } from "./generation.js";
import { apiError } from "./http_util.js";
import { isJsonObject } from "./json.js";
import { parseChatRequest } from "./llm_request.js";
import { chatMessage, respond, usage, wantsStream, type TaskContext } from "./llm_tasks.js";
import { SseWriter } from "./sse.js";
import { streamPieces } from "./text.js";
import type { JsonObject, JsonValue } from "./types.js";

/**
 * `agent/v2/chat` (MLflow ChatAgent, modern-serving.md §4.1): `{"messages": [...]}` in and out, no
 * `choices`; every response message has its own id; chunks are `{id, delta: {…, id}}`.
 */

/** MLflow's ChatAgentMessage validators, with their texts (§4.1). */
function checkChatAgentMessages(messages: JsonValue | undefined): void {
  if (!Array.isArray(messages)) return;
  for (const message of messages) {
    if (!isJsonObject(message)) continue;
    const absent = (key: string) => message[key] === undefined || message[key] === null;
    if (absent("content") && absent("tool_calls"))
      throw apiError(400, "Either 'content' or 'tool_calls' must be provided.", "BAD_REQUEST");
    if (message["role"] === "tool" && (absent("name") || absent("tool_call_id"))) {
      throw apiError(
        400,
        "Both 'name' and 'tool_call_id' must be provided for tool messages.",
        "BAD_REQUEST",
      );
    }
  }
}

/** The assistant `tool_calls` message and the `tool` result of a tool the agent ran itself. */
function executedMessages(call: ExecutedToolCall): JsonObject[] {
  return [
    {
      role: "assistant",
      id: randomUUID(),
      content: "",
      tool_calls: [
        {
          id: call.callId,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        },
      ],
    },
    {
      role: "tool",
      id: randomUUID(),
      name: call.name,
      tool_call_id: call.callId,
      content: call.output,
    },
  ];
}

/**
 * A ChatAgent call. With `executedTools` the agent runs one server-side tool first; client `tools`
 * the backend decides to call come back unexecuted as `tool_calls` on the final message.
 */
export async function handleChatAgent(ctx: TaskContext, body: JsonObject): Promise<void> {
  checkChatAgentMessages(body["messages"]);
  const request = parseChatRequest(ctx.entry.config.name, { ...body, n: 1 });
  const result = await generate(ctx.entry.backend, request);
  const choice = result.choices[0] ?? { text: "", toolCalls: [], finishReason: "stop" };
  const executed =
    ctx.entry.config.executedTools === true
      ? executedToolCalls(request.prompt, 1).flatMap(executedMessages)
      : [];
  const final: JsonObject = {
    ...chatMessage(choice),
    content: choice.text ?? "",
    id: randomUUID(),
  };
  const extras = agentExtras(body);
  if (!wantsStream(body)) {
    respond(ctx, {
      messages: [...executed, final],
      finish_reason: choice.finishReason,
      usage: usage(result.promptTokens, result.completionTokens),
      ...extras,
    });
    return;
  }
  const sse = new SseWriter(ctx.res, ctx.faults, ctx.headers);
  // One chunk id per message, as the fixtures show; clients aggregate by `delta.id`.
  const chunkId = () => `chatcmpl_${randomUUID().replace(/-/g, "")}`;
  for (const message of executed) if (!sse.send({ id: chunkId(), delta: message })) return;
  const id = chunkId();
  const pieces = streamPieces(choice.text ?? "");
  if (pieces.length === 0) pieces.push("");
  for (const [index, piece] of pieces.entries()) {
    const last = index === pieces.length - 1;
    // The first chunk carries the tool calls; the last one custom_outputs and the trace.
    const delta =
      index === 0
        ? { ...final, content: piece }
        : { role: "assistant", content: piece, id: final["id"] ?? "" };
    if (!sse.send({ id, delta, ...(last ? extras : {}) })) return;
  }
  sse.done();
}
