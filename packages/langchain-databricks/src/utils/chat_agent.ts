/**
 * MLflow ChatAgent (`agent/v2/chat`) answers, shared by `invoke` and `stream` (modern-serving §4.1;
 * docs/PROTOCOL.md §2.5). A ChatAgent returns every message its run produced: assistant turns,
 * tool calls **it already executed**, their `role: "tool"` results, and the final answer. The
 * LangChain reply is one `AIMessage`:
 * - its text is the text of every assistant message, in order, joined by a blank line (what the
 *   agent said to the user, as the Databricks AI SDK provider shows it);
 * - its `tool_calls` are only the calls no `tool` message answers: those are left for the caller
 *   to run. An executed call is never reported again (running it twice could repeat a side effect);
 * - the whole list stays in `additional_kwargs.messages`.
 *
 * Streams send `{delta: {role, content, id, …}}` fragments; fragments with the same `delta.id`
 * belong to one message and are aggregated here by id.
 */
import { isRecord, type JsonRecord } from "./values.js";

/** Separator between the text of two assistant messages of one answer. */
export const AGENT_MESSAGE_SEPARATOR = "\n\n";

/** The ids of the tool calls a `role: "tool"` message of the answer already answers. */
function executedToolCallIds(messages: readonly unknown[]): Set<string> {
  const ids = new Set<string>();
  for (const message of messages) {
    if (isRecord(message) && message["role"] === "tool") {
      const id = message["tool_call_id"];
      if (typeof id === "string") ids.add(id);
    }
  }
  return ids;
}

/** The wire tool calls of the answer's assistant messages that no tool message answers. */
export function pendingToolCalls(messages: readonly unknown[]): JsonRecord[] {
  const executed = executedToolCallIds(messages);
  const pending: JsonRecord[] = [];
  for (const message of messages) {
    if (!isRecord(message) || message["role"] !== "assistant") continue;
    const calls = message["tool_calls"];
    if (!Array.isArray(calls)) continue;
    for (const call of calls) {
      if (isRecord(call) && !(typeof call["id"] === "string" && executed.has(call["id"]))) {
        pending.push(call);
      }
    }
  }
  return pending;
}

/** The assistant messages of an answer, in order. */
export function assistantMessages(messages: readonly unknown[]): JsonRecord[] {
  return messages.filter(
    (message): message is JsonRecord => isRecord(message) && message["role"] === "assistant",
  );
}

/**
 * Aggregates streamed ChatAgent fragments into whole messages by `delta.id`: string content is
 * concatenated, tool calls are appended (a fragment repeating a call's id extends its arguments),
 * other fields keep their latest value. A fragment without an id continues the previous message.
 */
export class ChatAgentMessages {
  private readonly byId = new Map<string, JsonRecord>();
  private lastId: string | undefined;

  /**
   * Add one fragment. Returns whether it starts a new message (so the caller can separate the
   * text of two assistant messages) and the role of the message it belongs to.
   */
  add(delta: JsonRecord): { isNew: boolean; role: unknown } {
    const id =
      typeof delta["id"] === "string" ? delta["id"] : (this.lastId ?? `message-${this.byId.size}`);
    this.lastId = id;
    let message = this.byId.get(id);
    const isNew = message === undefined;
    if (message === undefined) {
      message = { id };
      this.byId.set(id, message);
    }
    for (const [key, value] of Object.entries(delta)) {
      if (key === "content" && typeof value === "string") {
        const before = message["content"];
        message["content"] = typeof before === "string" ? before + value : value;
      } else if (key === "tool_calls" && Array.isArray(value)) {
        message["tool_calls"] = mergeToolCalls(message["tool_calls"], value);
      } else if (value !== undefined && value !== null) {
        message[key] = value;
      }
    }
    return { isNew, role: message["role"] };
  }

  /** The aggregated messages in the order their first fragment arrived. */
  list(): JsonRecord[] {
    return [...this.byId.values()];
  }

  /** Whether any fragment was added (a ChatAgent stream rather than chat completion chunks). */
  get size(): number {
    return this.byId.size;
  }
}

function mergeToolCalls(existing: unknown, incoming: readonly unknown[]): unknown[] {
  const calls = Array.isArray(existing) ? [...existing] : [];
  for (const call of incoming) {
    if (!isRecord(call)) continue;
    const id = call["id"];
    const at = typeof id === "string" ? calls.findIndex((c) => isRecord(c) && c["id"] === id) : -1;
    const previous = at >= 0 ? calls[at] : undefined;
    if (!isRecord(previous)) {
      calls.push(call);
      continue;
    }
    const before = isRecord(previous["function"]) ? previous["function"] : {};
    const after = isRecord(call["function"]) ? call["function"] : {};
    const args =
      typeof before["arguments"] === "string" && typeof after["arguments"] === "string"
        ? before["arguments"] + after["arguments"]
        : (after["arguments"] ?? before["arguments"]);
    calls[at] = { ...previous, ...call, function: { ...before, ...after, arguments: args } };
  }
  return calls;
}
