/**
 * A LangChain v1 agent on Databricks: `createAgent` with a tool and a `responseFormat`, run on a
 * reasoning model with thinking (Claude on chat completions) and on an agent endpoint. `npm run
 * demo` runs it against the local emulator; against a real workspace, set DATABRICKS_HOST /
 * DATABRICKS_TOKEN and run `npx tsx examples/agent_run.ts` (the endpoint names are options).
 */
import { pathToFileURL } from "node:url";
import { AIMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { createAgent, tool } from "langchain";
import { z } from "zod";
import { ChatDatabricks, type ChatDatabricksInput } from "langchain-databricks";

/** What the agent must return, whatever the model. */
export const WeatherReport = z.object({
  city: z.string().describe("The city asked about"),
  temperatureC: z.number().describe("The temperature in degrees Celsius"),
  summary: z.string().describe("One sentence for the user"),
});

/** The tool the agent calls: a stand-in for a real weather service. */
export const getWeather = tool(
  ({ city }: { city: string }) => `It is 21 degrees and sunny in ${city}.`,
  {
    name: "get_weather",
    description: "The current weather of a city.",
    schema: z.object({ city: z.string().describe("The city name") }),
  },
);

/** One agent run as it happened: reasoning shown, tools called, and the structured answer. */
export interface AgentRun {
  title: string;
  code: string;
  reasoning: string[];
  toolCalls: string[];
  toolResults: string[];
  structuredResponse: z.infer<typeof WeatherReport>;
}

/** Which endpoints the runs use. Host and credentials come from the environment (unified auth). */
export interface AgentRunOptions {
  /** A Claude endpoint queried with extended thinking. @default "databricks-claude-sonnet-4-5" */
  claudeEndpoint?: string;
  /** A ResponsesAgent endpoint (`agent/v1/responses`). @default "responses-agent" */
  responsesAgentEndpoint?: string;
  /** Sees each run as soon as it finished. */
  onRun?: (run: AgentRun) => void;
}

const QUESTION = "What is the weather in Paris?";

async function runAgent(
  title: string,
  code: string,
  fields: ChatDatabricksInput,
): Promise<AgentRun> {
  const agent = createAgent({
    model: new ChatDatabricks(fields),
    tools: [getWeather],
    responseFormat: WeatherReport,
  });
  // A model that keeps calling tools fails here instead of looping.
  const result = await agent.invoke(
    { messages: [{ role: "user", content: QUESTION }] },
    { recursionLimit: 12 },
  );
  const messages: BaseMessage[] = result.messages;
  const ai = messages.filter((m) => AIMessage.isInstance(m));
  return {
    title,
    code,
    reasoning: ai.flatMap((m) =>
      m.contentBlocks.flatMap((b) => (b.type === "reasoning" ? [String(b.reasoning)] : [])),
    ),
    toolCalls: ai.flatMap((m) =>
      (m.tool_calls ?? []).map((c) => `${c.name}(${JSON.stringify(c.args)})`),
    ),
    toolResults: messages.filter((m) => ToolMessage.isInstance(m)).map((m) => m.text),
    structuredResponse: WeatherReport.parse(result.structuredResponse),
  };
}

/** Run the agent on each endpoint, in order. */
export async function runAgentExamples(options: AgentRunOptions = {}): Promise<AgentRun[]> {
  const claude = options.claudeEndpoint ?? "databricks-claude-sonnet-4-5";
  const responsesAgent = options.responsesAgentEndpoint ?? "responses-agent";
  const runs: AgentRun[] = [];
  const record = (run: AgentRun) => {
    runs.push(run);
    options.onRun?.(run);
  };
  record(
    await runAgent(
      `createAgent on ${claude} with extended thinking`,
      `createAgent({ model: new ChatDatabricks({ endpoint: "${claude}", thinking: { type: "enabled", budget_tokens: 1024 }, maxTokens: 2048 }), tools: [getWeather], responseFormat: WeatherReport })`,
      {
        endpoint: claude,
        thinking: { type: "enabled", budget_tokens: 1024 },
        maxTokens: 2048,
      },
    ),
  );
  record(
    await runAgent(
      `createAgent on the ResponsesAgent endpoint ${responsesAgent} (Responses API)`,
      `createAgent({ model: new ChatDatabricks({ endpoint: "${responsesAgent}", useResponsesApi: true }), tools: [getWeather], responseFormat: WeatherReport })`,
      { endpoint: responsesAgent, useResponsesApi: true },
    ),
  );
  return runs;
}

/** Print one run the way the demo shows it. */
export function formatAgentRun(run: AgentRun): string {
  const lines = [`[agent] ${run.title}`, `    ${run.code}`];
  for (const text of run.reasoning) {
    const shown = text.length > 110 ? `${text.slice(0, 109)}…` : text;
    lines.push(`    reasoning: ${JSON.stringify(shown)}`);
  }
  for (const call of run.toolCalls) lines.push(`    tool call: ${call}`);
  for (const result of run.toolResults) lines.push(`    tool result: ${JSON.stringify(result)}`);
  lines.push(`    → structuredResponse ${JSON.stringify(run.structuredResponse)}`);
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runAgentExamples({ onRun: (run) => console.log(`${formatAgentRun(run)}\n`) });
}
