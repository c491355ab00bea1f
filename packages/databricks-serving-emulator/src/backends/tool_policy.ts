import type { BackendMessage, BackendRequest, BackendTool } from "../types.js";
import { tokenize } from "../text.js";

/**
 * When a text backend calls a tool, shared by the tool-capable toy backends (`ngram`). The goal is
 * the loop of an agent framework (LangChain's `createAgent`, a ReAct loop): call each tool the
 * user's request needs once, then answer, either in text that uses the tool results or through
 * the structured-output tool. Rules, for a request with tools:
 *
 * - `tool_choice` "none" never calls a tool; a named function always calls that function.
 * - A tool is *needed* when the last user message mentions a significant word of its name
 *   (`get_weather` ← "weather"); it is *done* when, after the last user message, an assistant
 *   turn called it and a `tool` message answered that call. The needed tool that is not done yet
 *   and mentions the most words is called ("auto", "required" alike).
 * - Once no needed tool is left, an *output tool* is called if there is one: a tool for the final
 *   answer (LangChain's `toolStrategy` tool `extract-N` or its default description, or a name such
 *   as `final_answer`, `respond`, `structured_output`).
 * - Otherwise "auto" calls nothing (the backend answers). "required" calls the best-matching tool
 *   (ties: the first) while no tool is done, then the last-listed tool not done yet (agent
 *   frameworks append their structured-output tool after the user's tools), and with every tool
 *   done the best-matching one again (it is forced to call something).
 */
export function pickTool(request: BackendRequest): BackendTool | undefined {
  const choice = request.toolChoice;
  if (request.tools.length === 0 || choice === undefined || choice === "none") return undefined;
  if (typeof choice === "object") return request.tools.find((t) => t.name === choice.name);
  const done = toolProgress(request.messages).done;
  const promptWords = new Set(words(request.prompt));
  const score = (tool: BackendTool) => mentionScore(tool, promptWords);
  const actions = request.tools.filter((t) => !isOutputTool(t));
  const needed = best(
    actions.filter((t) => !done.has(t.name)),
    score,
  );
  if (needed !== undefined && score(needed) > 0) return needed;
  const output = request.tools.find(isOutputTool);
  if (output !== undefined) return output;
  if (choice === "auto") return undefined;
  if (done.size === 0) return best(request.tools, score);
  return request.tools.findLast((t) => !done.has(t.name)) ?? best(request.tools, score);
}

/** What happened with tools since the last user message. */
export interface ToolProgress {
  /** Names of the tools called and answered. */
  done: Set<string>;
  /** The contents of the `tool` messages, in order. */
  results: string[];
}

/**
 * The tool calls and results after the last user message. A `tool` message answers the call
 * with its `tool_call_id`; one without a known id answers the oldest open call (clients that
 * drop ids still get their tool counted as done).
 */
export function toolProgress(messages: readonly BackendMessage[]): ToolProgress {
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const open = new Map<string, string>();
  const progress: ToolProgress = { done: new Set(), results: [] };
  messages.slice(lastUser + 1).forEach((message, index) => {
    for (const [k, call] of (message.toolCalls ?? []).entries()) {
      open.set(call.id ?? `#${index}:${k}`, call.name);
    }
    if (message.role !== "tool") return;
    progress.results.push(message.content);
    const id =
      message.toolCallId !== undefined && open.has(message.toolCallId)
        ? message.toolCallId
        : open.keys().next().value;
    if (id === undefined) return;
    progress.done.add(open.get(id) ?? "");
    open.delete(id);
  });
  return progress;
}

/** Final-answer tool names: LangChain's `toolStrategy` default (`extract-N`) and common ones. */
const OUTPUT_NAME = /^(extract-\d+|final_?answer|answer|respond|response|structured_?output)$/i;

/**
 * Whether a tool is the way to give the final answer rather than an action to take: by name, or
 * by a description about structured output (LangChain's default for a `toolStrategy` schema
 * without one is "Tool for extracting structured output from the model's response.").
 */
export function isOutputTool(tool: BackendTool): boolean {
  return OUTPUT_NAME.test(tool.name) || /structured output/i.test(tool.description ?? "");
}

/** Lower-cased words of a text (punctuation dropped). */
export function words(text: string): string[] {
  return tokenize(text.toLowerCase()).filter((t) => /[\p{L}\p{N}]/u.test(t));
}

const GENERIC_NAME_PARTS = new Set(
  "get set do make run call fetch find list tool the a an of to by for with and".split(" "),
);

function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((p) => p.length >= 3 && !GENERIC_NAME_PARTS.has(p));
}

/** A prompt word mentions a name part when equal, or (both ≥ 4 letters) one prefixes the other. */
function mentions(promptWords: Set<string>, part: string): boolean {
  if (promptWords.has(part)) return true;
  for (const w of promptWords) {
    if (w.length >= 4 && part.length >= 4 && (w.startsWith(part) || part.startsWith(w)))
      return true;
  }
  return false;
}

/** How many significant parts of the tool's name the prompt mentions. */
function mentionScore(tool: BackendTool, promptWords: Set<string>): number {
  return nameParts(tool.name).filter((p) => mentions(promptWords, p)).length;
}

/** The highest-scoring tool (ties: the first listed). */
function best(
  tools: readonly BackendTool[],
  score: (tool: BackendTool) => number,
): BackendTool | undefined {
  let top = tools[0];
  let topScore = top === undefined ? 0 : score(top);
  for (const tool of tools) {
    const s = score(tool);
    if (s > topScore) [top, topScore] = [tool, s];
  }
  return top;
}
