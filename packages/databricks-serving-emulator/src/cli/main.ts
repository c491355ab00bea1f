#!/usr/bin/env node
/** The `databricks-serving-emulator` executable: wires the real process into {@link runEmulatorCli}. */
import { readFileSync } from "node:fs";
import { runEmulatorCli } from "./run.js";

function version(): string | undefined {
  try {
    const url = new URL("../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  interrupts += 1;
  // A second Ctrl-C means "now": do not wait for connections to drain.
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

void runEmulatorCli({
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  version: version(),
}).then((code) => {
  process.stdout.write("", () => process.exit(code));
});
