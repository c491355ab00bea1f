import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Tests must never see the developer's workspace: no DATABRICKS_* variables, and a HOME without a
// ~/.databrickscfg. Tests that need either set them explicitly (vi.stubEnv, temp files).
for (const name of Object.keys(process.env)) {
  if (name.startsWith("DATABRICKS_")) delete process.env[name];
}
process.env["HOME"] = mkdtempSync(join(tmpdir(), "ldb-home-"));
