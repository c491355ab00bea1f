import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeWorkspace, TEST_TOKEN, type FakeWorkspace } from "./helpers.js";

/** The real executable: the TypeScript entry run through tsx's loader (no build needed). */
const ENTRY = ["--import", "tsx", new URL("../../src/cli/main.ts", import.meta.url).pathname];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function spawnCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    stdin?: string;
    onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void;
  } = {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], {
      env: { ...process.env, NO_PROXY: "*", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

let workspace: FakeWorkspace;
beforeAll(async () => {
  workspace = await startFakeWorkspace();
});
afterAll(async () => {
  await workspace.close();
});

describe("the langchain-databricks process", () => {
  it("prints help with exit 0", async () => {
    const result = await spawnCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: langchain-databricks <command>/);
    expect(result.stderr).toBe("");
  });

  it("exits 2 with one stderr line on a usage error", async () => {
    const result = await spawnCli(["invoke", "hello"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "langchain-databricks: no target: pass --endpoint NAME, or --port PORT for a driver proxy app (see 'langchain-databricks invoke --help')\n",
    );
  });

  it("answers from stdin and exits 0 promptly (keep-alive sockets do not hold it)", async () => {
    const started = Date.now();
    const result = await spawnCli(["invoke", "--endpoint", "completions"], {
      stdin: "piped prompt\n",
      env: {
        DATABRICKS_HOST: workspace.url,
        DATABRICKS_TOKEN: TEST_TOKEN,
        DATABRICKS_CONFIG_FILE: "/nonexistent/.databrickscfg",
      },
    });
    expect(result).toMatchObject({ code: 0, stdout: "answer to: piped prompt\n", stderr: "" });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("exits 1 with one stderr line on a runtime error, without the token", async () => {
    const result = await spawnCli(["invoke", "--endpoint", "missing", "hi"], {
      env: { DATABRICKS_HOST: workspace.url, DATABRICKS_TOKEN: TEST_TOKEN },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^langchain-databricks: HTTP 404 RESOURCE_DOES_NOT_EXIST[^\n]*\n$/,
    );
    expect(result.stderr).not.toContain(TEST_TOKEN);
  });

  it("runs driver-app until SIGINT, then exits 0", async () => {
    let url = "";
    let answered: Promise<unknown> = Promise.resolve();
    const result = await spawnCli(["driver-app", "--port", "0", "--host", "127.0.0.1", "--quiet"], {
      onStdout: (text, kill) => {
        const match = /^(http:\/\/\S+)\n/.exec(text);
        if (!match || url) return;
        url = match[1] ?? "";
        answered = fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: "over the wire" }),
        })
          .then((res) => res.json())
          .finally(() => kill("SIGINT"));
      },
    });
    expect(await answered).toBe("over the wire");
    expect(result).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(result.stdout).toBe(`${url}\n`);
  });
});
