import { describeShape } from "../utils/envelopes.js";
/**
 * How the driver-proxy app calls the model it serves: a plain function (the seed's `llm(prompt,
 * stop=None, **kwargs)`) or any LangChain language model, and how the answer becomes one string.
 */
import type { BaseLanguageModel } from "@langchain/core/language_models/base";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLLM } from "@langchain/core/language_models/llms";
import { DriverProxyRequestError, type DriverProxyRequest } from "./request.js";

/** What a function model receives besides the prompt: `stop` when sent, plus every extra field. */
export interface DriverProxyModelOptions {
  stop?: string[];
  [kwarg: string]: unknown;
}

/**
 * A plain function model, the counterpart of the seed's `llm(prompt, stop=None, **kwargs)`.
 * It may return the text or a promise of it.
 */
export type DriverProxyModelFunction = (
  prompt: string,
  options: DriverProxyModelOptions,
) => string | Promise<string>;

/** Anything {@link serveDriverProxyApp} can serve. */
export type DriverProxyModel =
  BaseLLM | BaseChatModel | BaseLanguageModel | DriverProxyModelFunction;

/**
 * `RunnableConfig` keys that LangChain interprets itself (tracing, cancellation, concurrency).
 * They are refused when sent by a remote caller: JSON cannot carry callbacks or signals, and a
 * caller behind the proxy must not steer the host process's tracing or configuration.
 */
export const RESERVED_CALL_OPTIONS: readonly string[] = [
  "callbacks",
  "configurable",
  "maxConcurrency",
  "metadata",
  "recursionLimit",
  "runId",
  "runName",
  "signal",
  "tags",
  "timeout",
];

interface Invocable {
  invoke(input: string, options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Call `model` for one validated request and return its raw text (before stop cutting).
 *
 * - Function model: `model(prompt, { ...kwargs, stop })`, like the seed's `llm(**request.json)`.
 * - LangChain model: `model.invoke(prompt, { ...kwargs, stop, signal })`. Extra fields become call
 *   options, exactly what `model.withConfig(kwargs)` would produce per call; each model uses the
 *   options it knows and ignores the rest. Fields in {@link RESERVED_CALL_OPTIONS} are refused (400).
 *
 * `signal` fires when the caller goes away; only LangChain models receive it, because a function
 * model's options are exactly the request's fields.
 */
export async function callDriverProxyModel(
  model: DriverProxyModel,
  request: DriverProxyRequest,
  signal?: AbortSignal,
): Promise<string> {
  const { prompt, stop, kwargs } = request;
  if (typeof model === "function") {
    const options: DriverProxyModelOptions = stop ? { ...kwargs, stop } : { ...kwargs };
    const output: unknown = await model(prompt, options);
    if (typeof output !== "string") {
      throw new TypeError(`the model function returned ${describeShape(output)}, not a string`);
    }
    return output;
  }
  const reserved = Object.keys(kwargs).filter((key) => RESERVED_CALL_OPTIONS.includes(key));
  if (reserved.length > 0) {
    throw new DriverProxyRequestError(
      400,
      `field${reserved.length > 1 ? "s" : ""} ${reserved.map((k) => `"${k}"`).join(", ")} cannot be set by a request (reserved LangChain call option)`,
    );
  }
  const options: Record<string, unknown> = { ...kwargs };
  if (stop) options["stop"] = stop;
  if (signal) options["signal"] = signal;
  const output = await (model as unknown as Invocable).invoke(prompt, options);
  return outputText(output);
}

/**
 * The text of a model answer: an LLM's string, or a chat message's text content (string content,
 * or the `text` blocks of multi-part content, concatenated; reasoning and tool blocks are dropped).
 */
export function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (output !== null && typeof output === "object" && "content" in output) {
    const content: unknown = output.content;
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
      return content
        .map((block: unknown) => {
          if (typeof block === "string") return block;
          if (block !== null && typeof block === "object") {
            const { type, text } = block as { type?: unknown; text?: unknown };
            if (type === "text" && typeof text === "string") return text;
          }
          return "";
        })
        .join("");
    }
  }
  throw new TypeError(
    `the model returned ${describeShape(output)}, not a string or a chat message`,
  );
}
