/**
 * The record of one bench run: the markdown printed on stdout, and the same figures as JSON
 * (`bench/results/*.json`) so runs can be compared by a program, not by reading tables.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { Row } from "./scenarios.js";

/** One scenario's table: its rows' raw metrics, the ratios the table shows, and any caveat. */
export interface Section {
  id: string;
  title: string;
  /** Seconds the scenario took (warm-up included), to keep `--quick` under its budget. */
  seconds: number;
  rows: (Row & { ratios: Record<string, number> })[];
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export interface RunRecord {
  date: string;
  mode: { quick: boolean; scale: number; rounds: number; only: string[] };
  machine: Machine;
  versions: Record<string, string>;
  commit: { sha: string; subject: string; dirty: boolean } | null;
  counts: Record<string, number>;
  sections: Section[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** The checked-out commit, or null outside a git work tree (a tarball of the repository). */
export function gitCommit(cwd: string): RunRecord["commit"] {
  try {
    const git = (...args: string[]): string =>
      execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const [sha = "", subject = ""] = git("log", "-1", "--format=%H%n%s").split("\n");
    return { sha, subject, dirty: git("status", "--porcelain").trim() !== "" };
  } catch {
    return null;
  }
}

/**
 * Write `<dir>/<name>.json` and `<dir>/<name>.md`, creating `dir` (absent on a fresh clone: the
 * results are not all committed, see docs/BENCHMARKS.md). Returns the JSON path.
 */
export function writeRecord(dir: URL, name: string, record: RunRecord, markdown: string): string {
  mkdirSync(dir, { recursive: true });
  const json = new URL(`${name}.json`, dir);
  // NaN (a figure that could not be measured) becomes null in JSON, which is what readers expect.
  writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(new URL(`${name}.md`, dir), markdown);
  return json.pathname;
}
