/**
 * Tools and `tool_choice` for OpenAI-style chat endpoints. Pure functions, no I/O.
 */
import type { BindToolsInput } from "@langchain/core/language_models/chat_models";
import type { ToolDefinition } from "@langchain/core/language_models/base";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { DatabricksConfigError } from "../errors.js";

/** What a caller may pass as `tool_choice`. */
export type DatabricksToolChoice =
  | "auto"
  | "none"
  | "any"
  | "required"
  | (string & {})
  | { type: "function"; function: { name: string } }
  | Record<string, unknown>
  | boolean;

/** What goes on the wire as `tool_choice`. */
export type WireToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; function: { name: string } }
  | Record<string, unknown>;

/**
 * Any LangChain tool (structured tool, `tool()`, `RunnableToolLike`), `{name, description, schema}`
 * with a zod or JSON schema, or an OpenAI tool dict → an OpenAI function tool definition.
 */
export function toOpenAITools(
  tools: readonly BindToolsInput[],
  strict?: boolean | undefined,
): ToolDefinition[] {
  return tools.map((tool) => {
    const converted = convertToOpenAITool(
      copyOpenAITool(tool) as Parameters<typeof convertToOpenAITool>[0],
      strict === undefined ? undefined : { strict },
    );
    checkToolName(converted.function?.name);
    return converted;
  });
}

/** What every Databricks surface accepts as a function name (the Supervisor API's own check). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Q20: a function name outside `[a-zA-Z0-9_-]{1,64}` is refused before any request, with a
 * suggestion (Unity Catalog functions are named `catalog__schema__function` on the wire).
 */
function checkToolName(name: unknown): void {
  if (typeof name !== "string" || TOOL_NAME.test(name)) return;
  const suggestion = name
    .replace(/\./g, "__")
    .replace(/[^a-zA-Z0-9_-]/g, "_")
    .slice(0, 64);
  throw new DatabricksConfigError(
    `Tool name "${name}" is not accepted by Databricks endpoints: use 1 to 64 letters, digits, "_" or "-" (for example "${suggestion || "my_tool"}").`,
  );
}

/**
 * `convertToOpenAITool` sets `strict` on an OpenAI tool dict in place: copy it first, so binding
 * with `strict` never changes the caller's tool object (or another model's request).
 */
function copyOpenAITool(tool: BindToolsInput): BindToolsInput {
  const fn = (tool as { type?: unknown; function?: unknown }).function;
  if ((tool as { type?: unknown }).type !== "function" || typeof fn !== "object" || fn === null) {
    return tool;
  }
  return { ...(tool as object), function: { ...fn } } as BindToolsInput;
}

/** The function names of OpenAI tool definitions (non-function tools have none). */
export function toolNames(tools: readonly unknown[] | undefined): string[] {
  const names: string[] = [];
  for (const tool of tools ?? []) {
    const fn = (tool as { function?: { name?: unknown } } | null)?.function;
    if (fn && typeof fn.name === "string") names.push(fn.name);
  }
  return names;
}

/**
 * LangChain `tool_choice` → wire `tool_choice`, as the Python successor maps it: `"any"` → `"required"`;
 * a tool name → `{type: "function", function: {name}}`; `true` → the only tool. A name that is not
 * one of `tools` throws {@link DatabricksConfigError} before any request.
 */
export function toWireToolChoice(
  choice: DatabricksToolChoice | undefined,
  tools: readonly unknown[] | undefined,
): WireToolChoice | undefined {
  if (choice === undefined || choice === null || choice === false) return undefined;
  const names = toolNames(tools);
  if (choice === true) {
    if (names.length !== 1) {
      throw new DatabricksConfigError(
        `tool_choice: true needs exactly one tool, but ${names.length} were provided (${formatNames(names)}).`,
      );
    }
    return { type: "function", function: { name: names[0] as string } };
  }
  if (typeof choice === "string") {
    if (choice === "auto" || choice === "none" || choice === "required")
      return choice as WireToolChoice;
    if (choice === "any") return "required";
    requireKnown(choice, names);
    return { type: "function", function: { name: choice } };
  }
  const named = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof named === "string") requireKnown(named, names);
  return choice as WireToolChoice;
}

function requireKnown(name: string, names: readonly string[]): void {
  if (!names.includes(name)) {
    throw new DatabricksConfigError(
      `Tool choice "${name}" was specified, but the only provided tools were ${formatNames(names)}.`,
    );
  }
}

function formatNames(names: readonly string[]): string {
  return names.length === 0
    ? "[] (no tools are bound)"
    : `[${names.map((n) => `"${n}"`).join(", ")}]`;
}
