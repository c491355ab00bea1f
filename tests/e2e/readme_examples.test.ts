/**
 * The READMEs' examples, run as written. Every fenced `ts` block of `README.md` and of
 * `packages/databricks-serving-emulator/README.md` is read from the file, written to a module and
 * run under tsx by `readme_runner.ts` (one Node process, block after block), against an emulator on
 * 127.0.0.1 started here, with `DATABRICKS_HOST` / `DATABRICKS_TOKEN` pointing at it.
 *
 * A block is left out only by a `<!-- readme-test: skip (reason) -->` line right before its fence;
 * the skipped blocks are asserted below with their reasons. The README text is never edited on the
 * way. What the harness adds is listed in `HARNESS`: the imports a block's section implies
 * (`AUTO_IMPORTS`), the block whose variables it continues, a fixed port made ephemeral, and probes,
 * code appended (or inserted before a line) that reports values through `__probe(name, value)`, so
 * the checks assert what the README's comments promise. Every block must finish without an error and
 * write nothing to stderr, and the runner must exit on its own (no block leaves a handle open).
 *
 * The modules live in a temporary directory outside the repository with a `node_modules` symlink to
 * the repository's, run from the repository root: tsx applies the root tsconfig `paths` (the package
 * names map to the sources, as in every other test) and everything else resolves as in the repo.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultEmulatorOptions,
  loadEmulatorConfig,
  startEmulator,
} from "databricks-serving-emulator";
import type { EmulatorHandle } from "databricks-serving-emulator";
import { serveDriverProxyApp } from "langchain-databricks/driver-proxy";
import type { DriverProxyApp } from "langchain-databricks/driver-proxy";

const ROOT = new URL("../../", import.meta.url).pathname;
const READMES = ["README.md", "packages/databricks-serving-emulator/README.md"];
const DOLLY = "I am fine. Thank you for asking.";
/** The README's cluster and port, mapped by the emulator to a local driver proxy app. */
const CLUSTER_ID = "0000-000000-xxxxxxxx";

interface FencedBlock {
  /** `<file> › <heading>`, with ` #n` when a section has several blocks of the language. */
  id: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  skip?: string;
}

/**
 * The fenced blocks of one language in a Markdown text (indented fences included, their indent
 * removed), with the reason of a `<!-- readme-test: skip (reason) -->` line right before the fence.
 * Any other `readme-test:` comment, or one not followed by a `ts` fence, is an error.
 */
function fencedBlocks(markdown: string, label: string, languages: string[]): FencedBlock[] {
  const lines = markdown.split("\n");
  const found: (Omit<FencedBlock, "id"> & { heading: string })[] = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const title = /^#{1,6}\s+(.+)$/.exec(line);
    if (title) heading = (title[1] ?? "").replaceAll("`", "").trim();
    const marker = /<!--\s*readme-test:(.*?)-->/.exec(line);
    if (marker) {
      let next = i + 1;
      while (next < lines.length && (lines[next] ?? "").trim() === "") next++;
      if (!/^ skip \(.+\) $/.test(marker[1] ?? "") || !/^\s*```ts\s*$/.test(lines[next] ?? ""))
        throw new Error(
          `${label}:${i + 1}: write "<!-- readme-test: skip (reason) -->" right before a \`\`\`ts fence`,
        );
    }
    const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(line);
    if (!open) continue;
    const [, indent = "", fence = "", language = ""] = open;
    let close = i + 1;
    while (close < lines.length && (lines[close] ?? "").trim() !== fence) close++;
    if (close === lines.length) throw new Error(`${label}:${i + 1}: unclosed code fence`);
    if (languages.includes(language)) {
      let previous = i - 1;
      while (previous > 0 && (lines[previous] ?? "").trim() === "") previous--;
      const skip = /<!-- readme-test: skip \((.+)\) -->/.exec(lines[previous] ?? "")?.[1];
      const code = lines
        .slice(i + 1, close)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join("\n");
      found.push({ heading, line: i + 1, code, ...(skip === undefined ? {} : { skip }) });
    }
    i = close;
  }
  return found.map(({ heading, ...block }) => {
    const section = found.filter((b) => b.heading === heading);
    const n = section.length > 1 ? ` #${section.findIndex((b) => b.line === block.line) + 1}` : "";
    return { id: `${label} › ${heading}${n}`, ...block };
  });
}

const readmeBlocks = (languages: string[]): FencedBlock[] =>
  READMES.flatMap((file) =>
    fencedBlocks(
      readFileSync(join(ROOT, file), "utf8"),
      file.replace(/^packages\//, ""),
      languages,
    ),
  );

/** Names a README section's text supplies: imported when a block uses them without importing. */
const AUTO_IMPORTS: Record<string, string> = {
  Databricks: "langchain-databricks",
  ChatDatabricks: "langchain-databricks",
  DatabricksEmbeddings: "langchain-databricks",
  serveDriverProxyApp: "langchain-databricks/driver-proxy",
  startEmulator: "databricks-serving-emulator",
};

/** What `readme_runner.ts` reports for a block. */
interface BlockResult {
  id: string;
  error: string | null;
  stdout: string;
  stderr: string;
  probes: Record<string, unknown>;
  ms: number;
}

interface Harness {
  /** A block that runs first, in the same module: its variables are this block's context. */
  continues?: string;
  /** Environment variables set while the block runs. */
  env?: Record<string, string>;
  /** `[from, to]` replacements; each `from` must occur exactly once in the block. */
  substitute?: [string, string][];
  /** Code run after the block, or before the line `before` (which must occur exactly once). */
  probe?: { code: string; before?: string };
  check?: (result: BlockResult) => void;
}

const HARNESS: Record<string, Harness> = {
  "README.md › Serving endpoint": {
    probe: {
      code: `__probe("answers", [await llm.invoke("How are you?"), await llm.invoke("How are you?", { stop: ["."] })]);`,
    },
    check: ({ probes }) => expect(probes["answers"]).toEqual([DOLLY, "I am fine"]),
  },
  "README.md › Row packing": {
    probe: {
      code: `const __packed = await llm.generate(["How are you?", "How are you?", "How are you?"]);
__probe("packed", { count: answers.length, errors: answers.filter((a) => a instanceof Error).length, rows: __packed.generations.map((g) => g[0]?.generationInfo?.rows), texts: __packed.generations.map((g) => g[0]?.text) });`,
    },
    check: ({ stdout, probes }) => {
      expect(stdout).toBe(`${DOLLY}\n`);
      expect(probes["packed"]).toEqual({
        count: 100,
        errors: 0,
        rows: [3, 3, 3],
        texts: [DOLLY, DOLLY, DOLLY],
      });
    },
  },
  "README.md › Cluster driver proxy app": {
    // "or with DATABRICKS_CLUSTER_ID … set: just the port"
    env: { DATABRICKS_CLUSTER_ID: CLUSTER_ID },
    probe: {
      code: `__probe("answers", [await llm.invoke("How are you?"), await app.invoke("How are you?")]);`,
    },
    // The local app answers like the README's serveDriverProxyApp example; transformOutputFn
    // upper-cases.
    check: ({ probes }) =>
      expect(probes["answers"]).toEqual(["You asked: How are you?", "YOU ASKED: HOW ARE YOU?"]),
  },
  "README.md › Serialization": {
    continues: "README.md › Serving endpoint",
    probe: {
      code: `__probe("restored", { endpoint: restored.endpoint, answer: await restored.invoke("How are you?") });
__probe("tokenInJson", JSON.stringify(llm).includes(process.env.DATABRICKS_TOKEN!));
const __chat = new ChatDatabricks({ endpoint: "databricks-llama" });
const __restoredChat = await load(JSON.stringify(__chat), {
  secretsMap: { DATABRICKS_TOKEN: process.env.DATABRICKS_TOKEN! },
  importMap: { "chat_models__chat-databricks": { ChatDatabricks } },
});
__probe("chat", { id: __chat.toJSON().id, restored: __restoredChat instanceof ChatDatabricks });`,
    },
    check: ({ probes }) => {
      expect(probes["restored"]).toEqual({ endpoint: "dolly", answer: DOLLY });
      expect(probes["tokenInJson"]).toBe(false);
      expect(probes["chat"]).toEqual({
        id: ["langchain", "chat_models", "chat-databricks", "ChatDatabricks"],
        restored: true,
      });
    },
  },
  "README.md › ChatDatabricks": {
    probe: {
      code: `__probe("toolCalls", reply.tool_calls);
const __terse = await chat.invoke([["system", "You are terse."], ["human", "What is a lakehouse?"]]);
__probe("invoke", { text: __terse.text, usage: __terse.usage_metadata });
const __chunks = [];
for await (const chunk of await chat.stream("Tell me a story")) __chunks.push(chunk);
__probe("stream", __chunks.map((c) => ({ text: c.text, usage: c.usage_metadata ?? null })));
__probe("jsonSchema", await chat.withStructuredOutput(Trip, { method: "jsonSchema" }).invoke("3 days in Rome"));
const __raw = await chat.withStructuredOutput(Trip, { includeRaw: true }).invoke("3 days in Rome");
__probe("includeRaw", { keys: Object.keys(__raw).sort(), parsed: __raw.parsed, raw: __raw.raw.constructor.name });`,
    },
    check: ({ stdout, probes }) => {
      // reply.tool_calls; // [{ name: "get_weather", args: { city: "Paris" }, id: "...", type: "tool_call" }]
      expect(probes["toolCalls"]).toEqual([
        { name: "get_weather", args: { city: "Paris" }, id: expect.any(String), type: "tool_call" },
      ]);
      expect(probes["invoke"]).toMatchObject({
        text: expect.stringMatching(/\S/),
        usage: { total_tokens: expect.any(Number) },
      });
      // "tokens as they arrive, then one chunk carrying usage_metadata", and the block printed them.
      const chunks = probes["stream"] as { text: string; usage: { total_tokens: number } | null }[];
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.filter((c) => c.usage !== null)).toEqual([
        { text: "", usage: expect.objectContaining({ total_tokens: expect.any(Number) }) },
      ]);
      expect(chunks.at(-1)?.usage).not.toBeNull();
      expect(stdout).toBe(chunks.map((c) => c.text).join(""));
      const trip = { city: expect.any(String), days: expect.any(Number) };
      expect(probes["jsonSchema"]).toEqual(trip);
      expect(probes["includeRaw"]).toEqual({
        keys: ["parsed", "raw"],
        parsed: trip,
        raw: "AIMessageChunk",
      });
    },
  },
  "README.md › Reasoning models and agents": {
    probe: {
      code: `__probe("reasoning", { text: reply.text, blocks: reasoning.length });
__probe("structuredResponse", structuredResponse);
__probe("agent", { custom: answer.response_metadata.custom_outputs, trace: answer.response_metadata.trace_id });`,
    },
    check: ({ stdout, probes }) => {
      expect(probes["reasoning"]).toEqual({ text: expect.stringMatching(/\S/), blocks: 1 });
      // console.log(structuredResponse); // { city: 'Paris', temperatureC: 21 }
      expect(probes["structuredResponse"]).toEqual({ city: "Paris", temperatureC: 21 });
      expect(stdout).toBe("{ city: 'Paris', temperatureC: 21 }\n");
      expect(probes["agent"]).toEqual({
        custom: { user_id: "u-42" },
        trace: expect.stringMatching(/^tr-/),
      });
    },
  },
  "README.md › DatabricksEmbeddings": {
    probe: {
      code: `__probe("lengths", { vectors: vectors.map((v) => v.length), query: query.length });
__probe("custom", (await custom.embedDocuments(["a", "b", "c"])).map((v) => v.length));`,
    },
    check: ({ probes }) => {
      expect(probes["lengths"]).toEqual({ vectors: [256, 256], query: 256 });
      expect(probes["custom"]).toEqual([256, 256, 256]);
    },
  },
  "README.md › Local workspace emulator": {
    // "the next two calls fail (and are retried)": one more call, with a short backoff.
    probe: {
      before: "await emulator.close();",
      code: `const __retrying = new Databricks({ host: emulator.url, token: emulator.token, endpoint: "dolly", retryBaseDelayMs: 10 });
__probe("afterFault", await __retrying.invoke("How are you?"));
__probe("requests", emulator.stats().endpoints["dolly"]?.requests);`,
    },
    check: ({ stdout, probes }) => {
      expect(stdout).toBe(`${DOLLY}\n`);
      expect(probes).toEqual({ afterFault: DOLLY, requests: 4 });
    },
  },
  "README.md › Driver proxy app server": {
    // A fixed port may be taken on the machine running the tests.
    substitute: [["port: 7777,", "port: 0,"]],
    probe: {
      before: "await app.close();",
      code: `const __res = await fetch(app.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "How are you?", stop: ["."], temperature: 0.1 }) });
__probe("post", { status: __res.status, body: await __res.json() });`,
    },
    // POST / {"prompt": "How are you?", "stop": ["."], "temperature": 0.1}  →  "You asked: How are you?"
    check: ({ probes }) =>
      expect(probes["post"]).toEqual({ status: 200, body: "You asked: How are you?" }),
  },
  "README.md › Authentication": {
    // No profile "azure" here: the SDK's Config falls back to DATABRICKS_HOST / DATABRICKS_TOKEN,
    // which proves the request is authenticated through `credentials`.
    probe: { code: `__probe("answer", await llm.invoke("How are you?"));` },
    check: ({ probes }) => expect(probes["answer"]).toBe(DOLLY),
  },
  "databricks-serving-emulator/README.md › Start it": {
    // setFault(…): "the next two calls fail"
    probe: {
      before: "await emulator.close();",
      code: `const __call = async () => (await fetch(emulator.url + "/serving-endpoints/dolly/invocations", { method: "POST", headers: { authorization: "Bearer " + emulator.token, "content-type": "application/json" }, body: JSON.stringify({ dataframe_records: [{ prompt: "How are you?" }] }) })).status;
__probe("statuses", [await __call(), await __call(), await __call()]);`,
    },
    check: ({ stdout, probes }) => {
      expect(stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+ dapi-emulator-0000000000000000\n$/);
      expect(probes["statuses"]).toEqual([503, 503, 200]);
    },
  },
  "databricks-serving-emulator/README.md › Talk to it #1": {
    probe: { code: `__probe("answer", answer.choices[0]?.message);` },
    check: ({ probes }) =>
      expect(probes["answer"]).toEqual({ role: "assistant", content: expect.stringMatching(/\S/) }),
  },
  "databricks-serving-emulator/README.md › Talk to it #2": {
    check: ({ stdout }) =>
      expect(stdout).toMatch(new RegExp(`^${DOLLY.replaceAll(".", "\\.")}\\n\\S.*\\S$`)),
  },
  "databricks-serving-emulator/README.md › Talk to it #3": {
    // console.log(structuredResponse); // { city: 'Paris', temperatureC: 21 }
    probe: { code: `__probe("structuredResponse", structuredResponse);` },
    check: ({ probes }) =>
      expect(probes["structuredResponse"]).toEqual({ city: "Paris", temperatureC: 21 }),
  },
};

const BLOCKS = readmeBlocks(["ts"]);
const RUN = BLOCKS.filter((b) => b.skip === undefined);

/** The module the runner imports for a block: imports, continued block, block, probe. */
function moduleFor(block: FencedBlock): string {
  const harness = HARNESS[block.id] ?? {};
  const once = (text: string, part: string): void => {
    if (text.split(part).length !== 2) throw new Error(`${block.id}: "${part}" is not there once`);
  };
  let code = block.code;
  for (const [from, to] of harness.substitute ?? []) {
    once(code, from);
    code = code.replace(from, to);
  }
  const probe = harness.probe;
  if (probe?.before !== undefined) {
    once(code, probe.before);
    code = code.replace(probe.before, `${probe.code}\n${probe.before}`);
  } else if (probe) code = `${code}\n${probe.code}`;
  if (harness.continues !== undefined) {
    const base = BLOCKS.find((b) => b.id === harness.continues);
    if (!base) throw new Error(`${block.id} continues ${harness.continues}, which is not there`);
    code = `${base.code}\n${code}`;
  }
  const imported = new Set(
    [...code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from/g)].flatMap((m) =>
      (m[1] ?? "").split(",").map((name) => name.replace(/^.*\sas\s/, "").trim()),
    ),
  );
  const imports = Object.entries(AUTO_IMPORTS)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !imported.has(name))
    .map(([name, from]) => `import { ${name} } from "${from}";`);
  return [...imports, code, ""].join("\n");
}

let emulator: EmulatorHandle | undefined;
let driverApp: DriverProxyApp | undefined;
const tempDir = mkdtempSync(join(tmpdir(), "readme-blocks-"));
let runner: { code: number | null; signal: string | null; stdout: string; stderr: string };
let report: {
  results: BlockResult[];
  outside: { stdout: string; stderr: string; errors: string[] };
};

function runRunner(
  manifest: string,
  results: string,
  env: NodeJS.ProcessEnv,
): Promise<typeof runner> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "tests/e2e/readme_runner.ts", manifest, results],
      { cwd: ROOT, env, timeout: 25_000 },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

beforeAll(async () => {
  driverApp = await serveDriverProxyApp({
    model: async (prompt) => `You asked: ${prompt}`,
    port: 0,
    log: () => undefined,
  });
  emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    endpoints: [
      ...(defaultEmulatorOptions().endpoints ?? []),
      // The custom MLflow embedding model of the DatabricksEmbeddings example.
      { name: "my-embedder", backend: { type: "hashing-embedder" } },
    ],
    driverApps: [{ clusterId: CLUSTER_ID, port: 7777, target: driverApp.url }],
    log: () => undefined,
  });
  symlinkSync(join(ROOT, "node_modules"), join(tempDir, "node_modules"), "dir");
  const manifest = RUN.map((block, index) => {
    const file = join(tempDir, `block-${index}.mts`);
    writeFileSync(file, moduleFor(block));
    return { id: block.id, file, env: HARNESS[block.id]?.env ?? {}, timeoutMs: 15_000 };
  });
  writeFileSync(join(tempDir, "manifest.json"), JSON.stringify(manifest));
  runner = await runRunner(join(tempDir, "manifest.json"), join(tempDir, "results.json"), {
    ...process.env,
    NO_PROXY: "*",
    DATABRICKS_HOST: emulator.url,
    DATABRICKS_TOKEN: emulator.token,
  });
  try {
    report = JSON.parse(readFileSync(join(tempDir, "results.json"), "utf8")) as typeof report;
  } catch {
    report = { results: [], outside: { stdout: "", stderr: "", errors: ["no results file"] } };
  }
}, 30_000);

afterAll(async () => {
  rmSync(tempDir, { recursive: true, force: true });
  await emulator?.close();
  await driverApp?.close();
});

describe("README code blocks", () => {
  it("finds every ts block; only those marked are skipped, and these are the ones", () => {
    expect(BLOCKS.filter((b) => b.skip !== undefined).map((b) => `${b.id}: ${b.skip}`)).toEqual([]);
    expect(RUN.length).toBeGreaterThanOrEqual(11);
    const ids = BLOCKS.map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of Object.keys(HARNESS)) expect(ids).toContain(id);
  });

  it("reads skip markers and refuses malformed ones", () => {
    const text = [
      "# Title",
      "<!-- readme-test: skip (needs a real workspace) -->",
      "",
      "```ts",
      "await real();",
      "```",
      "  ```ts",
      "  indented();",
      "  ```",
      "```bash",
      "ls",
      "```",
    ].join("\n");
    expect(fencedBlocks(text, "X.md", ["ts"])).toEqual([
      { id: "X.md › Title #1", line: 4, code: "await real();", skip: "needs a real workspace" },
      { id: "X.md › Title #2", line: 7, code: "indented();" },
    ]);
    expect(() => fencedBlocks(`<!-- readme-test: skip -->\n${text}`, "X.md", ["ts"])).toThrow(
      /X\.md:1: write/,
    );
    expect(() => fencedBlocks(text.replace("```ts", "```js"), "X.md", ["ts"])).toThrow(
      /X\.md:2: write/,
    );
  });

  it("runs them in one process that ends on its own, with nothing outside a block", () => {
    expect(runner).toMatchObject({ code: 0, signal: null, stdout: "", stderr: "" });
    expect(report.outside).toEqual({ stdout: "", stderr: "", errors: [] });
    expect(report.results.map((r) => r.id)).toEqual(RUN.map((b) => b.id));
  });

  it.each(RUN.map((b) => [b.id, b] as const))("%s", (_id, block) => {
    const result = report.results.find((r) => r.id === block.id);
    if (!result) throw new Error(`no result for ${block.id}: see the runner test`);
    expect(result.error, `${block.id} (line ${block.line})`).toBeNull();
    expect(result.stderr).toBe("");
    HARNESS[block.id]?.check?.(result);
  });

  it("the emulator README's JSON blocks are valid configs (a whole file, then one endpoint)", () => {
    const [config, endpoint, ...more] = readmeBlocks(["json"]);
    expect(more).toEqual([]);
    const file = join(tempDir, "emulator.json");
    writeFileSync(file, config?.code ?? "");
    expect(loadEmulatorConfig(file).endpoints?.map((e) => e.name)).toEqual([
      "dolly",
      "chat",
      "embed",
      "ollama",
    ]);
    // The reasoning-endpoint example is one entry of `endpoints`.
    writeFileSync(file, `{ "endpoints": [${endpoint?.code ?? ""}] }`);
    expect(loadEmulatorConfig(file).endpoints?.map((e) => [e.name, e.family])).toEqual([
      ["my-claude", "claude"],
    ]);
  });
});
