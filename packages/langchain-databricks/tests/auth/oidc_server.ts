import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake workspace received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A canned answer. */
export interface CannedResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Options of {@link startOidcServer}. */
export interface OidcServerOptions {
  /**
   * Serve `/.well-known/databricks-config` and the authorization-server metadata (`true`), answer
   * 404 (`false`), or answer both with a 200 HTML page (`"html"`). @default true
   */
  discovery?: boolean | "html";
  /** Token endpoint path announced by discovery. @default "/oidc/v1/token" */
  tokenPath?: string;
  /**
   * Answers of the token endpoint, in order; the last one repeats. Default: a fresh token each time
   * (`tok-1`, `tok-2`…) valid 3600 s.
   */
  tokenResponses?: CannedResponse[];
  /** Delay before answering the token endpoint, in ms. */
  tokenDelayMs?: number;
  /** `token_endpoint` announced by discovery instead of `{url}{tokenPath}`. */
  announcedTokenEndpoint?: string;
}

/** A loopback fake of a workspace's OAuth endpoints, started by each test. */
export interface OidcServer {
  url: string;
  requests: RecordedRequest[];
  tokenRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServer> {
  const requests: RecordedRequest[] = [];
  const tokenPath = options.tokenPath ?? "/oidc/v1/token";
  let issued = 0;
  let url = "";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      requests.push({
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const send = (answer: CannedResponse): void => {
        const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
        res.end(text);
      };
      const discovery = options.discovery ?? true;
      if (discovery === "html" && req.method === "GET") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><title>Login</title></html>");
      } else if (
        discovery === true &&
        req.method === "GET" &&
        path === "/.well-known/databricks-config"
      ) {
        send({ status: 200, body: { oidc_endpoint: `${url}/oidc`, workspace_id: "900800700600" } });
      } else if (
        discovery === true &&
        req.method === "GET" &&
        path === "/oidc/.well-known/oauth-authorization-server"
      ) {
        send({
          status: 200,
          body: {
            issuer: `${url}/oidc`,
            authorization_endpoint: `${url}/oidc/v1/authorize`,
            token_endpoint: options.announcedTokenEndpoint ?? `${url}${tokenPath}`,
          },
        });
      } else if (req.method === "POST" && path === tokenPath) {
        const canned = options.tokenResponses;
        const index = requests.filter((r) => r.path === tokenPath).length - 1;
        issued += 1;
        const answer = canned
          ? (canned[Math.min(index, canned.length - 1)] as CannedResponse)
          : {
              status: 200,
              body: {
                access_token: `tok-${issued}`,
                token_type: "Bearer",
                expires_in: 3600,
                scope: "all-apis",
              },
            };
        setTimeout(() => send(answer), options.tokenDelayMs ?? 0);
      } else {
        send({
          status: 404,
          body: {
            error_code: "ENDPOINT_NOT_FOUND",
            message: `No API found for '${req.method} ${path}'`,
          },
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    tokenRequests: () => requests.filter((r) => r.path === tokenPath),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
