import { AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DatabricksConfigError } from "../../src/errors.js";
import { chatCompletion, chatModel, chunk, json, sse, useTestServer, toolCall } from "./helpers.js";

const server = useTestServer(() => structuredHandler());

const zodSchema = z.object({ city: z.string(), days: z.number() }).describe("A trip to plan");
const jsonSchema = {
  title: "trip",
  description: "A trip to plan",
  type: "object",
  properties: { city: { type: "string" }, days: { type: "number" } },
  required: ["city", "days"],
};
const trip = { city: "Paris", days: 3 };

/** Answer tool calls for functionCalling, JSON text for the two response_format methods. */
function structuredHandler(textAnswer = JSON.stringify(trip)) {
  return (req: { body: Record<string, unknown> }, res: Parameters<typeof json>[0]) => {
    const tools = req.body["tools"] as { function: { name: string } }[] | undefined;
    if (tools) {
      const name = tools[0]?.function.name ?? "";
      return json(
        res,
        chatCompletion(null, {
          finish_reason: "tool_calls",
          tool_calls: [toolCall("call_1", name, trip)],
        }),
      );
    }
    return json(res, chatCompletion(textAnswer));
  };
}

const schemas: [string, Record<string, unknown> | typeof zodSchema, string][] = [
  ["zod", zodSchema, "extract"],
  ["JSON schema", jsonSchema, "trip"],
];
const methods = ["functionCalling", "jsonMode", "jsonSchema"] as const;

/** What each method puts on the wire, and the field it must not send. */
function expectedWire(
  method: (typeof methods)[number],
  name: string,
): { present: Record<string, unknown>; absent: string } {
  switch (method) {
    case "functionCalling":
      return {
        present: {
          tools: [{ type: "function", function: { name, description: "A trip to plan" } }],
          tool_choice: { type: "function", function: { name } },
        },
        absent: "response_format",
      };
    case "jsonMode":
      return { present: { response_format: { type: "json_object" } }, absent: "tools" };
    case "jsonSchema":
      return {
        present: {
          response_format: {
            type: "json_schema",
            json_schema: {
              name,
              strict: true,
              schema: { type: "object", properties: { city: { type: "string" } } },
            },
          },
        },
        absent: "tools",
      };
  }
}

describe("ChatDatabricks withStructuredOutput", () => {
  for (const [label, schema, defaultName] of schemas) {
    for (const method of methods) {
      it(`${method} with a ${label} schema returns the parsed object`, async () => {
        const structured = chatModel(server).withStructuredOutput(schema, { method });
        expect(await structured.invoke("plan a trip")).toEqual(trip);
        const body = server.bodies()[0] ?? {};
        const expected = expectedWire(method, defaultName);
        expect(body).toMatchObject(expected.present);
        expect(body).not.toHaveProperty(expected.absent);
      });

      it(`${method} with a ${label} schema and includeRaw returns {raw, parsed}`, async () => {
        const structured = chatModel(server).withStructuredOutput(schema, {
          method,
          includeRaw: true,
        });
        const out = await structured.invoke("plan a trip");
        expect(out.parsed).toEqual(trip);
        expect(AIMessageChunk.isInstance(out.raw)).toBe(true);
      });
    }
  }

  it("uses the given name for the tool and the json_schema", async () => {
    await chatModel(server).withStructuredOutput(zodSchema, { name: "Trip" }).invoke("x");
    await chatModel(server)
      .withStructuredOutput(zodSchema, { name: "Trip", method: "jsonSchema" })
      .invoke("x");
    expect(server.bodies()[0]).toMatchObject({ tools: [{ function: { name: "Trip" } }] });
    expect(server.bodies()[1]?.["response_format"]).toMatchObject({
      json_schema: { name: "Trip" },
    });
  });

  it("includeRaw: parsed is null when the answer does not parse; without it, the parse error surfaces", async () => {
    server.setHandler(structuredHandler("not json at all"));
    const raw = await chatModel(server)
      .withStructuredOutput(zodSchema, { method: "jsonMode", includeRaw: true })
      .invoke("x");
    expect(raw.parsed).toBeNull();
    expect(raw.raw.content).toBe("not json at all");
    await expect(
      chatModel(server).withStructuredOutput(zodSchema, { method: "jsonMode" }).invoke("x"),
    ).rejects.toThrow(/parse/i);
  });

  it("zod validation applies (a wrong type is rejected)", async () => {
    server.setHandler(structuredHandler(JSON.stringify({ city: "Paris", days: "three" })));
    await expect(
      chatModel(server).withStructuredOutput(zodSchema, { method: "jsonSchema" }).invoke("x"),
    ).rejects.toThrow(/days/);
  });

  it("works when streaming (tool-call chunks are merged before parsing)", async () => {
    server.setHandler((_req, res) =>
      sse(res, [
        chunk({
          role: "assistant",
          tool_calls: [
            {
              index: 0,
              id: "c1",
              type: "function",
              function: { name: "extract", arguments: '{"city":' },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris","days":3}' } }] }),
        chunk({}, { finish_reason: "tool_calls" }),
      ]),
    );
    const structured = chatModel(server, { streaming: true }).withStructuredOutput(zodSchema);
    expect(await structured.invoke("x")).toEqual(trip);
  });

  it("an unknown method is a clear error", () => {
    expect(() => chatModel(server).withStructuredOutput(zodSchema, { method: "xml" })).toThrow(
      DatabricksConfigError,
    );
  });
});
