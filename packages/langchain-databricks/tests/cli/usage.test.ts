import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { durationOption, integerOption, numberOption, parseCommand } from "../../src/cli/args.js";
import { DRIVER_APP_USAGE } from "../../src/cli/commands/driver_app.js";
import { INVOKE_USAGE } from "../../src/cli/commands/invoke.js";
import { CliUsageError, errorLine } from "../../src/cli/errors.js";
import { globalUsage } from "../../src/cli/usage.js";
import { Capture, run } from "./helpers.js";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

describe("help and version", () => {
  it.each([["--help"], ["-h"], ["help"]])("prints the global help for %s", async (flag) => {
    const result = await run([flag]);
    expect(result).toEqual({ code: 0, stdout: globalUsage(), stderr: "" });
    expect(result.stdout).toMatch(/^Usage: langchain-databricks <command>/);
    for (const name of ["invoke", "driver-app"]) expect(result.stdout).toContain(name);
  });

  it.each([
    ["invoke", INVOKE_USAGE],
    ["driver-app", DRIVER_APP_USAGE],
  ])("prints %s help with --help, -h and `help <command>`", async (name, usage) => {
    for (const argv of [
      [name, "--help"],
      [name, "-h"],
      ["help", name],
      [name, "--port", "1", "-h"],
    ]) {
      expect(await run(argv)).toEqual({ code: 0, stdout: usage, stderr: "" });
    }
  });

  it("prints the package version", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect((await run(["-v"])).stdout).toBe(`${version}\n`);
  });

  it("help wins over every other check, positional or value", async () => {
    for (const [name, usage] of [["driver-app", DRIVER_APP_USAGE]] as const) {
      expect(await run([name, "extra", "--help"])).toEqual({ code: 0, stdout: usage, stderr: "" });
    }
    expect(await run(["invoke", "--stream", "--json", "a", "b", "-h"])).toEqual({
      code: 0,
      stdout: INVOKE_USAGE,
      stderr: "",
    });
  });

  it("documents what invoke --json prints", () => {
    expect(INVOKE_USAGE).toContain(
      '--json                print {"text", "response", "servedModelName"}',
    );
    expect(INVOKE_USAGE).not.toMatch(/generationInfo|llmOutput/);
  });

  it("documents the exit codes and never asks for a token flag", () => {
    expect(globalUsage()).toContain("2 usage error");
    expect(INVOKE_USAGE).not.toMatch(/--token/);
  });
});

describe("usage errors exit 2 with one line on stderr", () => {
  it.each([
    [[], /^langchain-databricks: missing command .*\(see 'langchain-databricks --help'\)\n$/],
    [["frob"], /unknown command 'frob' \(commands: invoke, batch, embed, driver-app\)/],
    [["emulator"], /the emulator is its own package now: run 'npx databricks-serving-emulator'/],
    [["--frob"], /unknown option '--frob' \(options go after the command\)/],
    [["help", "frob"], /unknown command 'frob'/],
    [
      ["invoke", "--bogus"],
      /^langchain-databricks: unknown option '--bogus' \(see 'langchain-databricks invoke --help'\)\n$/,
    ],
    [["invoke", "hi"], /no target: pass --endpoint NAME, or --port PORT/],
    [["invoke", "--endpoint"], /option '--endpoint <value>' argument missing/],
    [
      ["invoke", "--endpoint", "e", "--port", "7777", "hi"],
      /either --endpoint or --cluster-id\/--port/,
    ],
    [["invoke", "--endpoint", "e", "--cluster-id", "c", "hi"], /either --endpoint/],
    [["invoke", "--cluster-id", "c", "hi"], /--cluster-id needs --port/],
    [["invoke", "--endpoint", "", "hi"], /--endpoint must not be empty/],
    [["invoke", "--port", "abc", "hi"], /--port must be an integer from 1 to 65535, got 'abc'/],
    [["invoke", "--port", "0", "hi"], /--port must be an integer from 1 to 65535/],
    [
      ["invoke", "--port", "7777", "--task", "llm/v1/chat", "hi"],
      /--task applies to --endpoint only/,
    ],
    [
      ["invoke", "--endpoint", "e", "--temperature", "hot", "hi"],
      /--temperature must be a number >= 0/,
    ],
    [
      ["invoke", "--endpoint", "e", "--temperature=-1", "hi"],
      /--temperature must be a number >= 0/,
    ],
    [["invoke", "--endpoint", "e", "--temperature", "-1", "hi"], /argument is ambiguous/],
    [
      ["invoke", "--endpoint", "e", "--temperature", "nan", "hi"],
      /--temperature must be a number >= 0, got 'nan'/,
    ],
    [
      ["invoke", "--endpoint", "e", "--temperature", "Infinity", "hi"],
      /--temperature must be a number >= 0, got 'Infinity'/,
    ],
    [
      ["invoke", "--endpoint", "e", "--max-tokens=-5", "hi"],
      /--max-tokens must be an integer from 1 to \d+, got '-5'/,
    ],
    [
      ["invoke", "--endpoint", "e", "--timeout", "100000m", "hi"],
      /--timeout must be at most 35791m \(about 24\.8 days\), got '100000m'/,
    ],
    [
      ["batch", "--endpoint", "e", "--cluster-id", "c"],
      /either --endpoint or --cluster-id\/--port, not both/,
    ],
    [
      ["embed", "--endpoint", "e", "--timeout", "0ms", "hello"],
      /--timeout must be a positive duration/,
    ],
    [
      ["invoke", "--endpoint", "e", "--max-tokens", "0", "hi"],
      /--max-tokens must be an integer from 1/,
    ],
    [["invoke", "--endpoint", "e", "--max-tokens", "2.5", "hi"], /--max-tokens must be an integer/],
    [
      ["invoke", "--endpoint", "e", "--timeout", "0", "hi"],
      /--timeout must be a positive duration/,
    ],
    [
      ["invoke", "--endpoint", "e", "--timeout", "soon", "hi"],
      /--timeout must be a positive duration/,
    ],
    [
      ["invoke", "--endpoint", "e", "--stream", "--json", "hi"],
      /--stream and --json cannot be combined/,
    ],
    [
      ["invoke", "--endpoint", "e", "How", "are", "you"],
      /expected at most one prompt argument, got 3/,
    ],
    [
      ["invoke", "--endpoint", "e", "--stream=yes", "hi"],
      /option '--stream' does not take an argument/,
    ],
    [
      ["driver-app", "--backend", "gpt"],
      /--backend must be echo, ngram or endpoint:<name>, got 'gpt'/,
    ],
    [["driver-app", "--backend", "endpoint:"], /--backend must be echo, ngram or endpoint:<name>/],
    [["driver-app", "--port", "70000"], /--port: Invalid driver proxy port: "70000"/],
    [
      ["driver-app", "--profile", "p"],
      /--profile and --timeout apply to --backend endpoint:NAME only/,
    ],
    [["driver-app", "x"], /unexpected argument 'x'/],
  ])("%j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split("\n")).toHaveLength(2); // one line + the final newline
    expect(result.stderr).toMatch(/^langchain-databricks: /);
  });

  it("refuses to wait on a terminal when no prompt is given", async () => {
    const tty = Object.assign(
      (async function* () {
        // never yields: a terminal nobody types into
      })(),
      { isTTY: true },
    );
    const result = await run(["invoke", "--endpoint", "e"], { stdin: tty });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no prompt: pass it as an argument, or pipe it on stdin/);
  });

  it("refuses an empty prompt on stdin", async () => {
    const result = await run(["invoke", "--endpoint", "e"], { stdin: "\n" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the prompt read from stdin is empty/);
  });
});

describe("parseCommand", () => {
  const spec = {
    name: "demo",
    usage: "Usage: demo\n",
    options: {
      port: { type: "string" },
      stop: { type: "string", multiple: true },
      quiet: { type: "boolean" },
    },
  } as const;

  it("returns the declared values, without help", () => {
    const stdout = new Capture();
    const line = parseCommand(
      stdout,
      ["--port", "1", "--stop", "a", "--stop", "b", "--quiet"],
      spec,
    );
    expect(line).toEqual({ values: { port: "1", stop: ["a", "b"], quiet: true }, positionals: [] });
    expect(stdout.text).toBe("");
  });

  it("prints the usage and returns undefined for --help / -h", () => {
    for (const argv of [["--help"], ["-h"], ["--port", "1", "-h", "extra"]]) {
      const stdout = new Capture();
      expect(parseCommand(stdout, argv, spec)).toBeUndefined();
      expect(stdout.text).toBe("Usage: demo\n");
    }
  });

  it("refuses positionals unless the command takes them", () => {
    const stdout = new Capture();
    expect(() => parseCommand(stdout, ["x", "y"], spec)).toThrow(
      new CliUsageError("unexpected argument 'x'", "demo"),
    );
    expect(parseCommand(stdout, ["x", "y"], { ...spec, positionals: true })).toEqual({
      values: {},
      positionals: ["x", "y"],
    });
  });

  it("turns parseArgs errors into usage errors naming the command", () => {
    const error = (() => {
      try {
        parseCommand(new Capture(), ["--nope"], spec);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as CliUsageError).message).toBe("unknown option '--nope'");
    expect((error as CliUsageError).command).toBe("demo");
  });
});

describe("option helpers", () => {
  it("parses durations in seconds or with units", () => {
    expect(durationOption("c", "timeout", "30")).toBe(30_000);
    expect(durationOption("c", "timeout", "2.5")).toBe(2500);
    expect(durationOption("c", "timeout", "500ms")).toBe(500);
    expect(durationOption("c", "timeout", "30s")).toBe(30_000);
    expect(durationOption("c", "timeout", "2m")).toBe(120_000);
    expect(() => durationOption("c", "timeout", "-1")).toThrow(CliUsageError);
    expect(() => durationOption("c", "timeout", "1h")).toThrow(CliUsageError);
  });

  it("refuses every infinite --timeout: the client's `timeout` takes finite numbers only", () => {
    // Spelled out, as an exponent, or as digits past Number.MAX_VALUE (Number() gives Infinity).
    for (const raw of ["Infinity", "inf", "1e999", "9".repeat(400), `${"9".repeat(400)}ms`]) {
      expect(() => durationOption("c", "timeout", raw), raw).toThrow(
        /--timeout must be a positive duration/,
      );
    }
    // Finite but past the longest timer: the usage error names the limit.
    expect(() => durationOption("c", "timeout", "999999999")).toThrow(/at most 35791m/);
  });

  it("parses integers and numbers within bounds", () => {
    expect(integerOption("c", "n", " 42 ", 1, 100)).toBe(42);
    expect(() => integerOption("c", "n", "101", 1, 100)).toThrow(/from 1 to 100/);
    expect(() => integerOption("c", "n", "1e2", 1, 1000)).toThrow(CliUsageError);
    expect(numberOption("c", "t", "0.7", 0)).toBe(0.7);
    expect(() => numberOption("c", "t", "", 0)).toThrow(CliUsageError);
    expect(() => numberOption("c", "t", "Infinity", 0)).toThrow(CliUsageError);
  });

  it("formats any error as one redacted line", () => {
    expect(errorLine(new Error("a\nb\r\n  c"))).toBe("langchain-databricks: a b c\n");
    expect(errorLine(new Error("token dapi0123456789abcdef0123 leaked"))).toBe(
      "langchain-databricks: token *** leaked\n",
    );
    expect(errorLine("plain")).toBe("langchain-databricks: plain\n");
    expect(errorLine(new CliUsageError("bad", "invoke"))).toBe(
      "langchain-databricks: bad (see 'langchain-databricks invoke --help')\n",
    );
  });
});
