/**
 * The contenders: one factory per client, each returning a function that makes one call (or one
 * stream) against the bench server. Every client is built once, outside the timed loop, with its
 * library defaults (retries included: they cost nothing on the success path), except what the
 * server needs (base URL, key, model name).
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { ChatOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { request as undiciRequest } from "undici";
import { ChatDatabricks, Databricks } from "langchain-databricks";
import { ANSWER_TEXT, TOKEN } from "./fixtures.js";
import { createDatabricksClient } from "../packages/langchain-databricks/src/options.js";

const MESSAGES = [{ role: "user" as const, content: "Hello" }];
const CHAT_BODY = JSON.stringify({ model: "bench", messages: MESSAGES });
const JSON_HEADERS = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

/** One request → the answer's text. */
export type Call = () => Promise<string>;
/** One stream → its text pieces (every chunk a client yields counts, usage-only chunks too). */
export type Stream = () => AsyncIterable<unknown>;

export interface CallContender {
  name: string;
  /** "ours", a floor, or a decomposition aid: shown in the tables. */
  group: "floor" | "incumbent" | "ours" | "reference";
  create(url: string): Call;
}

export interface StreamContender {
  name: string;
  group: "floor" | "incumbent" | "ours" | "reference";
  create(url: string, chunks: number): Stream;
}

function chatUrl(url: string): string {
  return `${url}/serving-endpoints/bench/invocations`;
}

export function textOfChat(data: unknown): string {
  const choices = (data as { choices?: { message?: { content?: string } }[] }).choices;
  return choices?.[0]?.message?.content ?? "";
}

/** A LangChain `LLM` whose `_call` is one `undici.request`: LangChain core on the leanest transport. */
class MinimalUndiciLLM extends LLM {
  constructor(private readonly endpoint: string) {
    super({});
  }
  _llmType(): string {
    return "bench-minimal-undici";
  }
  async _call(prompt: string): Promise<string> {
    const res = await undiciRequest(this.endpoint, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ prompt }),
    });
    const data = (await res.body.json()) as { choices?: { text?: string }[] };
    return data.choices?.[0]?.text ?? "";
  }
}

/** No I/O at all: what LangChain core's `LLM.invoke` machinery costs by itself. */
export class NoIoLLM extends LLM {
  _llmType(): string {
    return "bench-no-io";
  }
  async _call(): Promise<string> {
    return ANSWER_TEXT;
  }
}

/** No I/O at all: what LangChain core's `BaseChatModel.invoke` machinery costs by itself. */
export class NoIoChatModel extends BaseChatModel {
  _llmType(): string {
    return "bench-no-io-chat";
  }
  async _generate(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    return { generations: [{ text: ANSWER_TEXT, message: new AIMessage(ANSWER_TEXT) }] };
  }
}

/**
 * No I/O: a chat model whose stream yields `chunks` text chunks built in memory, the least any
 * LangChain chat model pays per chunk through `.stream()` (one `AIMessageChunk` and one
 * `ChatGenerationChunk` per chunk, plus core's own per-chunk work: the aggregate it keeps for the
 * end-of-run callbacks and the callback configuration of every step).
 */
export class NoIoStreamingChatModel extends BaseChatModel {
  constructor(private readonly chunks: number) {
    super({});
  }
  _llmType(): string {
    return "bench-no-io-stream";
  }
  async _generate(): Promise<ChatResult> {
    return { generations: [{ text: ANSWER_TEXT, message: new AIMessage(ANSWER_TEXT) }] };
  }
  override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
    for (let i = 0; i < this.chunks; i++) {
      yield new ChatGenerationChunk({
        text: "tok ",
        message: new AIMessageChunk({ content: "tok " }),
      });
    }
  }
}

export const CALL_CONTENDERS: CallContender[] = [
  {
    name: "global `fetch` + `res.json()`",
    group: "floor",
    create: (url) => {
      const endpoint = chatUrl(url);
      return async () => {
        const res = await fetch(endpoint, {
          method: "POST",
          headers: JSON_HEADERS,
          body: CHAT_BODY,
        });
        return textOfChat(await res.json());
      };
    },
  },
  {
    name: "`undici.request` + `body.json()`",
    group: "floor",
    create: (url) => {
      const endpoint = chatUrl(url);
      return async () => {
        const res = await undiciRequest(endpoint, {
          method: "POST",
          headers: JSON_HEADERS,
          body: CHAT_BODY,
        });
        return textOfChat(await res.body.json());
      };
    },
  },
  {
    name: "`openai` `chat.completions.create`",
    group: "incumbent",
    create: (url) => {
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${url}/serving-endpoints` });
      return async () => {
        const res = await client.chat.completions.create({ model: "bench", messages: MESSAGES });
        return res.choices[0]?.message.content ?? "";
      };
    },
  },
  {
    name: "`ChatOpenAI.invoke`",
    group: "incumbent",
    create: (url) => {
      const chat = new ChatOpenAI({
        model: "bench",
        apiKey: TOKEN,
        configuration: { baseURL: `${url}/serving-endpoints` },
      });
      return async () => (await chat.invoke("Hello")).text;
    },
  },
  {
    name: "**`ChatDatabricks.invoke`**",
    group: "ours",
    create: (url) => {
      const chat = new ChatDatabricks({ model: "bench", host: url, token: TOKEN });
      return async () => (await chat.invoke("Hello")).text;
    },
  },
  {
    name: "**`Databricks.invoke`** (`task: llm/v1/completions`)",
    group: "ours",
    create: (url) => {
      const llm = new Databricks({
        endpointName: "bench",
        task: "llm/v1/completions",
        host: url,
        token: TOKEN,
      });
      return () => llm.invoke("Hello");
    },
  },
  {
    name: "ref: minimal `LLM` subclass on `undici.request`",
    group: "reference",
    create: (url) => {
      const llm = new MinimalUndiciLLM(chatUrl(url));
      return () => llm.invoke("Hello");
    },
  },
  {
    name: "ref: our transport alone (`DatabricksClient.requestJson`)",
    group: "reference",
    create: (url) => {
      const { client } = createDatabricksClient({ host: url, token: TOKEN });
      return async () => {
        const { data } = await client.requestJson("POST", "/serving-endpoints/bench/invocations", {
          messages: MESSAGES,
        });
        return textOfChat(data);
      };
    },
  },
];

/** A deliberately simple SSE parser (split on blank lines, `JSON.parse` each `data:`), the floor. */
async function* simpleSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let start = 0;
    for (let end = buffer.indexOf("\n\n", start); end !== -1; end = buffer.indexOf("\n\n", start)) {
      const frame = buffer.slice(start, end);
      start = end + 2;
      if (!frame.startsWith("data: ")) continue;
      const data = frame.slice(6);
      if (data === "[DONE]") return;
      yield JSON.parse(data) as unknown;
    }
    buffer = buffer.slice(start);
  }
}

async function* readerChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

function streamBody(chunks: number): string {
  return JSON.stringify({ model: "bench", messages: MESSAGES, stream: true, max_tokens: chunks });
}

export const STREAM_CONTENDERS: StreamContender[] = [
  {
    name: "ref: no-I/O `BaseChatModel.stream` (core only)",
    group: "reference",
    create: (_url, chunks) => {
      const chat = new NoIoStreamingChatModel(chunks);
      return async function* () {
        yield* await chat.stream("Hello");
      };
    },
  },
  {
    name: "`fetch` + simple SSE parser",
    group: "floor",
    create: (url, chunks) => {
      const endpoint = chatUrl(url);
      const body = streamBody(chunks);
      return async function* () {
        const res = await fetch(endpoint, { method: "POST", headers: JSON_HEADERS, body });
        if (!res.body) throw new Error("no body");
        yield* simpleSse(readerChunks(res.body));
      };
    },
  },
  {
    name: "`undici.request` + simple SSE parser",
    group: "floor",
    create: (url, chunks) => {
      const endpoint = chatUrl(url);
      const body = streamBody(chunks);
      return async function* () {
        const res = await undiciRequest(endpoint, { method: "POST", headers: JSON_HEADERS, body });
        yield* simpleSse(res.body);
      };
    },
  },
  {
    name: "`openai` stream",
    group: "incumbent",
    create: (url, chunks) => {
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${url}/serving-endpoints` });
      return async function* () {
        yield* await client.chat.completions.create({
          model: "bench",
          messages: MESSAGES,
          max_tokens: chunks,
          stream: true,
        });
      };
    },
  },
  {
    name: "`ChatOpenAI.stream`",
    group: "incumbent",
    create: (url, chunks) => {
      const chat = new ChatOpenAI({
        model: "bench",
        apiKey: TOKEN,
        maxTokens: chunks,
        configuration: { baseURL: `${url}/serving-endpoints` },
      });
      return async function* () {
        yield* await chat.stream("Hello");
      };
    },
  },
  {
    name: "**`ChatDatabricks.stream`**",
    group: "ours",
    create: (url, chunks) => {
      const chat = new ChatDatabricks({
        model: "bench",
        host: url,
        token: TOKEN,
        maxTokens: chunks,
      });
      return async function* () {
        yield* await chat.stream("Hello");
      };
    },
  },
  {
    name: "**`Databricks.stream`** (`llm/v1/completions`)",
    group: "ours",
    create: (url, chunks) => {
      const llm = new Databricks({
        endpointName: "bench",
        task: "llm/v1/completions",
        host: url,
        token: TOKEN,
        maxTokens: chunks,
      });
      return async function* () {
        yield* await llm.stream("Hello");
      };
    },
  },
];
