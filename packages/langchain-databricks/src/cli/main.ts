#!/usr/bin/env node
/**
 * The `langchain-databricks` executable: wires the real process into {@link runCli}. Everything
 * testable lives in `run.ts`; this file only owns signals and the exit.
 */
import { runCli } from "./run.js";
import { packageVersion } from "./version.js";

// Builds replace `__PKG_VERSION__` with a literal (making this dead code); running the sources
// directly (`tsx src/cli/main.ts`) has no such step, and the library reads it for its User-Agent.
if (typeof __PKG_VERSION__ === "undefined") {
  Object.assign(globalThis, { __PKG_VERSION__: packageVersion() });
}

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  interrupts += 1;
  // A second Ctrl-C means "now": do not wait for servers to drain.
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

// No top-level await: the same entry is also bundled as CommonJS.
void runCli({
  argv: process.argv.slice(2),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  // Exit explicitly once stdout is flushed: keep-alive sockets would otherwise hold the process.
  process.stdout.write("", () => process.exit(code));
});
