import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Tests must never see the developer's workspace: no DATABRICKS_* variables, and a HOME without a
// ~/.databrickscfg. Tests that need either set them explicitly (vi.stubEnv, temp files).
for (const name of Object.keys(process.env)) {
  if (name.startsWith("DATABRICKS_")) delete process.env[name];
}
process.env["HOME"] = mkdtempSync(join(tmpdir(), "ldb-home-"));

// The library imports undici on its first request (so that importing it stays fast). Tests that
// abort a call after a fixed delay would race that one-time import on a loaded machine: load it
// here once per test file. (Tests of the lazy loading itself run in child processes.)
await import("undici");
