import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type {
  BaseLanguageModelInput,
  StructuredOutputMethodOptions,
  ToolDefinition,
} from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
  type LangSmithParams,
  type ToolChoice,
} from "@langchain/core/language_models/chat_models";
import type { Serialized } from "@langchain/core/load/serializable";
import { AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { JsonOutputParser, StructuredOutputParser } from "@langchain/core/output_parsers";
import { JsonOutputKeyToolsParser } from "@langchain/core/output_parsers/openai_tools";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import {
  RunnablePassthrough,
  RunnableSequence,
  type Runnable,
  type RunnableConfig,
} from "@langchain/core/runnables";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isInteropZodSchema, type InteropZodType } from "@langchain/core/utils/types";
import { claudeThinkingFor } from "./claude_thinking.js";
import { DatabricksConfigError } from "./errors.js";
import { callExtraParams, settleGenerationOptions } from "./generation_options.js";
import { checkModelFields, ModelSupport, resolveEndpoint } from "./model_support.js";
import { CONNECTION_SECRETS, markUnserializableKwargs } from "./serialization.js";
import { guessModelFamily, MODEL_FAMILIES, type ModelFamily } from "./model_family.js";
import { modelProfileFor } from "./model_profile.js";
import type {
  DatabricksAgentOptions,
  DatabricksChatModelOptions,
  DatabricksGatewayOptions,
  DatabricksGenerationCallOptions,
  DatabricksLanguageModelOptions,
  DatabricksModelProfile,
  DatabricksModelFields,
  DatabricksReasoningOptions,
  DatabricksResponsesOptions,
  Settled,
} from "./types.js";
import { parseChatResponse } from "./utils/chat_outputs.js";
import { servingRoute, type ServingRoute } from "./utils/paths.js";
import { refuseUnsupported, toResponsesInput, toResponsesParams } from "./utils/responses_input.js";
import { parseResponsesResponse } from "./utils/responses_output.js";
import { RESPONSES_SSE_RULES, ResponsesStreamAssembler } from "./utils/responses_stream.js";
import { chatStop } from "./utils/stop.js";
import { isRecord, setIfDefined, type JsonRecord } from "./utils/values.js";
import { ChatStreamAssembler } from "./utils/chat_stream.js";
import { toOpenAITools, toWireToolChoice } from "./utils/chat_tools.js";
import { toWireMessages } from "./utils/messages.js";
import { applyWireQuirks } from "./utils/wire_quirks.js";
import {
  isSerializableSchema,
  standardJsonSchema,
  type SerializableSchema,
} from "./utils/standard_schema.js";

/** Options of one call (`invoke(messages, options)`), overriding the instance's for that call. */
export interface ChatDatabricksCallOptions
  extends
    BaseChatModelCallOptions,
    DatabricksGenerationCallOptions,
    DatabricksReasoningOptions,
    DatabricksAgentOptions,
    Pick<ChatDatabricksOwnOptions, "streamUsage"> {
  /** Tools the model may call: LangChain tools, `{name, description, schema}` or OpenAI tool dicts. */
  tools?: BindToolsInput[];
  /**
   * `"auto"`, `"none"`, `"required"`, `"any"` (sent as `"required"`), a bound tool's name (sent as
   * `{type: "function", function: {name}}`), or an OpenAI `tool_choice` object.
   */
  tool_choice?: ToolChoice;
  /** Passed to `convertToOpenAITool` for every tool (OpenAI strict function schemas). */
  strict?: boolean;
  /** OpenAI-style `response_format` (`{type: "json_object"}` or `{type: "json_schema", ...}`). */
  response_format?: Record<string, unknown>;
  /**
   * Whether the model may call several tools in one turn. Sent on the Responses API
   * (`useResponsesApi: true`), where it is an FMAPI field. Never sent on chat completions, where
   * Databricks endpoints (Claude) refuse it as an extra input (Q4); models there call tools in
   * parallel anyway. The same holds for `parallel_tool_calls` in `extraParams`.
   */
  parallel_tool_calls?: boolean;
}

/** Options of `ChatDatabricks` that no other class has. */
export interface ChatDatabricksOwnOptions {
  /**
   * When streaming, emit one final chunk with `usage_metadata` (the totals, however the server
   * reports them). @default true
   */
  streamUsage?: boolean | undefined;
  /** Make `invoke` stream under the hood (LangChain convention). @default false */
  streaming?: boolean | undefined;
  /**
   * Sent as `stream_options` on streaming requests only; not sent by default because custom and
   * agent endpoints may refuse unknown fields, and Foundation Model APIs report usage without it.
   * Set `{ include_usage: true }` for external OpenAI models, which otherwise report no usage.
   */
  streamOptions?: Record<string, unknown> | undefined;
}

/** Constructor options of {@link ChatDatabricks}. */
export interface ChatDatabricksInput
  extends
    BaseChatModelParams,
    DatabricksLanguageModelOptions,
    DatabricksReasoningOptions,
    DatabricksAgentOptions,
    ChatDatabricksOwnOptions,
    DatabricksChatModelOptions,
    DatabricksResponsesOptions,
    DatabricksGatewayOptions {}

/** Body fields the class owns: an `extraParams` key must not silently replace the conversation. */
const RESERVED_BODY_KEYS = ["messages", "input", "stream"] as const;

function reservedKeyError(key: string, option: string): DatabricksConfigError {
  return new DatabricksConfigError(
    `${option} must not contain \`${key}\`: pass the conversation as the messages of invoke()/stream(), and use .stream() to stream.`,
  );
}

/**
 * The settings of a `ChatDatabricks` instance, read-only: what it was built with and uses on every
 * call (declared once, in the option types). `extraParams` and `modelKwargs` both hold the merged
 * extra fields.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- fields typed once, in the option interfaces
export interface ChatDatabricks
  extends
    DatabricksModelFields,
    Readonly<
      Pick<
        ChatDatabricksInput,
        | "temperature"
        | "maxTokens"
        | "n"
        | "stop"
        | "streamOptions"
        | "thinking"
        | "reasoningEffort"
        | "modelProfile"
        | "customInputs"
        | "context"
        | "returnTrace"
      >
    >,
    Settled<
      Pick<
        ChatDatabricksInput,
        | "extraParams"
        | "modelKwargs"
        | "streamUsage"
        | "streaming"
        | "modelFamily"
        | "useResponsesApi"
        | "useAiGateway"
      >
    > {}

/**
 * LangChain chat model for Databricks Model Serving chat endpoints (Foundation Model APIs,
 * external models, agents), sending OpenAI-style chat bodies to
 * `POST /serving-endpoints/{endpoint}/invocations` through the package's one transport (auth,
 * retries, timeouts), or with `useResponsesApi` the OpenAI Responses API to
 * `POST /serving-endpoints/responses`, and with `useAiGateway` either through the AI Gateway
 * (`utils/paths.ts` `servingRoute`). Supports streaming, tool calling and structured output.
 *
 * Retries happen in the transport only (`maxRetries`, default 3); LangChain's `AsyncCaller` is kept
 * for `maxConcurrency`. A stream that fails after its first byte is never restarted.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class ChatDatabricks extends BaseChatModel<ChatDatabricksCallOptions, AIMessageChunk> {
  static override lc_name(): string {
    return "ChatDatabricks";
  }

  override get lc_secrets(): Record<string, string> {
    return { ...CONNECTION_SECRETS };
  }

  private readonly support: ModelSupport;

  constructor(endpoint: string, fields?: Omit<ChatDatabricksInput, "endpoint" | "model">);
  constructor(fields: ChatDatabricksInput);
  constructor(
    endpointOrFields: string | ChatDatabricksInput,
    maybeFields?: Omit<ChatDatabricksInput, "endpoint" | "model">,
  ) {
    const fields: ChatDatabricksInput =
      typeof endpointOrFields === "string"
        ? { ...maybeFields, endpoint: endpointOrFields }
        : endpointOrFields;
    super(checkModelFields(fields, "ChatDatabricks"));
    const endpoint = resolveEndpoint(fields, "ChatDatabricks");
    if (endpoint === undefined) {
      throw new DatabricksConfigError(
        "ChatDatabricks needs `endpoint`: the name of the serving endpoint to query (aliases `model`, `endpointName`).",
      );
    }
    const generation = settleGenerationOptions(
      fields,
      "the ChatDatabricks options",
      RESERVED_BODY_KEYS,
      reservedKeyError,
    );
    if (fields.modelFamily !== undefined && !MODEL_FAMILIES.includes(fields.modelFamily)) {
      throw new DatabricksConfigError(
        `Unknown modelFamily "${String(fields.modelFamily)}": use one of ${MODEL_FAMILIES.join(", ")}.`,
      );
    }
    const modelFamily = fields.modelFamily ?? guessModelFamily(endpoint);
    // An effort Claude has no budget for fails here rather than on the first call.
    if (fields.reasoningEffort !== undefined && fields.thinking === undefined) {
      if (modelFamily === "claude" && fields.useResponsesApi !== true) {
        claudeThinkingFor(fields.reasoningEffort);
      }
    }
    const useResponsesApi = fields.useResponsesApi ?? false;
    if (useResponsesApi) {
      // Options with no Responses counterpart fail here rather than on the first call.
      refuseUnsupported({
        stop: fields.stop !== undefined && fields.stop.length > 0 ? fields.stop : undefined,
        n: fields.n !== undefined && fields.n !== 1 ? fields.n : undefined,
        thinking: fields.thinking,
        stream_options: fields.streamOptions,
      });
    }
    this.support = new ModelSupport(fields);
    this.support.attach(this, endpoint, {
      ...generation,
      streamUsage: fields.streamUsage ?? true,
      streaming: fields.streaming ?? false,
      streamOptions: fields.streamOptions,
      thinking: fields.thinking,
      reasoningEffort: fields.reasoningEffort,
      modelFamily,
      customInputs: fields.customInputs,
      context: fields.context,
      returnTrace: fields.returnTrace,
      modelProfile: fields.modelProfile,
      useResponsesApi,
      useAiGateway: fields.useAiGateway ?? false,
    });
  }

  /**
   * What the model can do (LangChain's `ModelProfile`; `createAgent` reads it to choose a
   * structured-output strategy), derived from `modelFamily`, with `modelProfile` merged over it.
   * An unknown family claims nothing. Claude with thinking on (the `thinking` or `reasoningEffort`
   * option, or `extraParams.thinking`) has `toolChoice: false`.
   */
  override get profile(): DatabricksModelProfile {
    // The `thinking` actually sent, however it was asked for (option, reasoningEffort, extraParams).
    return modelProfileFor(
      this.modelFamily,
      this.invocationParams()["thinking"],
      this.modelProfile,
    );
  }

  _llmType(): string {
    return "chat-databricks";
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    const params: LangSmithParams = {
      ls_provider: "databricks",
      ls_model_name: this.endpoint,
      ls_model_type: "chat",
    };
    const temperature = options.temperature ?? this.temperature;
    if (temperature !== undefined) params.ls_temperature = temperature;
    const maxTokens = options.maxTokens ?? this.maxTokens;
    if (maxTokens !== undefined) params.ls_max_tokens = maxTokens;
    const stop = options.stop ?? this.stop;
    if (stop !== undefined) params.ls_stop = stop;
    return params;
  }

  /**
   * The wire fields of a request besides `messages` and `stream`: the only place options become
   * wire names. Nothing is `null`, and `stop`/`tools` are never empty. Precedence: instance
   * `extraParams` < call `extraParams` < the named options (instance, then call).
   */
  override invocationParams(options?: Partial<this["ParsedCallOptions"]>): Record<string, unknown> {
    const params: Record<string, unknown> = {
      ...this.extraParams,
      ...callExtraParams(options ?? {}, RESERVED_BODY_KEYS, (key, option) =>
        reservedKeyError(key, `${option} in the call options`),
      ),
    };
    setIfDefined(params, "temperature", options?.temperature ?? this.temperature);
    setIfDefined(params, "max_tokens", options?.maxTokens ?? this.maxTokens);
    if (this.n !== undefined && this.n !== 1) params["n"] = this.n;
    const stop = chatStop(options?.stop, this.stop);
    if (stop) params["stop"] = stop;
    const tools =
      options?.tools && options.tools.length > 0
        ? toOpenAITools(options.tools, options.strict)
        : undefined;
    if (tools) params["tools"] = tools;
    setIfDefined(params, "tool_choice", toWireToolChoice(options?.tool_choice, tools));
    setIfDefined(params, "response_format", options?.response_format);
    // Sent on the Responses API only: `applyWireQuirks` drops it from chat bodies (Q4).
    setIfDefined(params, "parallel_tool_calls", options?.parallel_tool_calls);
    setIfDefined(params, "custom_inputs", options?.customInputs ?? this.customInputs);
    setIfDefined(params, "context", options?.context ?? this.context);
    if (options?.returnTrace ?? this.returnTrace) {
      const given = params["databricks_options"];
      params["databricks_options"] = { ...(isRecord(given) ? given : {}), return_trace: true };
    }
    const thinking = options?.thinking ?? this.thinking;
    const effort = options?.reasoningEffort ?? this.reasoningEffort;
    setIfDefined(params, "thinking", thinking);
    if (effort !== undefined) {
      // Claude refuses `reasoning_effort` on chat: it gets `thinking`, unless that was given
      // explicitly. On the Responses API every model gets `reasoning: {effort}`.
      if (this.modelFamily !== "claude" || this.useResponsesApi)
        params["reasoning_effort"] = effort;
      else if (thinking === undefined) params["thinking"] = claudeThinkingFor(effort);
    }
    return this.useResponsesApi ? toResponsesParams(params) : params;
  }

  override _identifyingParams(): Record<string, unknown> {
    return { endpoint: this.endpoint, host: this.client.host, ...this.invocationParams() };
  }

  /**
   * Serialised form for LangChain's `load`: secrets become `{"type": "secret"}` references and
   * functions (`fetch`, `credentials`) `not_implemented` markers, so loading fails clearly instead
   * of silently dropping them.
   */
  override toJSON(): Serialized {
    return markUnserializableKwargs(super.toJSON(), this.lc_kwargs);
  }

  /** @internal LangChain hook: one request → one chat result (or the stream, when `streaming`). */
  async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    if (this.streaming) {
      let final: ChatGenerationChunk | undefined;
      for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
        final = final ? final.concat(chunk) : chunk;
      }
      const generation = final ?? new ChatGenerationChunk({ text: "", message: emptyChunk() });
      return { generations: [generation], llmOutput: tokenUsageOutput(generation.message) };
    }
    const body = this.requestBody(messages, options, false);
    const route = this.route();
    const { data, headers } = await this.support.requestJson("POST", route.path, body, {
      signal: options.signal,
      maxRetries: options.maxRetries,
    });
    if (this.useResponsesApi) {
      const generation = parseResponsesResponse(data, { headers, request: `POST ${route.path}` });
      return { generations: [generation], llmOutput: tokenUsageOutput(generation.message) };
    }
    const { generations } = parseChatResponse(data, {
      headers,
      stop: chatStop(options.stop, this.stop),
      thinkTags: thinksInTags(this.modelFamily),
    });
    const first = generations[0];
    return { generations, llmOutput: first ? tokenUsageOutput(first.message) : {} };
  }

  /** Where requests go (`utils/paths.ts`): chat or Responses, serving endpoints or AI Gateway. */
  private route(): ServingRoute {
    return servingRoute(
      this.useResponsesApi ? "responses" : "chat",
      this.endpoint,
      this.useAiGateway,
    );
  }

  /**
   * The request body (`model` first when the route needs it, then the conversation as `messages`
   * or Responses `input`), with the model quirks fixed last (`utils/wire_quirks.ts`).
   */
  private requestBody(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    stream: boolean,
  ): JsonRecord {
    const { model } = this.route();
    const body: JsonRecord = {
      ...(model !== undefined ? { model } : {}),
      ...(this.useResponsesApi
        ? { input: toResponsesInput(messages) }
        : { messages: toWireMessages(messages) }),
      ...this.invocationParams(options),
    };
    if (stream) {
      body["stream"] = true;
      if (this.streamOptions) body["stream_options"] = this.streamOptions;
    }
    return applyWireQuirks(body, this.modelFamily, {
      gateway: this.useAiGateway,
      responses: this.useResponsesApi,
    });
  }

  /**
   * @internal LangChain hook: SSE streaming. The request, its retries and the first event run
   * inside the concurrency limiter; after that, a failure is thrown and the stream never restarts.
   * Usage and response metadata (with `served_model_name`) arrive once, in a final empty chunk.
   */
  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    yield* this.support.cancellable(
      this.streamChunks(messages, options, runManager),
      options.signal,
    );
  }

  private async *streamChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const body = this.requestBody(messages, options, true);
    // Filled when the response starts; the assembler reads it for the final metadata chunk.
    const headers: Record<string, string> = {};
    const streamUsage = options.streamUsage ?? this.streamUsage;
    const route = this.route();
    const assembler = this.useResponsesApi
      ? new ResponsesStreamAssembler({ streamUsage, headers, request: `POST ${route.path}` })
      : new ChatStreamAssembler({
          stop: chatStop(options.stop, this.stop),
          streamUsage,
          headers,
          thinkTags: thinksInTags(this.modelFamily),
        });
    const events = this.support.streamJson(route.path, body, {
      signal: options.signal,
      maxRetries: options.maxRetries,
      onResponseHeaders: (received) => Object.assign(headers, received),
      ...(this.useResponsesApi ? { sseRules: RESPONSES_SSE_RULES } : {}),
    });
    for await (const event of events) {
      yield* emitChunks(assembler.push(event), runManager);
      // A stop sequence was seen: closing the connection spares the rest of the generation.
      if (assembler.done) break;
    }
    yield* emitChunks(assembler.finish(), runManager);
  }

  /**
   * Bind tools (LangChain tools, `{name, description, schema}` with a zod or JSON schema, or OpenAI
   * tool dicts) for every call of the returned runnable, keeping callbacks and config. A
   * `tool_choice` naming an unknown tool throws {@link DatabricksConfigError} here.
   */
  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<ChatDatabricksCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, ChatDatabricksCallOptions> {
    const converted: ToolDefinition[] = toOpenAITools(tools, kwargs?.strict);
    // Validate now so a typo fails at bind time, not on the first request.
    toWireToolChoice(kwargs?.tool_choice, converted);
    return this.withConfig({ ...kwargs, tools: converted } as Partial<ChatDatabricksCallOptions>);
  }

  /**
   * Structured output from a zod schema or a JSON schema, by one of three methods:
   * - `functionCalling` (default): a forced tool call, parsed with `JsonOutputKeyToolsParser`;
   *   the default is `jsonSchema` instead when `profile.toolChoice` is false (Claude with
   *   `extraParams.thinking` refuses a forced tool choice);
   * - `jsonMode`: `response_format: {type: "json_object"}`, parsed from the text (describe the
   *   wanted shape in the prompt);
   * - `jsonSchema`: `response_format: {type: "json_schema", json_schema: {name, schema, strict}}`
   *   (`strict` defaults to true, as in the Python successor).
   *
   * With `includeRaw`, returns `{raw, parsed}`; `parsed` is `null` when parsing fails.
   */
  override withStructuredOutput<
    RunOutput extends Record<string, unknown> = Record<string, unknown>,
  >(
    outputSchema:
      InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, unknown>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<
    RunOutput extends Record<string, unknown> = Record<string, unknown>,
  >(
    outputSchema:
      InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, unknown>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput<
    RunOutput extends Record<string, unknown> = Record<string, unknown>,
  >(
    outputSchema:
      InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, unknown>,
    config?: StructuredOutputMethodOptions<boolean>,
  ):
    | Runnable<BaseLanguageModelInput, RunOutput>
    | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }> {
    const spec = structuredSchema(outputSchema, config?.name);
    const method =
      config?.method ?? (this.profile.toolChoice === false ? "jsonSchema" : "functionCalling");
    let llm: Runnable<BaseLanguageModelInput, AIMessageChunk>;
    let parser: Runnable<AIMessageChunk, RunOutput>;
    if (method === "functionCalling") {
      const fn: JsonRecord = { name: spec.name, parameters: spec.jsonSchema };
      if (spec.description !== undefined) fn["description"] = spec.description;
      llm = this.bindTools([{ type: "function", function: fn }], {
        tool_choice: spec.name,
        ...(config?.strict !== undefined ? { strict: config.strict } : {}),
      });
      parser = new JsonOutputKeyToolsParser<RunOutput>({
        returnSingle: true,
        keyName: spec.name,
        ...(spec.zod ? { zodSchema: spec.zod } : {}),
      }) as unknown as Runnable<AIMessageChunk, RunOutput>;
    } else if (method === "jsonMode" || method === "jsonSchema") {
      const responseFormat =
        method === "jsonMode"
          ? { type: "json_object" }
          : {
              type: "json_schema",
              json_schema: {
                name: spec.name,
                ...(spec.description !== undefined ? { description: spec.description } : {}),
                schema: spec.jsonSchema,
                strict: config?.strict ?? true,
              },
            };
      llm = this.withConfig({
        response_format: responseFormat,
      } as Partial<ChatDatabricksCallOptions>);
      parser = (spec.zod
        ? StructuredOutputParser.fromZodSchema(spec.zod)
        : new JsonOutputParser<RunOutput>()) as unknown as Runnable<AIMessageChunk, RunOutput>;
    } else {
      throw new DatabricksConfigError(
        `Unknown structured output method "${String(method)}": use "functionCalling", "jsonMode" or "jsonSchema".`,
      );
    }
    if (!config?.includeRaw) {
      return llm.pipe(parser).withConfig({ runName: "ChatDatabricksStructuredOutput" });
    }
    // The @langchain/openai pattern: `parsed` falls back to null when the parser throws.
    const parserAssign = RunnablePassthrough.assign({
      parsed: (input: Record<string, unknown>, runConfig?: RunnableConfig) =>
        parser.invoke(input["raw"] as AIMessageChunk, runConfig) as Promise<unknown>,
    });
    const parserNone = RunnablePassthrough.assign({ parsed: (): unknown => null });
    const parsedWithFallback = parserAssign.withFallbacks({ fallbacks: [parserNone] });
    const sequence = RunnableSequence.from([{ raw: llm }, parsedWithFallback]);
    return sequence.withConfig({
      runName: "ChatDatabricksStructuredOutput",
    }) as unknown as Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  }
}

/** A schema for `withStructuredOutput`, normalised: name, description, JSON schema, zod if any. */
function structuredSchema(
  schema: InteropZodType | SerializableSchema | Record<string, unknown>,
  explicitName: string | undefined,
): {
  name: string;
  description: string | undefined;
  jsonSchema: JsonRecord;
  zod: InteropZodType | undefined;
} {
  if (isInteropZodSchema(schema) || isSerializableSchema(schema)) {
    const jsonSchema = (
      isInteropZodSchema(schema) ? toJsonSchema(schema) : standardJsonSchema(schema)
    ) as JsonRecord;
    const description =
      typeof jsonSchema["description"] === "string" ? jsonSchema["description"] : undefined;
    // Standard (non-zod) schemas are converted to JSON schema but not validated after parsing.
    const zod = isInteropZodSchema(schema) ? schema : undefined;
    return { name: explicitName ?? "extract", description, jsonSchema, zod };
  }
  const record = schema as Record<string, unknown>;
  // An OpenAI function definition (`{name, description, parameters}`) or a plain JSON schema.
  if (typeof record["name"] === "string" && isRecord(record["parameters"])) {
    return {
      name: explicitName ?? record["name"],
      description: typeof record["description"] === "string" ? record["description"] : undefined,
      jsonSchema: record["parameters"],
      zod: undefined,
    };
  }
  return {
    name: explicitName ?? (typeof record["title"] === "string" ? record["title"] : "extract"),
    description: typeof record["description"] === "string" ? record["description"] : undefined,
    jsonSchema: record,
    zod: undefined,
  };
}

/**
 * Q17: DeepSeek-R1-style models think inside a leading `<think>` span of their text. Custom-named
 * endpoints opt in with `modelFamily: "deepseek"`.
 */
function thinksInTags(family: ModelFamily): boolean {
  return family === "deepseek";
}

function emptyChunk(): AIMessageChunk {
  return new AIMessageChunk({ content: "" });
}

/** `llmOutput.tokenUsage` in the camelCase shape LangChain callbacks read. */
function tokenUsageOutput(message: BaseMessage): Record<string, unknown> {
  const usage = (message as { usage_metadata?: UsageMetadata | undefined }).usage_metadata;
  if (!usage) return {};
  return {
    tokenUsage: {
      promptTokens: usage.input_tokens,
      completionTokens: usage.output_tokens,
      totalTokens: usage.total_tokens,
    },
  };
}

/** Yield each chunk and report it to the callbacks as a new token. */
async function* emitChunks(
  chunks: Iterable<ChatGenerationChunk>,
  runManager: CallbackManagerForLLMRun | undefined,
): AsyncGenerator<ChatGenerationChunk> {
  for (const chunk of chunks) {
    yield chunk;
    await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, {
      chunk,
    });
  }
}
