import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultEmulatorOptions,
  hashEmbed,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { run, stubWorkspaceEnv, TEST_TOKEN } from "./helpers.js";

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ ...defaultEmulatorOptions(), tokens: [TEST_TOKEN] });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const ENDPOINT = "databricks-embeddings";

interface Line {
  id: string | number;
  embedding: number[];
}
const parse = (text: string): Line[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Line);

/** The emulator's hashing embedder is deterministic: each vector can be checked against its text. */
const expectVectors = (lines: Line[], texts: string[]): void => {
  expect(lines).toHaveLength(texts.length);
  lines.forEach((line, i) => {
    const expected = hashEmbed(texts[i] ?? "");
    expect(line.embedding).toHaveLength(expected.length);
    line.embedding.forEach((value, j) => expect(value).toBeCloseTo(expected[j] ?? NaN, 6));
  });
};

describe("embed", () => {
  it("embeds the arguments in order, ids 1..n, in batches", async () => {
    stubWorkspaceEnv(emulator.url);
    const before = emulator.stats().endpoints[ENDPOINT]?.requests ?? 0;
    const texts = ["alpha", "beta", "gamma", "delta", "epsilon"];
    const result = await run(["embed", "--endpoint", ENDPOINT, "--batch-size", "2", ...texts]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = parse(result.stdout);
    expect(lines.map((l) => l.id)).toEqual([1, 2, 3, 4, 5]);
    expectVectors(lines, texts);
    expect((emulator.stats().endpoints[ENDPOINT]?.requests ?? 0) - before).toBe(3);
  });

  it("reads one text per stdin line (ids are line numbers, blank lines skipped)", async () => {
    stubWorkspaceEnv(emulator.url);
    const result = await run(["embed", "--endpoint", ENDPOINT], { stdin: "one\n\ntwo\r\nthree\n" });
    expect(result.code).toBe(0);
    const lines = parse(result.stdout);
    expect(lines.map((l) => l.id)).toEqual([1, 3, 4]);
    expectVectors(lines, ["one", "two", "three"]);
  });

  it("reads JSONL from --input and writes --output", async () => {
    stubWorkspaceEnv(emulator.url);
    const dir = mkdtempSync(join(tmpdir(), "ldb-embed-"));
    const input = join(dir, "texts.jsonl");
    const output = join(dir, "vectors.jsonl");
    writeFileSync(input, `${JSON.stringify({ id: "a", text: "first" })}\n"second"\n`);
    const result = await run([
      "embed",
      "--endpoint",
      ENDPOINT,
      "--input",
      input,
      "--output",
      output,
    ]);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const lines = parse(readFileSync(output, "utf8"));
    expect(lines.map((l) => l.id)).toEqual(["a", 2]);
    expectVectors(lines, ["first", "second"]);
  });

  it("stops on a bad JSONL line before any request, naming the line", async () => {
    stubWorkspaceEnv(emulator.url);
    const input = join(mkdtempSync(join(tmpdir(), "ldb-embed-")), "texts.jsonl");
    writeFileSync(input, `"ok"\n{"id": 2}\n`);
    const result = await run(["embed", "--endpoint", ENDPOINT, "--input", input]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--input ${input}: line 2: "text" must be a string`);
  });

  it("needs --endpoint", async () => {
    const result = await run(["embed", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no endpoint: pass --endpoint NAME");
  });
});

describe("invoke on an embeddings endpoint", () => {
  it("points at embed instead of the server's 'unknown field' answer", async () => {
    stubWorkspaceEnv(emulator.url);
    const result = await run(["invoke", "--endpoint", ENDPOINT, "hello"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `langchain-databricks: '${ENDPOINT}' is an embeddings endpoint (task llm/v1/embeddings): use 'langchain-databricks embed --endpoint ${ENDPOINT} TEXT...' instead of 'invoke' (see 'langchain-databricks invoke --help')\n`,
    );
  });
});
