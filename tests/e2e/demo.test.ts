import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

describe("npm run demo", () => {
  it("runs every seed notebook cell against the emulator and exits 0", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    for (let cell = 1; cell <= 9; cell++)
      expect(stdout).toContain(`[${cell}] Python (seed notebook):`);
    expect(stdout).toContain("## Wrapping a serving endpoint");
    expect(stdout).toContain("## Wrapping a cluster driver proxy app");
    expect(stdout).toContain('llm("How are you?", stop=["."])');
    expect(stdout).toContain("9 notebook cells and 2 agent runs ran");
    // The agent runs: reasoning from the Claude-like endpoint, one weather call each, and a
    // structured answer built from the tool's result.
    expect(stdout).toContain(
      "[agent] createAgent on databricks-claude-sonnet-4-5 with extended thinking",
    );
    expect(stdout).toContain("[agent] createAgent on the ResponsesAgent endpoint responses-agent");
    expect(stdout).toMatch(/reasoning: "The user asks: \\"What is the weather in Paris\?\\"/);
    expect(stdout.match(/tool call: get_weather\(\{"city":"Paris"\}\)/g)).toHaveLength(2);
    expect(
      stdout.match(/→ structuredResponse \{"city":"Paris","temperatureC":21,"summary":"[^"]+"\}/g),
    ).toHaveLength(2);
    // The transform_output_fn cell upper-cases the app's answer.
    expect(stdout).toMatch(/transformOutputFn: transformOutput,[\s\S]*?→ "[^a-z"]+"/);
  });
});
