import { readFileSync } from "node:fs";

/**
 * The package version: injected at build time (`__PKG_VERSION__`); when running the sources
 * directly (`tsx src/cli/main.ts`) there is no build step, so it is read from package.json.
 */
export function packageVersion(): string {
  if (typeof __PKG_VERSION__ === "string") return __PKG_VERSION__;
  try {
    const url = new URL("../../package.json", import.meta.url);
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
    if (typeof pkg.version === "string") return pkg.version;
  } catch {
    // fall through: no package.json next to the sources
  }
  return "0.0.0-dev";
}
