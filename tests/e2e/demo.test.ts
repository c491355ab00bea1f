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
    expect(stdout).toContain("9 notebook cells ran");
    // The transform_output_fn cell upper-cases the app's answer.
    expect(stdout).toMatch(/transformOutputFn: transformOutput,[\s\S]*?→ "[^a-z"]+"/);
  });
});
