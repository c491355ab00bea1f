/**
 * Which JavaScript runtime the package runs in, found from globals only (no import, no permission
 * needed), so the core can load anywhere and pick what is fastest there.
 */

/** A Deno permission descriptor, as `Deno.permissions.querySync` takes it. */
export type DenoPermission =
  | { name: "env"; variable?: string }
  | { name: "net"; host?: string }
  | { name: "read"; path?: string }
  | { name: "sys"; kind?: "homedir" };

/** The part of Deno's global this package uses; declared here so no Deno types are needed. */
interface DenoGlobal {
  version?: { deno?: string };
  permissions?: {
    querySync?: (descriptor: DenoPermission) => { state: string };
  };
}

/** The runtimes the package tells apart. `other` covers edge runtimes, browsers and workers. */
export type RuntimeName = "node" | "bun" | "deno" | "other";

/** The current runtime and its version (`undefined` for `other`). */
export interface RuntimeInfo {
  name: RuntimeName;
  version: string | undefined;
}

/** The global `process`, where the runtime has one (Node, Bun, Deno 2; not edge runtimes). */
export function globalProcess(): NodeJS.Process | undefined {
  return typeof process === "undefined" ? undefined : process;
}

/** Deno's global, where the code runs in Deno. */
export function denoGlobal(): DenoGlobal | undefined {
  return (globalThis as { Deno?: DenoGlobal }).Deno;
}

/**
 * Name the runtime. Bun and Deno both report a `process.versions.node` (a Node version they are
 * compatible with), so they are recognised first.
 */
export function detectRuntime(): RuntimeInfo {
  const versions = globalProcess()?.versions as Record<string, string | undefined> | undefined;
  const deno = denoGlobal();
  if (deno !== undefined)
    return { name: "deno", version: deno.version?.deno ?? versions?.["deno"] };
  if (typeof versions?.["bun"] === "string") return { name: "bun", version: versions["bun"] };
  if (typeof versions?.["node"] === "string") return { name: "node", version: versions["node"] };
  return { name: "other", version: undefined };
}

/**
 * A Node built-in module loaded synchronously through `process.getBuiltinModule` (Node ≥ 20.16,
 * Bun, Deno 2), or `undefined` where the runtime has none (edge runtimes, browsers, older Node).
 * The core never imports `node:*` statically, so bundlers for the web never see these modules.
 */
export function getBuiltinModule<T>(id: string): T | undefined {
  const load = (globalProcess() as { getBuiltinModule?: (id: string) => unknown } | undefined)
    ?.getBuiltinModule;
  return typeof load === "function" ? (load(id) as T | undefined) : undefined;
}

/**
 * Whether `error` is a runtime refusing access for lack of a permission: Deno's `NotCapable`
 * (Deno 2) or `PermissionDenied` (Deno 1) when a `--allow-*` flag is missing.
 */
export function isPermissionError(error: unknown): error is Error {
  return (
    error instanceof Error && (error.name === "NotCapable" || error.name === "PermissionDenied")
  );
}

/**
 * Whether Deno would refuse `permission` (not granted: a prompt or a denial). Asks the permission
 * state, never the user, so nothing prompts. `false` outside Deno.
 */
export function denoRefuses(permission: DenoPermission): boolean {
  const query = denoGlobal()?.permissions?.querySync;
  if (typeof query !== "function") return false;
  try {
    return query(permission).state !== "granted";
  } catch {
    return true;
  }
}
