import { readEnv } from "../utils/env.js";
import { detectRuntime, globalProcess } from "../utils/runtime.js";
import { packageVersion } from "../version.js";

const TOKEN = /^[a-zA-Z0-9_.+-]+$/;

/**
 * The Databricks User-Agent convention: space-separated `key/value` tokens, product first
 * (`langchain-databricks/0.1.0 node/20.20.2 os/linux auth/pat`), plus the SDK upstream tags. Bun
 * and Deno say `bun/…` / `deno/…` rather than the Node version they emulate.
 */
export function buildUserAgent(authType: string): string {
  const parts = [`langchain-databricks/${packageVersion()}`];
  const runtime = detectRuntime();
  if (runtime.name !== "other" && runtime.version && TOKEN.test(runtime.version)) {
    parts.push(`${runtime.name}/${runtime.version}`);
  }
  const platform = globalProcess()?.platform;
  if (platform) parts.push(`os/${platform}`);
  if (TOKEN.test(authType)) parts.push(`auth/${authType}`);
  const upstream = readEnv("DATABRICKS_SDK_UPSTREAM");
  const upstreamVersion = readEnv("DATABRICKS_SDK_UPSTREAM_VERSION");
  if (upstream && TOKEN.test(upstream)) parts.push(`upstream/${upstream}`);
  if (upstreamVersion && TOKEN.test(upstreamVersion))
    parts.push(`upstream-version/${upstreamVersion}`);
  return parts.join(" ");
}
