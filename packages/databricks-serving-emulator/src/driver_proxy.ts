import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { ResponseFaults } from "./faults.js";
import { apiError, baseHeaders, decodePathSegment, sendWithBodyFaults } from "./http_util.js";
import type { DriverAppConfig } from "./types.js";

/** A parsed `/driver-proxy-api/o/{org}/{clusterId}/{port}[/sub/path]` request path. */
export interface DriverProxyPath {
  org: string;
  clusterId: string;
  port: string;
  /** The remaining path, `/` when absent. */
  subPath: string;
}

/**
 * Parse a driver-proxy path (without query); undefined when it is not one. The org, cluster and
 * port segments are percent-decoded (kept as sent when the escape is invalid, so `%zz` is an
 * unknown cluster rather than a crash); the sub-path keeps its encoding but loses its dot
 * segments.
 */
export function parseDriverProxyPath(path: string): DriverProxyPath | undefined {
  const match = /^\/driver-proxy-api\/o\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
  if (match === null) return undefined;
  return {
    org: decodePathSegment(match[1] ?? ""),
    clusterId: decodePathSegment(match[2] ?? ""),
    port: decodePathSegment(match[3] ?? ""),
    subPath: match[4] === undefined || match[4] === "" ? "/" : removeDotSegments(match[4]),
  };
}

/**
 * Resolve the `.` and `..` segments of a sub-path (also percent-encoded ones, `%2e`, which URL
 * parsers read as dots), never climbing above its root, as RFC 3986 §5.2.4 and HTTP proxies do.
 * Forwarded raw, `/..` would name a path outside the app's base path (`target: ".../app"`), which
 * the app may resolve itself: the forwarded request must stay under the registered app.
 * Segments are split at `/` only, as sent: an encoded slash or backslash (`..%2F..`, `..%5C..`) is
 * part of its segment and is forwarded as is, not decoded. The guarantee is at the URL level: an
 * app that decodes `%2F` before resolving dot segments must refuse such paths itself (SECURITY.md;
 * the real proxy's handling is undocumented).
 */
export function removeDotSegments(path: string): string {
  const kept: string[] = [];
  const segments = path.split("/").slice(1);
  for (const [index, segment] of segments.entries()) {
    const dots = segment.replace(/%2e/gi, ".");
    const isLast = index === segments.length - 1;
    if (dots === "." || dots === "..") {
      if (dots === "..") kept.pop();
      // `/a/..` names the directory `/`, with its trailing slash.
      if (isLast) kept.push("");
      continue;
    }
    kept.push(segment);
  }
  return `/${kept.join("/")}`;
}

/** The key of a driver app in the fault and stats tables. */
export function driverAppKey(clusterId: string, port: string | number): string {
  return `${clusterId}:${port}`;
}

/** Normalise a driver app target (`7777` → `http://127.0.0.1:7777`). */
export function driverAppTarget(app: DriverAppConfig): URL {
  const target = app.target;
  if (typeof target === "number" || /^\d+$/.test(target))
    return new URL(`http://127.0.0.1:${target}`);
  return new URL(target);
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones the proxy owns. */
const DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  // The workspace credential is for the proxy, not for the app (inferred; never forwarded).
  "authorization",
]);

function badGateway(clusterId: string, port: string, reason: string) {
  // The real proxy's error format is undocumented (docs/PROTOCOL.md §9.8); this shape is ours.
  return apiError(
    502,
    `Bad Gateway: could not reach the driver proxy app on cluster '${clusterId}' port ${port} (${reason}).`,
    "BAD_GATEWAY",
  );
}

/**
 * Forward a driver-proxy request to the registered app: method, sub-path, query, body and
 * end-to-end headers (including Content-Type) go through; the answer streams back with its status
 * and headers. An unknown cluster/port or a refused connection answers 502. The body faults of the
 * app's key apply to the app's answer: `cutBodyAfterBytes` (part of it, then a reset) and
 * `malformedJson` (its first half); the answer is then buffered instead of streamed.
 */
export function forwardToDriverApp(
  req: IncomingMessage,
  res: ServerResponse,
  parsed: DriverProxyPath,
  app: DriverAppConfig | undefined,
  query: string,
  faults: ResponseFaults = { malformedJson: false },
): Promise<void> {
  if (app === undefined) {
    return Promise.reject(
      badGateway(parsed.clusterId, parsed.port, "no app is listening on that port"),
    );
  }
  const target = driverAppTarget(app);
  const basePath = target.pathname.replace(/\/+$/, "");
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
  }
  headers["x-forwarded-host"] = req.headers.host ?? "";
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method ?? "GET",
        path: `${basePath}${parsed.subPath}${query}`,
        headers,
      },
      (answer) => {
        const out: Record<string, string | string[]> = { ...baseHeaders() };
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !DROPPED.has(name)) out[name] = value;
        }
        const status = answer.statusCode ?? 502;
        if (faults.cutBodyAfterBytes !== undefined || faults.malformedJson) {
          // The whole answer is needed to cut or truncate it: buffer it instead of streaming.
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            sendWithBodyFaults(res, status, Buffer.concat(chunks), out, faults);
            resolve();
          });
        } else {
          res.writeHead(status, out);
          answer.pipe(res);
          answer.on("end", () => resolve());
        }
        answer.on("error", () => {
          res.destroy();
          resolve();
        });
      },
    );
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(badGateway(parsed.clusterId, parsed.port, error.code ?? error.message));
    });
    req.pipe(upstream);
    res.on("close", () => upstream.destroy());
  });
}
