import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { DatabricksConfigError } from "../errors.js";
import { readEnv, type Env } from "../utils/env.js";

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
 * Expand a leading `~` with the home directory: `HOME` from `env` when set (tests, sandboxes),
 * otherwise `os.homedir()`.
 */
export function expandHome(path: string, env: Env): string {
  if (path !== "~" && !path.startsWith("~/") && !path.startsWith("~\\")) return path;
  const home = readEnv("HOME", env) ?? readEnv("USERPROFILE", env) ?? homedir();
  return join(home, path.slice(1));
}

/** What {@link loadConfigProfile} needs: already merged from options and environment. */
export interface LoadConfigProfileOptions {
  /** An explicitly named file (`configFile` / DATABRICKS_CONFIG_FILE); it must exist. */
  configFile?: string | undefined;
  /** An explicitly requested profile (`profile` / DATABRICKS_CONFIG_PROFILE); it must exist. */
  profile?: string | undefined;
  env: Env;
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
 * resolve auth synchronously.
 *
 * @throws DatabricksConfigError when a named file or profile is missing, `__settings__` is asked
 *   for as a profile, or the file is malformed or unreadable.
 */
export function loadConfigProfile(options: LoadConfigProfileOptions): ConfigProfile | undefined {
  const path = resolvePath(expandHome(options.configFile ?? DEFAULT_CONFIG_FILE, options.env));
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
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
