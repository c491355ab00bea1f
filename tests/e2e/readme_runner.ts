/**
 * Runs README code blocks for `readme_examples.test.ts`: one Node process under tsx (what a user
 * does with a copied example), the blocks one after the other, each a module of its own.
 *
 *   node --import tsx tests/e2e/readme_runner.ts <manifest.json> <results.json>
 *
 * The manifest lists `{id, file, env, timeoutMs}`; `env` is set while the block runs (`null`
 * unsets). Each block's stdout and stderr writes, its probes (`__probe(name, value)`, a global the
 * harness's added code calls) and its error, if any, go to the results file. The runner writes
 * nothing else and must then end on its own: when a block left a server or a timer behind, it says
 * so on stderr after 5 s and exits 1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface ManifestEntry {
  id: string;
  file: string;
  env: Record<string, string | null>;
  timeoutMs: number;
}

interface BlockResult {
  id: string;
  error: string | null;
  stdout: string;
  stderr: string;
  probes: Record<string, unknown>;
  ms: number;
}

const [manifestPath, resultsPath] = process.argv.slice(2);
if (!manifestPath || !resultsPath) throw new Error("usage: readme_runner.ts MANIFEST RESULTS");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestEntry[];

const outside = { stdout: "", stderr: "", errors: [] as string[] };
let current: BlockResult | undefined;

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;

const terminalStderr = process.stderr.write.bind(process.stderr);

/** Routes every write to the block running now (or to `outside`); nothing reaches the terminal. */
function capture(stream: NodeJS.WriteStream, key: "stdout" | "stderr"): void {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    (current ?? outside)[key] += text;
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  }) as typeof stream.write;
}
capture(process.stdout, "stdout");
capture(process.stderr, "stderr");

for (const event of ["unhandledRejection", "uncaughtException"] as const) {
  process.on(event, (error: unknown) => {
    const message = `${event}: ${describeError(error)}`;
    if (current) current.error ??= message;
    else outside.errors.push(message);
  });
}

Object.assign(globalThis, {
  __probe(name: string, value: unknown): void {
    if (!current) throw new Error(`__probe("${name}") outside a block`);
    current.probes[name] = value === undefined ? "<undefined>" : JSON.parse(JSON.stringify(value));
  },
});

const results: BlockResult[] = [];
for (const entry of manifest) {
  const saved = Object.fromEntries(Object.keys(entry.env).map((k) => [k, process.env[k]]));
  for (const [key, value] of Object.entries(entry.env)) {
    if (value === null) delete process.env[key];
    else process.env[key] = value;
  }
  const result: BlockResult = {
    id: entry.id,
    error: null,
    stdout: "",
    stderr: "",
    probes: {},
    ms: 0,
  };
  current = result;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      import(pathToFileURL(entry.file).href),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`still running after ${entry.timeoutMs} ms`)),
          entry.timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    result.error ??= describeError(error);
  } finally {
    clearTimeout(timer);
  }
  // Let what the block started without awaiting (stream callbacks, rejections) land on it.
  await new Promise((resolve) => setImmediate(resolve));
  result.ms = Math.round(performance.now() - started);
  current = undefined;
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  results.push(result);
}

writeFileSync(resultsPath, JSON.stringify({ results, outside }));

// The blocks are done: the process must now end by itself. If something keeps it alive, say what.
setTimeout(() => {
  const resources = process.getActiveResourcesInfo().join(", ");
  terminalStderr(`readme_runner: still running 5 s after the last block (active: ${resources})\n`);
  process.exit(1);
}, 5_000).unref();
