/**
 * Model quirks of Databricks chat endpoints, fixed on the finished wire body in one place, right
 * before it is sent (the Q-numbers are those of the project's serving reference, §2). Message and
 * tool conversion stay generic; everything that depends on the model family, or that Databricks
 * refuses whatever the model, is decided here. Pure functions, no I/O.
 */
import { DatabricksConfigError } from "../errors.js";
import type { ModelFamily } from "../model_family.js";
import { isRecord, type JsonRecord } from "./values.js";

/**
 * Whether tool `strict` may be sent: only to GPT models (`gpt`, `gpt-oss`), the rule of
 * databricks-ai-bridge. Claude, Llama, Qwen, Gemma and unknown models answer `400 tools.0.custom.
 * strict: Extra inputs are not permitted` (or compile it into an oversized grammar).
 */
export function keepsToolStrict(family: ModelFamily): boolean {
  return family === "gpt" || family === "gpt-oss";
}

/** Where a body goes: the AI Gateway or `/serving-endpoints`, the Responses API or chat. */
export interface WireTarget {
  /** An `/ai-gateway/` route (it refuses `store` and tool `strict` for every model). */
  gateway?: boolean | undefined;
  /** A Responses API body (`input`), not a chat-completions one (`messages`). */
  responses?: boolean | undefined;
}

/**
 * Apply the quirk fixes to a chat or Responses body (mutated and returned):
 * - Q4: `parallel_tool_calls` is never sent on chat completions (Claude endpoints refuse it as an
 *   extra input); on the Responses API it is an FMAPI field (modern-serving §3.2) and is sent;
 * - Q3: `strict` is removed from every tool and from the top level unless the family is GPT, and
 *   always on the AI Gateway (`gateway`), which refuses it by presence for every model; the
 *   gateway also refuses `store` (modern-serving §6.2), which is removed there;
 * - Q9/Q10: every function tool has `parameters`, an object schema (`{"type":"object",…}`), in
 *   the chat shape (`{type, function: {…}}`) and the flat Responses shape (`{type, name, …}`);
 * - Q11: empty replayed tool-call arguments (`""`, `"[]"`, `"null"`) are sent as `"{}"`;
 * - Q13: messages carry no `name` (the Foundation Model APIs do not support it), except tool
 *   results to custom-named endpoints, which carry their tool's name (MLflow ChatAgent needs it);
 * - Q1/Q2 (Claude only): an assistant turn with `tool_calls` and no text gets `" "` as content,
 *   because Claude refuses empty text blocks (`text content blocks must be non-empty`);
 * - Q19 (Claude only): the tool results of one assistant turn are sent next to each other, other
 *   messages that came between them (e.g. a user message with an image) right after them;
 * - Q12 (Claude only): an image given by a remote `http(s)` URL is refused here, with what to do
 *   instead, because Claude on Databricks does not fetch it (the client does not fetch it either:
 *   that would send requests to hosts the user never configured).
 */
export function applyWireQuirks(
  body: JsonRecord,
  family: ModelFamily,
  target: WireTarget = {},
): JsonRecord {
  const gateway = target.gateway === true;
  if (target.responses !== true) delete body["parallel_tool_calls"];
  if (gateway) delete body["store"];
  const keepStrict = keepsToolStrict(family) && !gateway;
  if (!keepStrict) delete body["strict"];
  if (Array.isArray(body["tools"])) {
    body["tools"] = body["tools"].map((tool: unknown) => fixTool(tool, keepStrict));
  }
  if (Array.isArray(body["messages"])) {
    const messages = body["messages"].map((message: unknown) =>
      isRecord(message) ? fixMessage(message, family) : message,
    );
    if (family === "claude") {
      messages.forEach(refuseRemoteImages);
      body["messages"] = toolResultsTogether(messages);
    } else if (family === "unknown") body["messages"] = nameToolResults(messages);
    else body["messages"] = messages;
  }
  return body;
}

/**
 * Custom-named endpoints (family `unknown`) are mostly custom models and agents, not Foundation
 * Model APIs: an MLflow ChatAgent refuses a tool result without the tool's `name` ("Both 'name'
 * and 'tool_call_id' must be provided for tool messages."). Their tool messages get the name of
 * the call they answer; Q13's rule (no `name`) stays for the model families.
 */
function nameToolResults(messages: readonly unknown[]): unknown[] {
  const names = new Map<string, string>();
  return messages.map((message) => {
    if (!isRecord(message)) return message;
    if (message["role"] === "assistant" && Array.isArray(message["tool_calls"])) {
      for (const call of message["tool_calls"]) {
        const fn = isRecord(call) ? call["function"] : undefined;
        if (isRecord(call) && typeof call["id"] === "string" && isRecord(fn)) {
          if (typeof fn["name"] === "string") names.set(call["id"], fn["name"]);
        }
      }
    }
    const id = message["tool_call_id"];
    const name = message["role"] === "tool" && typeof id === "string" ? names.get(id) : undefined;
    return name === undefined ? message : { ...message, name };
  });
}

/**
 * Q19: after an assistant turn with tool calls, its `tool` messages first and the other messages
 * (until the next assistant turn) after them, each group in its original order.
 */
function toolResultsTogether(messages: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  let deferred: unknown[] = [];
  let inToolTurn = false;
  const flush = () => {
    out.push(...deferred);
    deferred = [];
  };
  for (const message of messages) {
    const role = isRecord(message) ? message["role"] : undefined;
    if (role === "assistant") {
      flush();
      inToolTurn = isRecord(message) && Array.isArray(message["tool_calls"]);
      out.push(message);
    } else if (inToolTurn && role === "tool") out.push(message);
    else if (inToolTurn) deferred.push(message);
    else out.push(message);
  }
  flush();
  return out;
}

/** Q12: a remote image URL in a Claude request is a {@link DatabricksConfigError}. */
function refuseRemoteImages(message: unknown): void {
  const content = isRecord(message) ? message["content"] : undefined;
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (!isRecord(part) || part["type"] !== "image_url") continue;
    const image = part["image_url"];
    const url = isRecord(image) ? image["url"] : image;
    if (typeof url === "string" && /^https?:/i.test(url)) {
      throw new DatabricksConfigError(
        `Claude endpoints on Databricks do not fetch images from URLs (${url.slice(0, 60)}${url.length > 60 ? "…" : ""}): download the image and pass it as a base64 data URL ("data:image/png;base64,…") or a standard image block with base64 data.`,
      );
    }
  }
}

function fixTool(tool: unknown, keepStrict: boolean): unknown {
  if (!isRecord(tool)) return tool;
  const out: JsonRecord = { ...tool };
  if (!keepStrict) delete out["strict"];
  const fn = out["function"];
  if (out["type"] === "function" && isRecord(fn)) {
    const fixed: JsonRecord = { ...fn, parameters: objectSchema(fn["parameters"]) };
    if (!keepStrict) delete fixed["strict"];
    out["function"] = fixed;
  } else if (out["type"] === "function" && typeof out["name"] === "string") {
    out["parameters"] = objectSchema(out["parameters"]);
  }
  return out;
}

/**
 * A tool's parameters as an object schema: none → `{type: "object", properties: {}}`; a schema
 * without `type` gets `type: "object"` (and empty `properties`). A schema of another declared type
 * is left alone: wrapping it would change the arguments the tool receives.
 */
function objectSchema(parameters: unknown): unknown {
  if (!isRecord(parameters)) return { type: "object", properties: {} };
  if (parameters["type"] !== undefined) return parameters;
  return { type: "object", properties: {}, ...parameters };
}

function fixMessage(message: JsonRecord, family: ModelFamily): JsonRecord {
  const out: JsonRecord = { ...message };
  delete out["name"];
  const toolCalls = out["tool_calls"];
  if (out["role"] !== "assistant" || !Array.isArray(toolCalls) || toolCalls.length === 0) {
    return out;
  }
  out["tool_calls"] = toolCalls.map(fixToolCallArguments);
  if (family === "claude") out["content"] = nonEmptyClaudeContent(out["content"]);
  return out;
}

const EMPTY_ARGUMENTS = new Set(["", "[]", "null", "{}"]);

function fixToolCallArguments(call: unknown): unknown {
  if (!isRecord(call) || !isRecord(call["function"])) return call;
  const args = call["function"]["arguments"];
  if (typeof args === "string" && !EMPTY_ARGUMENTS.has(args.trim())) return call;
  if (args !== undefined && typeof args !== "string") return call;
  return { ...call, function: { ...call["function"], arguments: "{}" } };
}

/**
 * Content of a Claude assistant turn that has tool calls: empty text parts are dropped, and when
 * no part (or no non-blank string) is left, the content is `" "` (what databricks-ai-bridge sends).
 * Other parts, e.g. reasoning with its signature, are kept as they are.
 */
function nonEmptyClaudeContent(content: unknown): unknown {
  if (typeof content === "string") return content.trim() === "" ? " " : content;
  if (!Array.isArray(content)) return " ";
  const kept = content.filter(
    (part) =>
      !(isRecord(part) && part["type"] === "text" && String(part["text"] ?? "").trim() === ""),
  );
  return kept.length === 0 ? " " : kept;
}
