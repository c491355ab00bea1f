// Types only: the modules themselves are loaded when a config file is consulted (`fileAccess`).
import type * as NodeFs from "node:fs";
import type * as NodeOs from "node:os";
import type * as NodePath from "node:path";
import { DatabricksConfigError } from "../errors.js";
import { readEnvVar, type Env } from "../utils/env.js";
import {
  denoRefuses,
  detectRuntime,
  getBuiltinModule,
  isPermissionError,
} from "../utils/runtime.js";

/** Parsed INI: section name → key → value, in file order. */
export type IniSections = Map<string, Map<string, string>>;

/** One profile of a Databricks config file. */
export interface ConfigProfile {
  /** The section name (`DEFAULT`, `dev`…). */
  name: string;
  /** Absolute path of the file it came from. */
  path: string;
  /** Its keys (`host`, `token`, `client_id`…), exactly as written; no `DEFAULT` inheritance. */
  values: Readonly<Record<string, string>>;
}

/** Section name that holds settings (`default_profile`), never a profile. */
export const SETTINGS_SECTION = "__settings__";
/** Section for keys before any header, and the fallback profile. */
export const DEFAULT_SECTION = "DEFAULT";
/** Where the Databricks CLI and SDKs keep profiles. */
export const DEFAULT_CONFIG_FILE = "~/.databrickscfg";

/**
 * Parse a `.databrickscfg` file the way databricks-sdk-go does (go-ini with
 * `SpaceBeforeInlineComment: true`), so a file that works with the CLI and the other SDKs means the
 * same here:
 *
 * - `[name]` starts a section; the name is the raw text between `[` and the last `]` (not trimmed).
 *   Keys before any header belong to `DEFAULT`. Repeated sections merge; a repeated key keeps the
 *   last value.
 * - Whole lines starting with `#` or `;` (after indentation) are comments; blank lines are skipped.
 * - The first `=` or `:` splits key from value; both are trimmed.
 * - An inline comment starts only at `" #"` (looked for first) or, failing that, `" ;"`, so secrets
 *   such as `abc#123` survive.
 * - Then one pair of surrounding `"…"` or `'…'` is removed when the value holds exactly those two
 *   quote characters (go-ini's rule): `password = "%Y#X$Z" # comment` gives `%Y#X$Z`.
 * - A line that is none of the above is an error naming the file and line (never its content,
 *   which may be a secret).
 *
 * Not supported (rare in config files): go-ini's backtick and triple-quoted multi-line values and
 * `\` line continuations; such values are read literally.
 *
 * @param text - The file content.
 * @param path - Used only in error messages.
 * @throws DatabricksConfigError on a malformed line.
 */
export function parseIni(text: string, path: string): IniSections {
  const sections: IniSections = new Map([[DEFAULT_SECTION, new Map<string, string>()]]);
  let current = sections.get(DEFAULT_SECTION) as Map<string, string>;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n|\r/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const where = `${path}:${index + 1}`;
    if (line.startsWith("[")) {
      const close = line.lastIndexOf("]");
      if (close === -1) {
        throw new DatabricksConfigError(
          `Invalid config file ${where}: unclosed section header (missing "]").`,
        );
      }
      const name = line.slice(1, close);
      if (name === "") {
        throw new DatabricksConfigError(`Invalid config file ${where}: empty section name "[]".`);
      }
      let section = sections.get(name);
      if (!section) {
        section = new Map();
        sections.set(name, section);
      }
      current = section;
      return;
    }
    const delimiter = line.search(/[=:]/);
    if (delimiter === -1) {
      throw new DatabricksConfigError(
        `Invalid config file ${where}: key-value delimiter not found (expected "key = value", "[section]" or a "#" comment).`,
      );
    }
    const key = line.slice(0, delimiter).trim();
    if (key === "") {
      throw new DatabricksConfigError(
        `Invalid config file ${where}: empty key name before the delimiter.`,
      );
    }
    current.set(key, parseValue(line.slice(delimiter + 1)));
  });
  return sections;
}

function parseValue(raw: string): string {
  let value = raw.trim();
  let comment = value.indexOf(" #");
  if (comment === -1) comment = value.indexOf(" ;");
  if (comment !== -1) value = value.slice(0, comment).trimEnd();
  for (const quote of ['"', "'"]) {
    if (
      value.length >= 2 &&
      value.startsWith(quote) &&
      value.endsWith(quote) &&
      value.split(quote).length === 3
    ) {
      return value.slice(1, -1);
    }
  }
  return value;
}

/**
 * The config file cannot be read in this runtime: it has no file system (edge runtimes, browsers,
 * Node < 20.16 without `process.getBuiltinModule`) or lacks a permission (Deno without
 * `--allow-read`). A {@link DatabricksConfigError} whose message says what to do;
 * `resolveDatabricksConfig` ignores it when no profile or file was asked for.
 */
export class ConfigFileUnavailableError extends DatabricksConfigError {
  // Shown as the public class it is: users catch and read `DatabricksConfigError`.
  override name = "DatabricksConfigError";
  /** The short why (`no file system here`, `Deno needs --allow-read=…`), for other messages. */
  readonly reason: string;

  constructor(message: string, init: { reason: string; cause?: unknown }) {
    super(message, { cause: init.cause });
    this.reason = init.reason;
  }
}

/** What this module needs from `node:fs`, `node:os` and `node:path`. */
interface FileAccess {
  readFileSync(path: string, encoding: "utf8"): string;
  homedir(): string;
  join(...parts: string[]): string;
  resolve(...parts: string[]): string;
}

const USE_OPTIONS_INSTEAD =
  "Or pass `host` and `token` (or `clientId` + `clientSecret`) as options instead of a profile.";

/**
 * The Node built-ins, loaded synchronously only now that a config file is consulted: the core
 * imports no `node:*` module, so it loads in edge runtimes and browsers, and `resolveDatabricksConfig`
 * stays synchronous (model constructors call it).
 */
function fileAccess(what: string): FileAccess {
  const fs = getBuiltinModule<typeof NodeFs>("node:fs");
  const os = getBuiltinModule<typeof NodeOs>("node:os");
  const path = getBuiltinModule<typeof NodePath>("node:path");
  if (!fs || !os || !path) {
    const runtime = detectRuntime();
    const reason =
      runtime.name === "node"
        ? `Node.js ${runtime.version ?? ""} has no \`process.getBuiltinModule\` (added in Node.js 20.16)`
        : "this runtime has no file system access (no `process.getBuiltinModule`)";
    throw new ConfigFileUnavailableError(
      `Cannot read ${what}: ${reason}. Config-file profiles need Node.js >= 20.16, Bun or Deno with file access. ${USE_OPTIONS_INSTEAD}`,
      { reason },
    );
  }
  return {
    readFileSync: (file, encoding) => fs.readFileSync(file, encoding),
    homedir: () => os.homedir(),
    join: (...parts) => path.join(...parts),
    resolve: (...parts) => path.resolve(...parts),
  };
}

/** A `DatabricksConfigError` for a permission the runtime refused, naming the Deno flag to add. */
function permissionError(what: string, flag: string, error: Error): ConfigFileUnavailableError {
  return new ConfigFileUnavailableError(
    `Cannot read ${what}: the runtime refused access (${error.name}). Under Deno, run with ${flag}. ${USE_OPTIONS_INSTEAD}`,
    { reason: `access refused; under Deno, run with ${flag}`, cause: error },
  );
}

/** The error Deno would throw for a missing permission, without asking the user. */
function permissionRefused(permission: string): Error {
  const error = new Error(`Requires ${permission} access`);
  error.name = "NotCapable";
  return error;
}

/**
 * Expand a leading `~` with the home directory: `HOME` (or `USERPROFILE`) from `env` when set
 * (tests, sandboxes), otherwise `os.homedir()`.
 *
 * @throws ConfigFileUnavailableError when the home directory cannot be found (no file system, or
 *   Deno without `--allow-env=HOME`).
 */
export function expandHome(path: string, env?: Env): string {
  if (path !== "~" && !path.startsWith("~/") && !path.startsWith("~\\")) return path;
  const what = `the config file ${path}`;
  const files = fileAccess(what);
  const home = readEnvVar("HOME", env);
  const profileDir = readEnvVar("USERPROFILE", env);
  let dir = home.value ?? profileDir.value;
  if (dir === undefined) {
    try {
      // Deno would prompt for (or refuse) sys access: ask the permission state instead.
      if (denoRefuses({ name: "sys", kind: "homedir" })) throw permissionRefused("sys");
      dir = files.homedir();
    } catch (error) {
      if (!isPermissionError(error)) throw error;
      throw permissionError(
        `${what} (the home directory is unknown)`,
        "--allow-env=HOME, or --allow-sys=homedir where HOME is unset (or set `configFile` / DATABRICKS_CONFIG_FILE to an absolute path)",
        error,
      );
    }
  }
  return files.join(dir, path.slice(1));
}

/** What {@link loadConfigProfile} needs: already merged from options and environment. */
export interface LoadConfigProfileOptions {
  /** An explicitly named file (`configFile` / DATABRICKS_CONFIG_FILE); it must exist. */
  configFile?: string | undefined;
  /** An explicitly requested profile (`profile` / DATABRICKS_CONFIG_PROFILE); it must exist. */
  profile?: string | undefined;
  /** The environment (`HOME`); the process environment by default. */
  env?: Env | undefined;
}

/**
 * Read the config file and pick a profile, as the Databricks SDKs do:
 *
 * 1. the requested profile (`profile` / DATABRICKS_CONFIG_PROFILE), else
 * 2. `[__settings__] default_profile`, else
 * 3. `[DEFAULT]`, as a fallback only: a missing or empty `DEFAULT` is ignored.
 *
 * The file is `configFile` when given, else `~/.databrickscfg`. A missing default file is ignored
 * (returns `undefined`) unless a profile was requested. Reads synchronously: model constructors
 * resolve auth synchronously. `node:fs`, `node:os` and `node:path` are loaded only here.
 *
 * @throws ConfigFileUnavailableError (a {@link DatabricksConfigError}) when the runtime cannot read
 *   files or lacks a permission, saying what to do.
 * @throws DatabricksConfigError when a named file or profile is missing, `__settings__` is asked
 *   for as a profile, or the file is malformed or unreadable.
 */
export function loadConfigProfile(options: LoadConfigProfileOptions): ConfigProfile | undefined {
  const requestedFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const files = fileAccess(`the config file ${requestedFile}`);
  let path: string;
  try {
    // A relative path resolves against the working directory, which Deno guards like a read.
    path = files.resolve(expandHome(requestedFile, options.env));
  } catch (error) {
    if (!isPermissionError(error)) throw error;
    throw permissionError(`the config file ${requestedFile}`, "--allow-read", error);
  }
  let text: string;
  try {
    // Deno would prompt for (or refuse) read access: ask the permission state instead.
    if (denoRefuses({ name: "read", path })) throw permissionRefused("read");
    text = files.readFileSync(path, "utf8");
  } catch (error) {
    if (isPermissionError(error)) {
      throw permissionError(`the config file ${path}`, `--allow-read=${path}`, error);
    }
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      if (options.configFile !== undefined) {
        throw new DatabricksConfigError(
          `Config file ${path} does not exist. Fix the \`configFile\` option or DATABRICKS_CONFIG_FILE, or unset it to use ${DEFAULT_CONFIG_FILE}.`,
        );
      }
      if (options.profile !== undefined) {
        throw new DatabricksConfigError(
          `resolve: ${path} has no ${options.profile} profile configured: the file does not exist. Create it (e.g. \`databricks configure --profile ${options.profile}\`) or unset \`profile\` / DATABRICKS_CONFIG_PROFILE.`,
        );
      }
      return undefined;
    }
    throw new DatabricksConfigError(
      `Cannot read config file ${path}${typeof code === "string" ? ` (${code})` : ""}.`,
      { cause: error },
    );
  }
  const sections = parseIni(text, path);
  const requested =
    options.profile ?? sections.get(SETTINGS_SECTION)?.get("default_profile") ?? undefined;
  const name = requested === "" ? undefined : requested;
  if (name === undefined) {
    const fallback = sections.get(DEFAULT_SECTION);
    if (!fallback || fallback.size === 0) return undefined;
    return { name: DEFAULT_SECTION, path, values: Object.fromEntries(fallback) };
  }
  if (name === SETTINGS_SECTION) {
    throw new DatabricksConfigError(
      `resolve: ${SETTINGS_SECTION} in ${path} holds settings and cannot be used as a profile. Choose another profile.`,
    );
  }
  const section = sections.get(name);
  if (!section) {
    const available = [...sections.entries()]
      .filter(
        ([key, values]) => key !== SETTINGS_SECTION && (key !== DEFAULT_SECTION || values.size > 0),
      )
      .map(([key]) => key);
    const hint =
      available.length > 0
        ? ` Available profiles: ${available.join(", ")}.`
        : " The file has no profiles.";
    throw new DatabricksConfigError(`resolve: ${path} has no ${name} profile configured.${hint}`);
  }
  return { name, path, values: Object.fromEntries(section) };
}
