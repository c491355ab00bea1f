import { DatabricksConfigError } from "../errors.js";
import { detectRuntime, type RuntimeInfo } from "../utils/runtime.js";
import { fetchSender } from "./fetch_sender.js";
import type { HttpSender } from "./types.js";
import { createUndiciSender, type UndiciModule } from "./undici_sender.js";

/**
 * The module name in a variable: bundlers (esbuild, webpack, Vite, rolldown) follow only literal
 * `import("…")`, so a bundle for the web or an edge runtime never pulls undici (and its `node:*`
 * imports) in. On Node it resolves from the package's own `node_modules` as usual.
 */
const UNDICI_MODULE = "undici";

/**
 * Which HTTP client the default sender uses, per runtime:
 *
 * - **Node**: undici's `request` over a keep-alive pool, about 2× global `fetch` per call and 4× at
 *   concurrency on the project machines (Node's own `fetch` is undici behind a WHATWG layer).
 * - **Bun, Deno, edge runtimes, browsers**: the global `fetch`, which is native code there; undici
 *   would run on their `node:net` emulation (Bun even maps `undici` to its own fetch), and Deno would
 *   need extra permissions to load it.
 */
export function prefersUndici(runtime: RuntimeInfo = detectRuntime()): boolean {
  return runtime.name === "node";
}

let undiciLoading: Promise<HttpSender> | undefined;

/**
 * Import undici once and build its sender; concurrent first requests share the one import. The
 * import is dynamic so that loading the package costs nothing for undici (about 120 ms on Node)
 * until the first request, and nothing at all with a `fetch` option.
 */
export function loadUndiciSender(): Promise<HttpSender> {
  undiciLoading ??= (
    import(/* webpackIgnore: true */ /* @vite-ignore */ UNDICI_MODULE) as Promise<UndiciModule>
  ).then(createUndiciSender);
  return undiciLoading;
}

/** The undici sender, loaded on its first request (whatever the runtime; tests use it on Node). */
export const undiciSender: HttpSender = async (request) => (await loadUndiciSender())(request);

/**
 * A sender on the runtime's global `fetch`, looked up at call time (so a `fetch` installed after
 * the package loaded is used) and called unbound, as some runtimes require.
 */
export function globalFetchSender(): HttpSender {
  if (typeof globalThis.fetch !== "function") {
    throw new DatabricksConfigError(
      "This runtime has no global `fetch` to send requests with: pass a WHATWG `fetch` as the `fetch` option.",
    );
  }
  return fetchSender((input, init) => globalThis.fetch(input, init));
}

let defaultLoading: Promise<HttpSender> | undefined;
let defaultLoaded: HttpSender | undefined;

function loadDefaultSender(): Promise<HttpSender> {
  defaultLoading ??= (
    prefersUndici()
      ? // undici is a dependency, but a bundled or trimmed deployment may lack it: use fetch then.
        loadUndiciSender().catch(() => globalFetchSender())
      : Promise.resolve().then(globalFetchSender)
  ).then((sender) => {
    defaultLoaded = sender;
    return sender;
  });
  return defaultLoading;
}

/**
 * The sender used without a `fetch` option: picks the runtime's fastest client on its first request
 * (see {@link prefersUndici}) and calls it directly from then on.
 */
export const defaultSender: HttpSender = (request) =>
  defaultLoaded ? defaultLoaded(request) : loadDefaultSender().then((sender) => sender(request));
