import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The built library, as `npm test` leaves it before vitest runs. */
export const DIST = join(REPO_ROOT, "packages/langchain-databricks/dist");
/** The scripts the runtimes run. */
export const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));

/** The directory of an installed package, or `undefined` when npm did not install it here. */
function packageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The first candidate that exists and answers `--version`. */
function firstWorking(candidates: (string | undefined)[]): string | undefined {
  return candidates.find(
    (path) =>
      path !== undefined &&
      existsSync(path) &&
      spawnSync(path, ["--version"], { stdio: "ignore", timeout: 30_000 }).status === 0,
  );
}

/**
 * Bun's binary from the `bun` devDependency. The platform binary ships in an optional dependency
 * (`@oven/bun-linux-x64`, `-baseline` for CPUs without AVX2…); the `bun` package's postinstall
 * moves it to `bun/bin/bun.exe`. npm 11 may not run that postinstall (`allowScripts`), so both
 * places are tried, whichever holds a working binary.
 */
export function bunBinary(): string {
  const platformPackages = ["", "-baseline", "-musl", "-musl-baseline", "-profile"].map((variant) =>
    packageDir(`@oven/bun-${process.platform}-${process.arch}${variant}`),
  );
  const bun = packageDir("bun");
  const found = firstWorking([
    ...platformPackages.map((dir) => dir && join(dir, "bin", "bun")),
    bun && join(bun, "bin", "bun.exe"),
  ]);
  if (!found) throw new Error(missingRuntime("bun", "@oven/bun-<platform>-<arch>"));
  return found;
}

/**
 * Deno's binary from the `deno` devDependency: in its optional platform package
 * (`@deno/linux-x64-glibc`…), which the `deno` package's postinstall links to `deno/deno`.
 */
export function denoBinary(): string {
  const libc = process.platform === "linux" ? "-glibc" : "";
  const platformPackage = packageDir(`@deno/${process.platform}-${process.arch}${libc}`);
  const deno = packageDir("deno");
  const found = firstWorking([
    platformPackage && join(platformPackage, "deno"),
    platformPackage && join(platformPackage, "deno.exe"),
    deno && join(deno, "deno"),
  ]);
  if (!found) throw new Error(missingRuntime("deno", "@deno/<platform>-<arch>"));
  return found;
}

function missingRuntime(name: string, platformPackage: string): string {
  return `No working ${name} binary: the ${name} devDependency ships it in ${platformPackage}, which npm did not install for ${process.platform}-${process.arch}. Run \`npm ci\` (optional dependencies included); this test must not be skipped.`;
}

/** What a child process printed. */
export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to its end (killed after `timeoutMs`), with no standard input. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (piece: Buffer) => (stdout += piece.toString()));
    child.stderr.on("data", (piece: Buffer) => (stderr += piece.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Settings that keep a runtime from reaching past this machine on its own: no update check (Deno),
 * no telemetry or crash reports (`DO_NOT_TRACK`, honoured by Bun and Deno).
 */
const OFFLINE_RUNTIME_ENV = { DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" };

/** Run a script under Bun; `--no-install`: never auto-install a missing package from a registry. */
export function runBun(script: string, args: string[], env = process.env): Promise<RunOutput> {
  return run(bunBinary(), ["--no-install", join(FIXTURES, script), ...args], {
    env: { ...env, ...OFFLINE_RUNTIME_ENV },
  });
}

/**
 * Run a script under Deno with exactly `permissions`: no prompt, no lockfile, no remote module
 * (`--no-remote --cached-only`: everything comes from the repository's node_modules).
 */
export function runDeno(
  permissions: string[],
  script: string,
  args: string[],
  env = process.env,
): Promise<RunOutput> {
  return run(
    denoBinary(),
    [
      "run",
      "--no-prompt",
      "--no-lock",
      "--no-remote",
      "--cached-only",
      ...permissions,
      join(FIXTURES, script),
      ...args,
    ],
    { env: { ...env, ...OFFLINE_RUNTIME_ENV } },
  );
}

/** Parse the last line of a child's output as JSON, or fail with everything it printed. */
export function parseLastLine<T>(output: RunOutput, what: string): T {
  const lastLine = output.stdout.trim().split("\n").at(-1) ?? "";
  if (output.code !== 0 || lastLine === "") {
    throw new Error(
      `${what} failed (exit ${String(output.code)}).\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`,
    );
  }
  return JSON.parse(lastLine) as T;
}

/** The environment of a child that must not see any Databricks setting. */
export function envWithoutDatabricks(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("DATABRICKS_")),
  );
}
