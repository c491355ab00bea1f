/**
 * The `databricks-serving-emulator` executable as a child process (its TypeScript entry through
 * tsx, with the repository's tsconfig paths, so no build is needed): `--driver-app`, a config with
 * `"extends": "defaults"`, and the root README's CLI steps against it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Capture,
  run,
  stubWorkspaceEnv,
} from "../../packages/langchain-databricks/tests/cli/helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY = ["--import", "tsx", "packages/databricks-serving-emulator/src/cli/main.ts"];

interface Emulator {
  child: ChildProcess;
  host: string;
  token: string;
  stderr: () => string;
}

const children: ChildProcess[] = [];
const stops: AbortController[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
  for (const controller of stops.splice(0)) controller.abort();
  vi.unstubAllEnvs();
});

/** Spawn the bin; resolves with its export lines once it listens, or its exit when it fails. */
function spawnEmulator(
  args: string[],
): Promise<Emulator | { code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, "--port", "0", ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_PROXY: "*" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /^export DATABRICKS_HOST=(\S+)\nexport DATABRICKS_TOKEN=(\S+)\n/.exec(stdout);
      if (match)
        resolve({ child, host: match[1] ?? "", token: match[2] ?? "", stderr: () => stderr });
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

async function startEmulatorProcess(args: string[]): Promise<Emulator> {
  const result = await spawnEmulator(args);
  if (!("host" in result)) throw new Error(`the emulator exited ${result.code}: ${result.stderr}`);
  return result;
}

/** `langchain-databricks driver-app --backend echo` in-process, on a free port. */
async function echoDriverApp(): Promise<string> {
  const controller = new AbortController();
  stops.push(controller);
  const stdout = new Capture();
  void run(["driver-app", "--port", "0", "--host", "127.0.0.1", "--backend", "echo", "--quiet"], {
    signal: controller.signal,
    stdout,
  });
  const [, url] = await stdout.waitFor(/^(http:\/\/127\.0\.0\.1:\d+)\n/);
  return url ?? "";
}

describe("databricks-serving-emulator process: --driver-app and extends", () => {
  it("runs the README's steps: a driver app registered with --driver-app, reached by invoke", async () => {
    const app = await echoDriverApp();
    const emulator = await startEmulatorProcess([
      "--quiet",
      "--driver-app",
      `0000-000000-xxxxxxxx:7777=${app}`,
      "--driver-app",
      `0101-other:8000=${app}`,
    ]);
    stubWorkspaceEnv(emulator.host, { DATABRICKS_TOKEN: emulator.token });
    const viaDriver = await run([
      "invoke",
      "--cluster-id",
      "0000-000000-xxxxxxxx",
      "--port",
      "7777",
      "How are you?",
    ]);
    expect(viaDriver).toEqual({ code: 0, stdout: "How are you?\n", stderr: "" });
    const second = await run(["invoke", "--cluster-id", "0101-other", "--port", "8000", "hi"]);
    expect(second).toEqual({ code: 0, stdout: "hi\n", stderr: "" });
    // The default endpoints are still there.
    const viaDolly = await run(["invoke", "--endpoint", "dolly", "How are you?"]);
    expect(viaDolly.code).toBe(0);
    expect(viaDolly.stdout.length).toBeGreaterThan(1);
  });

  it('a config with "extends": "defaults" keeps the default endpoints and token and adds its own', async () => {
    const app = await echoDriverApp();
    const config = join(mkdtempSync(join(tmpdir(), "emulator-process-")), "emulator.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: "defaults",
        endpoints: [
          {
            name: "echo-completions",
            task: "llm/v1/completions",
            endpointType: "FOUNDATION_MODEL_API",
            backend: { type: "echo" },
          },
        ],
        driverApps: [{ clusterId: "0101-emu", port: 7777, target: "http://127.0.0.1:9" }],
      }),
    );
    // The flag's app replaces the config's app on the same cluster and port.
    const emulator = await startEmulatorProcess([
      "--config",
      config,
      "--driver-app",
      `0101-emu:7777=${app}`,
    ]);
    expect(emulator.token).toBe("dapi-emulator-0000000000000000");
    stubWorkspaceEnv(emulator.host, { DATABRICKS_TOKEN: emulator.token });
    expect(await run(["invoke", "--endpoint", "echo-completions", "ping"])).toEqual({
      code: 0,
      stdout: "ping\n",
      stderr: "",
    });
    expect((await run(["invoke", "--endpoint", "dolly", "How are you?"])).code).toBe(0);
    expect(
      await run(["invoke", "--cluster-id", "0101-emu", "--port", "7777", "driver ok"]),
    ).toEqual({ code: 0, stdout: "driver ok\n", stderr: "" });
    expect(emulator.stderr()).toMatch(/endpoints: dolly, .*echo-completions/);
  });

  it.each([
    ["0101:7777", /Invalid --driver-app '0101:7777': no '=' before the app's URL/],
    ["0101:x=http://127.0.0.1:1", /the port 'x' is not an integer from 1 to 65535/],
  ])("--driver-app %s exits 2 with one line saying what to write", async (spec, message) => {
    const result = await spawnEmulator(["--driver-app", spec]);
    expect(result).toMatchObject({ code: 2 });
    const stderr = (result as { stderr: string }).stderr;
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Use CLUSTER:PORT=URL.*\(see 'databricks-serving-emulator --help'\)\n$/);
    expect(stderr.split("\n")).toHaveLength(2);
  });
});
