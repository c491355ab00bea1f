import type { ServerResponse } from "node:http";
import type { Principal } from "./auth.js";
import { describeEndpoint } from "./endpoints.js";
import { apiError, sendJson } from "./http_util.js";
import type { EmulatorState } from "./state.js";

/** The user every PAT belongs to. */
export const EMULATOR_USER = "emulator-user@example.com";

/** `GET /.well-known/databricks-config` (host metadata, docs/PROTOCOL.md §7.6). */
export function sendHostMetadata(state: EmulatorState, res: ServerResponse): void {
  sendJson(res, 200, { oidc_endpoint: `${state.base}/oidc`, workspace_id: state.workspaceId });
}

/** `GET /api/2.0/preview/scim/v2/Me`, with the `X-Databricks-Org-Id` header SDKs read. */
export function sendMe(state: EmulatorState, res: ServerResponse, principal: Principal): void {
  const headers = { "X-Databricks-Org-Id": state.workspaceId };
  if (principal.kind === "oauth") {
    sendJson(
      res,
      200,
      {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],
        id: "2000000000000002",
        applicationId: principal.clientId,
        userName: principal.clientId,
        displayName: principal.clientId,
        active: true,
      },
      headers,
    );
    return;
  }
  sendJson(
    res,
    200,
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      id: "1000000000000001",
      userName: EMULATOR_USER,
      displayName: "Emulator User",
      active: true,
      emails: [{ value: EMULATOR_USER, type: "work", primary: true }],
    },
    headers,
  );
}

/** `GET /api/2.0/serving-endpoints`. */
export function sendEndpointList(state: EmulatorState, res: ServerResponse): void {
  const endpoints = [...state.endpoints.values()].map((e) => describeEndpoint(e, EMULATOR_USER));
  sendJson(res, 200, { endpoints });
}

/** The real 404 text is undocumented (docs/PROTOCOL.md §9.4); this wording is the emulator's. */
export function endpointNotFound(name: string) {
  return apiError(404, `Endpoint with name '${name}' does not exist.`, "RESOURCE_DOES_NOT_EXIST");
}

/** `GET /api/2.0/serving-endpoints/{name}`. */
export function sendEndpoint(state: EmulatorState, res: ServerResponse, name: string): void {
  const entry = state.endpoints.get(name);
  if (entry === undefined) throw endpointNotFound(name);
  sendJson(res, 200, describeEndpoint(entry, EMULATOR_USER));
}
