// Real calls through the built library against an emulator, as a user's program would make them.
// tests/package/oldest_core.test.ts copies this file into a directory whose node_modules holds the
// library's dist, undici, zod, and `@langchain/core` pointing at the version under test, then runs
// `node smoke.mjs esm|cjs` with EMULATOR_URL and EMULATOR_TOKEN set. It prints one JSON line.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";

const format = process.argv[2];
assert.ok(format === "esm" || format === "cjs", "usage: node smoke.mjs esm|cjs");
const host = process.env["EMULATOR_URL"];
const token = process.env["EMULATOR_TOKEN"];
assert.ok(host && token, "EMULATOR_URL and EMULATOR_TOKEN must be set");

const require = createRequire(import.meta.url);
// `cjs` loads the library's CommonJS build, which in turn `require`s core's CommonJS build.
const load = format === "cjs" ? async (id) => require(id) : (id) => import(id);

const { Databricks, ChatDatabricks, DatabricksEmbeddings } = await load("langchain-databricks");
const { AIMessage, AIMessageChunk, BaseMessage } = await load("@langchain/core/messages");
const { tool } = await load("@langchain/core/tools");
const { z } = await load("zod");

/** The `@langchain/core` the library itself resolves, found from the library's own file. */
function coreSeenByLibrary() {
  const fromLibrary = createRequire(require.resolve("langchain-databricks"));
  let dir = dirname(fromLibrary.resolve("@langchain/core/messages"));
  for (;;) {
    const file = join(dir, "package.json");
    try {
      const pkg = JSON.parse(readFileSync(file, "utf8"));
      if (pkg.name === "@langchain/core") return { version: pkg.version, dir };
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = dirname(dir);
    assert.notEqual(parent, dir, "@langchain/core not found above the library");
    dir = parent;
  }
}

const results = {};

const llm = new Databricks({ host, token, endpointName: "dolly" });
const completion = await llm.invoke("How are you?");
assert.equal(typeof completion, "string");
assert.ok(completion.length > 0);
results.llmInvoke = completion.length;

const chat = new ChatDatabricks({ host, token, model: "databricks-llama", maxTokens: 30 });
const answer = await chat.invoke("Tell me about Paris");
// instanceof proves the library built its message with the very core module loaded here (before
// core 1.4, an AIMessageChunk, which invoke may return, is not an instanceof AIMessage).
assert.ok(answer instanceof BaseMessage, "invoke returns a message of the loaded core");
assert.ok(AIMessage.isInstance(answer), "an AI message");
assert.ok(String(answer.content).length > 0);
results.chatInvoke = String(answer.content).length;

const chunks = [];
for await (const chunk of await chat.stream("Tell me about rivers")) {
  assert.ok(chunk instanceof AIMessageChunk, "stream yields AIMessageChunks of the loaded core");
  chunks.push(chunk);
}
assert.ok(chunks.filter((c) => c.content !== "").length > 1, "several content chunks");
results.chatStreamChunks = chunks.length;

const weather = tool(async ({ city }) => `Sunny in ${city}`, {
  name: "get_weather",
  description: "The weather in a city",
  schema: z.object({ city: z.string() }),
});
const called = await chat
  .bindTools([weather], { tool_choice: "get_weather" })
  .invoke("Weather in Paris?");
assert.equal(called.tool_calls?.[0]?.name, "get_weather");
assert.equal(typeof called.tool_calls[0].args.city, "string");
results.toolCall = called.tool_calls[0].name;

const plan = z.object({ city: z.string(), days: z.number() }).describe("A trip plan");
const structured = await chat.withStructuredOutput(plan, { name: "plan" }).invoke("Plan a trip");
assert.equal(typeof structured.city, "string");
assert.equal(typeof structured.days, "number");
results.structuredOutput = Object.keys(structured).sort().join(",");
// The model profile getter works on cores whose BaseChatModel has no `profile` of its own.
assert.equal(chat.profile.toolCalling, true);

const embeddings = new DatabricksEmbeddings({ host, token, endpoint: "databricks-embeddings" });
const vector = await embeddings.embedQuery("hello world");
assert.ok(vector.length > 0 && vector.every((x) => typeof x === "number"));
results.embedQuery = vector.length;

const core = coreSeenByLibrary();
process.stdout.write(`${JSON.stringify({ format, core, results })}\n`);
