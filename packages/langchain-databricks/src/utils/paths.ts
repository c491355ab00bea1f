/** Paths the classes call (docs/PROTOCOL.md §2.1, §2.2, §5.1); names are URL-encoded. */

/** `POST` here to query a serving endpoint (no `/api/2.0` prefix). */
export function invocationsPath(endpointName: string): string {
  return `/serving-endpoints/${encodeURIComponent(endpointName)}/invocations`;
}

/** `GET` here for a serving endpoint's metadata (`task`, `endpoint_type`). */
export function endpointMetadataPath(endpointName: string): string {
  return `/api/2.0/serving-endpoints/${encodeURIComponent(endpointName)}`;
}

/** `POST` here to reach an app on a cluster driver; org `0` is the workspace named by the host. */
export function driverProxyPath(clusterId: string, port: string): string {
  return `/driver-proxy-api/o/0/${encodeURIComponent(clusterId)}/${port}`;
}
