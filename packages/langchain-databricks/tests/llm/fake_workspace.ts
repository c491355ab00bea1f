import type { ServerResponse } from "node:http";
import {
  sendJson,
  startLoopback,
  type LoopbackServer,
  type RecordedRequest,
} from "../helpers/loopback.js";

/** An endpoint of the fake workspace: metadata plus how it answers invocations. */
export interface FakeEndpoint {
  task?: string;
  endpointType?: string;
  answer: (body: Record<string, unknown>, request: RecordedRequest) => unknown;
  status?: number;
}

export const TOKEN = "dapi-test-token-0123456789";

/**
 * A minimal, precisely controlled workspace for wire assertions: it records every request and
 * serves endpoint metadata, invocations and one driver proxy app. (The full emulator has its own
 * tests; these pin exact bodies.)
 */
export async function startFakeWorkspace(options: {
  endpoints?: Record<string, FakeEndpoint>;
  driver?: (body: Record<string, unknown>, request: RecordedRequest) => unknown;
  custom?: (
    request: RecordedRequest,
    res: ServerResponse,
    index: number,
  ) => boolean | Promise<boolean>;
}): Promise<LoopbackServer> {
  return startLoopback(async (request, res, index) => {
    if (options.custom && (await options.custom(request, res, index))) return;
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      sendJson(res, 403, { error_code: 403, message: "Invalid access token." });
      return;
    }
    const meta = /^\/api\/2\.0\/serving-endpoints\/([^/]+)$/.exec(request.url);
    if (request.method === "GET" && meta?.[1]) {
      const name = decodeURIComponent(meta[1]);
      const endpoint = options.endpoints?.[name];
      if (!endpoint) {
        sendJson(res, 404, {
          error_code: "RESOURCE_DOES_NOT_EXIST",
          message: `Endpoint '${name}' does not exist.`,
        });
        return;
      }
      sendJson(res, 200, {
        name,
        ...(endpoint.task ? { task: endpoint.task } : {}),
        ...(endpoint.endpointType ? { endpoint_type: endpoint.endpointType } : {}),
        state: { ready: "READY", config_update: "NOT_UPDATING" },
      });
      return;
    }
    const invoke = /^\/serving-endpoints\/([^/]+)\/invocations$/.exec(request.url);
    if (request.method === "POST" && invoke?.[1]) {
      const endpoint = options.endpoints?.[decodeURIComponent(invoke[1])];
      if (!endpoint) {
        sendJson(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no such endpoint" });
        return;
      }
      sendJson(
        res,
        endpoint.status ?? 200,
        endpoint.answer(request.json as Record<string, unknown>, request),
        {
          "served-model-name": "model-1",
        },
      );
      return;
    }
    if (
      request.method === "POST" &&
      request.url.startsWith("/driver-proxy-api/o/0/") &&
      options.driver
    ) {
      sendJson(res, 200, options.driver(request.json as Record<string, unknown>, request));
      return;
    }
    sendJson(res, 404, {
      error_code: "ENDPOINT_NOT_FOUND",
      message: `No API found for '${request.method} ${request.url}'`,
    });
  });
}

/** Custom-model answer as MLflow gives it for `dataframe_records` with a prompt column. */
export function predictions(...values: unknown[]): { predictions: unknown[] } {
  return { predictions: values };
}
