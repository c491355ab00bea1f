import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfigProfile, parseIni } from "../../src/auth/config_file.js";
import { DatabricksConfigError } from "../../src/errors.js";

const section = (text: string, name: string): Record<string, string> =>
  Object.fromEntries(parseIni(text, "cfg").get(name) ?? new Map());

describe("parseIni (go-ini rules)", () => {
  it("reads sections and trims keys and values", () => {
    const text = "[dev]\n  host   =   https://dev.cloud.databricks.com  \n\ttoken=dapi123\n";
    expect(section(text, "dev")).toEqual({
      host: "https://dev.cloud.databricks.com",
      token: "dapi123",
    });
  });

  it("puts keys before any section into DEFAULT", () => {
    const sections = parseIni("host = https://a\n[x]\nhost = https://b\n", "cfg");
    expect(sections.get("DEFAULT")?.get("host")).toBe("https://a");
    expect(sections.get("x")?.get("host")).toBe("https://b");
  });

  it("splits at the first '=' or ':'", () => {
    const text = "[s]\na: b=c\nd = e:f\nurl = https://h:443/x\n";
    expect(section(text, "s")).toEqual({ a: "b=c", d: "e:f", url: "https://h:443/x" });
  });

  it("starts inline comments only at ' #' (first) or ' ;'", () => {
    const text = [
      "[s]",
      "a = abc#123",
      "b = abc;123",
      "c = abc # comment",
      "d = abc ; comment",
      "e = x ; y # z",
      "f = x;y ;z",
      "g = #notacomment",
    ].join("\n");
    expect(section(text, "s")).toEqual({
      a: "abc#123",
      b: "abc;123",
      c: "abc",
      d: "abc",
      e: "x ; y", // " #" is looked for first, as go-ini does
      f: "x;y",
      g: "#notacomment",
    });
  });

  it("skips whole-line # and ; comments and blank lines", () => {
    const text = "# c1\n; c2\n   # indented\n\n[s]\n;k = v\nk2 = v2\r\n";
    expect(section(text, "s")).toEqual({ k2: "v2" });
  });

  it("strips one pair of surrounding quotes like go-ini (sdk-go testdata)", () => {
    const text = [
      "[password-with-double-quotes]",
      'password = "%Y#X$Z" # comment',
      "[password-with-single-quotes]",
      "password = '%Y#X$Z' ; comment",
      "[password-without-quotes]",
      "password = %Y#X$Z",
      "[other]",
      'a = "x"y"',
      'b = "unterminated',
    ].join("\n");
    for (const name of [
      "password-with-double-quotes",
      "password-with-single-quotes",
      "password-without-quotes",
    ]) {
      expect(section(text, name)["password"]).toBe("%Y#X$Z");
    }
    expect(section(text, "other")).toEqual({ a: '"x"y"', b: '"unterminated' });
  });

  it("takes the section name raw between '[' and the last ']'", () => {
    const sections = parseIni("[ spaced ]\na=1\n[a]b] # c\nb=2\n", "cfg");
    expect(sections.get(" spaced ")?.get("a")).toBe("1");
    expect(sections.get("a]b")?.get("b")).toBe("2");
  });

  it("merges repeated sections and keeps the last value of a repeated key", () => {
    expect(section("[s]\na=1\n[t]\n[s]\na=2\nb=3\n", "s")).toEqual({ a: "2", b: "3" });
  });

  it("rejects a line without a delimiter, naming file and line but not the content", () => {
    const text = "[s]\nhost = h\ndapiSECRETLINE0123456789\n";
    let error: unknown;
    try {
      parseIni(text, "/tmp/x.cfg");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabricksConfigError);
    expect((error as Error).message).toContain("/tmp/x.cfg:3");
    expect((error as Error).message).toContain("delimiter not found");
    expect((error as Error).message).not.toContain("SECRETLINE");
  });

  it("rejects an unclosed or empty section header", () => {
    expect(() => parseIni("[s\n", "f")).toThrow(/f:1: unclosed section/);
    expect(() => parseIni("\n[]\n", "f")).toThrow(/f:2: empty section name/);
  });

  it("ignores a UTF-8 BOM", () => {
    expect(section("\uFEFF[s]\na=1", "s")).toEqual({ a: "1" });
  });
});

describe("loadConfigProfile", () => {
  let dir: string;
  let path: string;
  const write = (text: string): void => writeFileSync(path, text);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dbcfg-"));
    path = join(dir, ".databrickscfg");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const FILE = [
    "[DEFAULT]",
    "host = https://default.cloud.databricks.com",
    "token = dapiDEFAULT",
    "",
    "[dev]",
    "host = https://dev.cloud.databricks.com",
    "",
    "[prod]",
    "host = https://prod.cloud.databricks.com",
    "token = dapiPROD",
  ].join("\n");

  it("reads a requested profile without inheriting DEFAULT keys", () => {
    write(FILE);
    const profile = loadConfigProfile({ configFile: path, profile: "dev", env: {} });
    expect(profile).toEqual({
      name: "dev",
      path,
      values: { host: "https://dev.cloud.databricks.com" },
    });
  });

  it("falls back to DEFAULT when no profile is requested", () => {
    write(FILE);
    expect(loadConfigProfile({ configFile: path, env: {} })?.name).toBe("DEFAULT");
  });

  it("uses [__settings__] default_profile before DEFAULT", () => {
    write(`${FILE}\n[__settings__]\ndefault_profile = prod\n`);
    const profile = loadConfigProfile({ configFile: path, env: {} });
    expect(profile?.name).toBe("prod");
    expect(profile?.values["token"]).toBe("dapiPROD");
    // An explicit profile still wins over default_profile.
    expect(loadConfigProfile({ configFile: path, profile: "dev", env: {} })?.name).toBe("dev");
  });

  it("errors when default_profile names a missing profile", () => {
    write(`${FILE}\n[__settings__]\ndefault_profile = nope\n`);
    expect(() => loadConfigProfile({ configFile: path, env: {} })).toThrow(
      `resolve: ${path} has no nope profile configured`,
    );
  });

  it("refuses __settings__ as a profile", () => {
    write(`${FILE}\n[__settings__]\ndefault_profile = dev\n`);
    expect(() => loadConfigProfile({ configFile: path, profile: "__settings__", env: {} })).toThrow(
      /cannot be used as a profile/,
    );
  });

  it("errors on a missing named profile and lists the available ones", () => {
    write(FILE);
    expect(() => loadConfigProfile({ configFile: path, profile: "staging", env: {} })).toThrow(
      `resolve: ${path} has no staging profile configured. Available profiles: DEFAULT, dev, prod.`,
    );
  });

  it("ignores a missing or empty DEFAULT during fallback", () => {
    write("[dev]\nhost = https://dev\n");
    expect(loadConfigProfile({ configFile: path, env: {} })).toBeUndefined();
    write("[DEFAULT]\n[dev]\nhost = https://dev\n");
    expect(loadConfigProfile({ configFile: path, env: {} })).toBeUndefined();
  });

  it("reads ~/.databrickscfg from HOME and ignores it silently when missing", () => {
    expect(loadConfigProfile({ env: { HOME: dir } })).toBeUndefined();
    write(FILE);
    expect(loadConfigProfile({ env: { HOME: dir } })?.path).toBe(path);
    expect(loadConfigProfile({ configFile: "~/.databrickscfg", env: { HOME: dir } })?.path).toBe(
      path,
    );
  });

  it("errors when an explicitly named file is missing", () => {
    expect(() => loadConfigProfile({ configFile: join(dir, "nope.cfg"), env: {} })).toThrow(
      /Config file .*nope\.cfg does not exist/,
    );
  });

  it("errors when a profile is requested but the default file is missing", () => {
    expect(() => loadConfigProfile({ profile: "dev", env: { HOME: dir } })).toThrow(
      /has no dev profile configured: the file does not exist/,
    );
  });

  it("reports a malformed line with the file path", () => {
    write("[dev]\ntoken dapi0123456789\n");
    expect(() => loadConfigProfile({ configFile: path, profile: "dev", env: {} })).toThrow(
      `${path}:2`,
    );
  });
});
