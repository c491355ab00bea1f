import type { AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import type { DatabricksAPIError } from "../../src/errors.js";
import { DatabricksConnectionError, DatabricksServerError } from "../../src/errors.js";
import { chatModel, chunk, json, sleep, sse, useTestServer, textChunks } from "./helpers.js";

const server = useTestServer(() => (_req, res) => sse(res, textChunks(["Hel", "lo", " world"])));

async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk[]> {
  const out: AIMessageChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

function merge(chunks: readonly AIMessageChunk[]): AIMessageChunk {
  const [first, ...rest] = chunks;
  if (!first) throw new Error("no chunks");
  return rest.reduce((acc, c) => acc.concat(c), first);
}

const usageChunks = (chunks: readonly AIMessageChunk[]) =>
  chunks.filter((c) => c.usage_metadata !== undefined);

describe("ChatDatabricks streaming", () => {
  it("streams tokens as they arrive, with stream: true on the wire", async () => {
    const chunks = await collect(await chatModel(server).stream("hi"));
    expect(chunks.map((c) => c.content).filter((c) => c !== "")).toEqual(["Hel", "lo", " world"]);
    expect(server.bodies()[0]).toMatchObject({
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(server.bodies()[0]).not.toHaveProperty("stream_options");
    expect(server.requests[0]?.headers["accept"]).toBe("text/event-stream");
  });

  it("sends stream_options only when configured", async () => {
    await collect(await chatModel(server, { streamOptions: { include_usage: true } }).stream("hi"));
    expect(server.bodies()[0]?.["stream_options"]).toEqual({ include_usage: true });
  });

  it("merged chunks carry response metadata once (no string doubling)", async () => {
    const merged = merge(await collect(await chatModel(server).stream("hi")));
    expect(merged.content).toBe("Hello world");
    expect(merged.response_metadata).toMatchObject({ model_name: "test-model", id: "chatcmpl-s" });
  });

  const usageStyles: [string, unknown[]][] = [
    [
      "usage only at the end",
      [
        ...textChunks(["a", "b"]),
        chunk(
          {},
          {
            finish_reason: "stop",
            usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
          },
        ),
      ],
    ],
    [
      "cumulative usage on every chunk (pay-per-token)",
      [
        chunk(
          { role: "assistant", content: "a" },
          { usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } },
        ),
        chunk(
          { content: "b" },
          { usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } },
        ),
        chunk(
          {},
          {
            finish_reason: "stop",
            usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
          },
        ),
      ],
    ],
    [
      "OpenAI-style trailing chunk with empty choices",
      [
        ...textChunks(["a", "b"]),
        chunk({}, { finish_reason: "stop" }),
        {
          id: "chatcmpl-s",
          choices: [],
          usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
        },
      ],
    ],
  ];
  for (const [style, events] of usageStyles) {
    it(`emits exactly one usage chunk equal to the totals: ${style}`, async () => {
      server.setHandler((_req, res) => sse(res, events));
      const chunks = await collect(await chatModel(server).stream("hi"));
      expect(usageChunks(chunks)).toHaveLength(1);
      const merged = merge(chunks);
      expect(merged.usage_metadata).toMatchObject({
        input_tokens: 4,
        output_tokens: 2,
        total_tokens: 6,
      });
      expect(usageChunks(chunks)[0]?.usage_metadata).toEqual({
        input_tokens: 4,
        output_tokens: 2,
        total_tokens: 6,
      });
      expect(merged.content).toBe("ab");
      expect(merged.response_metadata["finish_reason"]).toBe("stop");
      // invoke() with streaming: true consumes the same stream and reports the same totals.
      const viaInvoke = await chatModel(server, { streaming: true }).invoke("hi");
      expect(viaInvoke.usage_metadata).toMatchObject({
        input_tokens: 4,
        output_tokens: 2,
        total_tokens: 6,
      });
      expect(viaInvoke.content).toBe("ab");
    });
  }

  it("streamUsage: false (instance or call option) emits no usage chunk", async () => {
    server.setHandler((_req, res) => sse(res, usageStyles[1]?.[1] ?? []));
    expect(
      usageChunks(await collect(await chatModel(server, { streamUsage: false }).stream("hi"))),
    ).toHaveLength(0);
    expect(
      usageChunks(await collect(await chatModel(server).stream("hi", { streamUsage: false }))),
    ).toHaveLength(0);
  });

  it("streamed tool-call pieces merge into complete tool calls (parallel calls by index)", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({
          role: "assistant",
          content: null,
          tool_calls: [
            {
              index: 0,
              id: "call_a",
              type: "function",
              function: { name: "get_weather", arguments: "" },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
        chunk({
          tool_calls: [
            {
              index: 1,
              id: "call_b",
              type: "function",
              function: { name: "get_time", arguments: '{"tz":' },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }] }),
        chunk({}, { finish_reason: "tool_calls" }),
      ]),
    );
    const chunks = await collect(await chatModel(server).stream("hi"));
    expect(chunks.some((c) => (c.tool_call_chunks?.length ?? 0) > 0)).toBe(true);
    const merged = merge(chunks);
    expect(merged.tool_calls).toEqual([
      { id: "call_a", name: "get_weather", args: { city: "Paris" }, type: "tool_call" },
      { id: "call_b", name: "get_time", args: { tz: "UTC" }, type: "tool_call" },
    ]);
    expect(merged.response_metadata["finish_reason"]).toBe("tool_calls");
  });

  it("cuts at a stop sequence split across chunks and closes the stream early", async () => {
    let closedEarly = false;
    server.setHandler(async (_req, res) => {
      res.on("close", () => {
        if (!res.writableFinished) closedEarly = true;
      });
      await sse(
        res,
        [
          ...textChunks(["one tw", "o ST", "OP three", " four"]),
          ...Array.from({ length: 20 }, () => chunk({ content: " more" })),
        ],
        { delayMs: 20 },
      );
    });
    const chunks = await collect(await chatModel(server, { stop: ["STOP"] }).stream("hi"));
    const merged = merge(chunks);
    expect(merged.content).toBe("one two ");
    expect(merged.response_metadata["finish_reason"]).toBe("stop");
    await sleep(50);
    expect(closedEarly).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("call-time stop wins over the instance stop when streaming too", async () => {
    server.setHandler((_req, res) => sse(res, textChunks(["a X b Y c"])));
    const merged = merge(
      await collect(await chatModel(server, { stop: ["X"] }).stream("hi", { stop: ["Y"] })),
    );
    expect(merged.content).toBe("a X b ");
    expect(server.bodies()[0]?.["stop"]).toEqual(["Y"]);
  });

  it("a stream broken after text was yielded raises and is never restarted", async () => {
    server.setHandler((_req, res) => sse(res, textChunks(["a", "b", "c", "d"]), { cutAfter: 2 }));
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const c of await chatModel(server, { maxRetries: 3 }).stream("hi"))
          seen.push(String(c.content));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect(seen).toEqual(["a", "b"]);
    expect(server.requests).toHaveLength(1);
  });

  it("a stream ending without [DONE] is an error, not a silent truncation", async () => {
    server.setHandler((_req, res) => sse(res, textChunks(["a"]), { done: false }));
    await expect(collect(await chatModel(server).stream("hi"))).rejects.toThrow(/before \[DONE\]/);
    await expect(chatModel(server, { streaming: true }).invoke("hi")).rejects.toBeInstanceOf(
      DatabricksConnectionError,
    );
  });

  it("an error object mid-stream is a DatabricksAPIError", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        ...textChunks(["a"]),
        { error: { message: "model overloaded", type: "server_error" } },
      ]),
    );
    const error = await collect(await chatModel(server).stream("hi")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksServerError);
    expect((error as DatabricksAPIError).serverMessage).toBe("model overloaded");
    expect(server.requests).toHaveLength(1);
  });

  it("an error before the first byte is retried", async () => {
    server.setHandler((_req, res, n) =>
      n < 2
        ? json(res, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow" }, 429, {
            "retry-after": "0",
          })
        : sse(res, textChunks(["ok"])),
    );
    const merged = merge(await collect(await chatModel(server).stream("hi")));
    expect(merged.content).toBe("ok");
    expect(server.requests).toHaveLength(3);
  });

  it("an already-aborted signal yields nothing and sends nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const c of await chatModel(server).stream("hi", { signal: controller.signal }))
          seen.push(c);
      })(),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).toHaveLength(0);
    expect(server.requests).toHaveLength(0);
  });

  it("aborting mid-stream rejects and closes the connection", async () => {
    server.setHandler((_req, res) =>
      sse(res, textChunks(Array.from({ length: 50 }, (_, i) => `t${i} `)), { delayMs: 20 }),
    );
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const c of await chatModel(server).stream("hi", { signal: controller.signal })) {
          seen.push(String(c.content));
          if (seen.length === 2) controller.abort();
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ name: "AbortError" });
    expect(seen.length).toBeLessThan(5);
    await sleep(50);
    expect(server.inFlight()).toBe(0);
  });

  it("breaking out of the loop closes the connection", async () => {
    server.setHandler((_req, res) =>
      sse(res, textChunks(Array.from({ length: 50 }, (_, i) => `t${i} `)), { delayMs: 20 }),
    );
    for await (const c of await chatModel(server).stream("hi")) {
      expect(c.content).toBe("t0 ");
      break;
    }
    await sleep(60);
    expect(server.inFlight()).toBe(0);
  });

  it("reads ChatAgent stream chunks ({delta} without choices) and custom_outputs", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        { delta: { role: "assistant", content: "Hi", id: "m1" } },
        { delta: { role: "assistant", content: " there", id: "m1" }, custom_outputs: { k: "v" } },
      ]),
    );
    const merged = merge(await collect(await chatModel(server).stream("hi")));
    expect(merged.content).toBe("Hi there");
    expect(merged.additional_kwargs["custom_outputs"]).toEqual({ k: "v" });
  });

  it("keeps streamed content parts (reasoning) as blocks", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({
          role: "assistant",
          content: [{ type: "reasoning", summary: [{ type: "summary_text", text: "hmm" }] }],
        }),
        chunk({ content: "answer" }),
      ]),
    );
    const chunks = await collect(await chatModel(server).stream("hi"));
    expect(chunks[0]?.content).toEqual([{ type: "reasoning", reasoning: "hmm", index: 0 }]);
  });

  it("works with streamEvents (v2) and calls handleLLMNewToken per chunk", async () => {
    const model = chatModel(server);
    const kinds: Record<string, number> = {};
    for await (const event of model.streamEvents("hi", { version: "v2" })) {
      kinds[event.event] = (kinds[event.event] ?? 0) + 1;
    }
    expect(kinds["on_chat_model_start"]).toBe(1);
    expect(kinds["on_chat_model_stream"]).toBeGreaterThanOrEqual(3);
    expect(kinds["on_chat_model_end"]).toBe(1);
    expect(server.bodies()[0]?.["stream"]).toBe(true);
    const streamed: string[] = [];
    await collect(
      await chatModel(server).stream("hi", {
        callbacks: [{ handleLLMNewToken: (t: string) => void streamed.push(t) }],
      }),
    );
    expect(streamed.join("")).toBe("Hello world");
  });
});
