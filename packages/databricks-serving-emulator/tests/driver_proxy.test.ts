import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { emulator } from "./helpers.js";

const apps: Server[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A tiny app that echoes what it received. */
async function echoApp(): Promise<number> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      res.writeHead(req.url?.startsWith("/missing") ? 404 : 200, {
        "Content-Type": "application/json",
        "X-App": "yes",
      });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          body,
          contentType: req.headers["content-type"] ?? null,
          authorization: req.headers.authorization ?? null,
        }),
      );
    });
  });
  apps.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

describe("driver proxy", () => {
  it("forwards method, sub-path, query, body and content-type; streams back status and headers", async () => {
    const appPort = await echoApp();
    const h = await emulator({
      driverApps: [{ clusterId: "0101-abc", port: 7777, target: appPort }],
    });
    const auth = { Authorization: `Bearer ${h.token}` };
    const root = await fetch(`${h.url}/driver-proxy-api/o/0/0101-abc/7777`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: "How are you?", stop: ["."] }),
    });
    expect(root.status).toBe(200);
    expect(root.headers.get("x-app")).toBe("yes");
    expect(await root.json()).toEqual({
      method: "POST",
      url: "/",
      body: '{"prompt":"How are you?","stop":["."]}',
      contentType: "application/json",
      authorization: null,
    });
    const sub = await fetch(
      `${h.url}/driver-proxy-api/o/900800700600/0101-abc/7777/api/v1/items?x=1&y=2`,
      {
        method: "PUT",
        headers: { ...auth, "Content-Type": "text/plain" },
        body: "hello",
      },
    );
    expect(await sub.json()).toMatchObject({
      method: "PUT",
      url: "/api/v1/items?x=1&y=2",
      body: "hello",
      contentType: "text/plain",
    });
    const missing = await fetch(`${h.url}/driver-proxy-api/o/0/0101-abc/7777/missing`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
    expect(h.stats().endpoints["0101-abc:7777"]?.requests).toBe(3);
  });

  it("502 for unknown apps and refused connections; auth required; faults by clusterId:port", async () => {
    const appPort = await echoApp();
    const closedPort = await echoApp();
    await new Promise((r) => apps.pop()?.close(r));
    const h = await emulator({
      driverApps: [
        { clusterId: "c1", port: "7777", target: `http://127.0.0.1:${appPort}` },
        { clusterId: "c1", port: 8000, target: closedPort },
      ],
    });
    const auth = { Authorization: `Bearer ${h.token}` };
    const unknown = await fetch(`${h.url}/driver-proxy-api/o/0/c2/7777`, {
      method: "POST",
      headers: auth,
      body: "{}",
    });
    expect(unknown.status).toBe(502);
    expect(await unknown.json()).toMatchObject({ error_code: "BAD_GATEWAY" });
    const refused = await fetch(`${h.url}/driver-proxy-api/o/0/c1/8000`, {
      method: "POST",
      headers: auth,
      body: "{}",
    });
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { message: string }).message).toContain("ECONNREFUSED");
    expect((await fetch(`${h.url}/driver-proxy-api/o/0/c1/7777`)).status).toBe(401);
    h.setFault("c1:7777", { failNext: { count: 1, status: 503 } });
    expect((await fetch(`${h.url}/driver-proxy-api/o/0/c1/7777`, { headers: auth })).status).toBe(
      503,
    );
    expect((await fetch(`${h.url}/driver-proxy-api/o/0/c1/7777`, { headers: auth })).status).toBe(
      200,
    );
    h.addDriverApp({ clusterId: "c3", port: 1, target: appPort });
    expect((await fetch(`${h.url}/driver-proxy-api/o/0/c3/1/x`, { headers: auth })).status).toBe(
      200,
    );
  });

  // Found by tests/fuzz.test.ts: a path that fetch would normalise or refuse, sent as is.
  it("answers 502, not 500, for a cluster or port that is not valid percent-encoding, and 403 for such an org", async () => {
    const h = await emulator();
    for (const path of ["/driver-proxy-api/o/0/%/7777", "/driver-proxy-api/o/0/c1/%E0%A4%A"]) {
      const answer = await rawGet(h.url, path, { Authorization: `Bearer ${h.token}` });
      expect(answer.status, path).toBe(502);
      expect(JSON.parse(answer.body), path).toMatchObject({ error_code: "BAD_GATEWAY" });
    }
    const org = await rawGet(h.url, "/driver-proxy-api/o/%zz/c1/7777", {
      Authorization: `Bearer ${h.token}`,
    });
    expect(org.status).toBe(403);
  });

  // Found by tests/fuzz.test.ts: `/..` after the port reached the app raw, outside its base path.
  it("resolves dot segments of the sub-path, never above the app's base path", async () => {
    const appPort = await echoApp();
    const h = await emulator({
      driverApps: [
        { clusterId: "c1", port: 7777, target: appPort },
        { clusterId: "c1", port: 7778, target: `http://127.0.0.1:${appPort}/base` },
      ],
    });
    const auth = { Authorization: `Bearer ${h.token}` };
    const cases: [string, string][] = [
      ["/driver-proxy-api/o/0/c1/7777/..", "/"],
      ["/driver-proxy-api/o/0/c1/7777/a/%2e%2e/../b?q=1", "/b?q=1"],
      ["/driver-proxy-api/o/0/c1/7778/../../x", "/base/x"],
      ["/driver-proxy-api/o/0/c1/7778/./y/.", "/base/y/"],
      // Encoded slashes and backslashes are not separators at the URL level: the segment that holds
      // them is forwarded as sent (SECURITY.md), never decoded into dot segments to resolve.
      ["/driver-proxy-api/o/0/c1/7778/..%2F..%2Fsecret", "/base/..%2F..%2Fsecret"],
      ["/driver-proxy-api/o/0/c1/7778/a/..%5C..%5Csecret", "/base/a/..%5C..%5Csecret"],
      ["/driver-proxy-api/o/0/c1/7778/%2e%2e%2f..%2fsecret", "/base/%2e%2e%2f..%2fsecret"],
    ];
    for (const [path, forwarded] of cases) {
      const answer = await rawGet(h.url, path, auth);
      expect(answer.status, path).toBe(200);
      expect((JSON.parse(answer.body) as { url: string }).url, path).toBe(forwarded);
    }
  });
});

/** GET `path` exactly as written (fetch would resolve dot segments and re-encode escapes). */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, headers, agent: false },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
