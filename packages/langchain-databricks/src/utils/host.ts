import { DatabricksConfigError } from "../errors.js";

/** Options of {@link normalizeHost}. */
export interface NormalizeHostOptions {
  /**
   * Allow plain `http://` to a host that is not loopback. Off by default, because every request
   * carries a credential that would then cross the network in clear text.
   */
  allowInsecureHttp?: boolean | undefined;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Whether `hostname` is a loopback address: `localhost`, `127.0.0.0/8`, or `::1` (with or without
 * brackets). Used to allow plain `http://` for a local emulator or proxy only.
 */
export function isLoopbackHost(hostname: string): boolean {
  let name = hostname.trim().toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  if (name === "localhost" || name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  const v4 = IPV4_LOOPBACK.exec(name);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Normalise a workspace host to `scheme://host[:port]`, the form every URL is built from.
 *
 * - No scheme → `https://` is added (`adb-1.2.azuredatabricks.net` → `https://adb-1.2.azuredatabricks.net`);
 *   some platforms set `DATABRICKS_HOST` without one.
 * - An explicit `http://` or `https://` and a non-default port are kept (a local emulator on
 *   `http://127.0.0.1:PORT` must keep working); `:443` on https (and `:80` on http) is dropped.
 * - Any path, query or fragment is dropped, so a URL copied from the browser
 *   (`https://x.cloud.databricks.com/?o=123#job/1`) or with a trailing `/` works. Only whole
 *   characters of the path are removed: `https://spark-ws.cloud.databricks.com/` keeps its host
 *   intact (no character-set stripping as in some Python code).
 * - The hostname is lower-cased and IPv6 literals keep their brackets (`http://[::1]:8080`).
 *
 * @throws DatabricksConfigError when the host cannot be parsed, uses a scheme other than http(s),
 *   carries user credentials, or uses plain `http://` to a non-loopback host without
 *   `allowInsecureHttp: true`.
 */
export function normalizeHost(raw: string, options: NormalizeHostOptions = {}): string {
  const trimmed = raw.trim();
  if (trimmed === "") {
    throw new DatabricksConfigError(
      "Invalid host: it is empty. Set the `host` option or DATABRICKS_HOST to your workspace URL, e.g. https://<workspace>.cloud.databricks.com.",
    );
  }
  // Never echo text that may hold credentials (`https://user:secret@host`).
  const shown = trimmed.includes("@") ? "(redacted)" : JSON.stringify(trimmed);
  const withScheme = SCHEME.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DatabricksConfigError(
      `Invalid host ${shown}: it is not a URL or host name. Use the workspace URL, e.g. https://<workspace>.cloud.databricks.com.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DatabricksConfigError(
      `Invalid host ${shown}: the scheme must be https:// (or http:// for a local emulator), not ${url.protocol}//.`,
    );
  }
  if (url.hostname === "") {
    throw new DatabricksConfigError(`Invalid host ${shown}: it has no host name.`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new DatabricksConfigError(
      "Invalid host: it must not contain user credentials (`user:password@`). Pass credentials with `token` / DATABRICKS_TOKEN or `clientId` + `clientSecret` instead.",
    );
  }
  const origin = `${url.protocol}//${url.host}`;
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !options.allowInsecureHttp) {
    throw new DatabricksConfigError(
      `Refusing plain http for host ${origin}: credentials would be sent unencrypted. Use https://, or set \`allowInsecureHttp: true\` if the host is a trusted proxy on a private network (http is always allowed for localhost, 127.0.0.0/8 and [::1]).`,
    );
  }
  return origin;
}
