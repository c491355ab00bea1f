/**
 * The package version. Builds (tsdown) and tests (vitest) replace `__PKG_VERSION__` with the
 * package.json version; when the sources run without a build step (e.g. `tsx`), the entry script
 * may define it on `globalThis`, else this says `0.0.0-dev`. Read at call time for that reason.
 */
export function packageVersion(): string {
  return typeof __PKG_VERSION__ === "string" ? __PKG_VERSION__ : "0.0.0-dev";
}
