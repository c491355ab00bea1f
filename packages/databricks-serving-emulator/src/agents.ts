import { createHash, randomUUID } from "node:crypto";
import { isJsonObject } from "./json.js";
import { detokenize, tokenize } from "./text.js";
import type { JsonObject } from "./types.js";

/**
 * What the emulator's agent endpoints (ChatAgent, ResponsesAgent) share: the extras beside an
 * answer, and the server-side tool an agent "runs" itself (`executedTools`, `agentCycles`).
 */

/**
 * What an agent adds beside its answer (docs/PROTOCOL.md; MLflow `agent.py`, `responses.py`): the
 * emulator's agents echo `custom_inputs` back as `custom_outputs`, and with
 * `databricks_options: {return_trace: true}` return a minimal MLflow trace in `databricks_output`.
 */
export function agentExtras(body: JsonObject): JsonObject {
  const extras: JsonObject = {};
  const customInputs = body["custom_inputs"];
  if (customInputs !== undefined) extras["custom_outputs"] = customInputs;
  const options = body["databricks_options"];
  if (isJsonObject(options) && options["return_trace"] === true) {
    extras["databricks_output"] = {
      trace: { info: { trace_id: newTraceId(), state: "OK" }, data: { spans: [] } },
      databricks_request_id: randomUUID(),
    };
  }
  return extras;
}

/** An MLflow trace id, `tr-` and 32 hex characters. */
export function newTraceId(): string {
  return `tr-${randomUUID().replace(/-/g, "")}`;
}

/** The trace id inside {@link agentExtras}' `databricks_output`, if a trace was asked for. */
export function traceIdOf(extras: JsonObject): string | undefined {
  const output = extras["databricks_output"];
  const trace = isJsonObject(output) ? output["trace"] : undefined;
  const info = isJsonObject(trace) ? trace["info"] : undefined;
  const id = isJsonObject(info) ? info["trace_id"] : undefined;
  return typeof id === "string" ? id : undefined;
}

/** One tool call an agent ran itself, with its result (never a call for the client to run). */
export interface ExecutedToolCall {
  callId: string;
  name: string;
  arguments: string;
  output: string;
}

/** The name of the emulator agents' internal tool; no client declares it. */
export const AGENT_TOOL_NAME = "search_knowledge_base";

/**
 * `count` server-side tool calls for a prompt: deterministic ids, the prompt's first words as the
 * query and a short canned result, so tests can recognise them in an answer.
 */
export function executedToolCalls(prompt: string, count: number): ExecutedToolCall[] {
  const query = detokenize(tokenize(prompt).slice(0, 8));
  return Array.from({ length: count }, (_, step) => ({
    callId: `call_${createHash("sha1").update(`${prompt}\n${step}`).digest("hex").slice(0, 24)}`,
    name: AGENT_TOOL_NAME,
    arguments: JSON.stringify({ query, step: step + 1 }),
    output: JSON.stringify({ result: `Step ${step + 1}: found notes about "${query}".` }),
  }));
}
