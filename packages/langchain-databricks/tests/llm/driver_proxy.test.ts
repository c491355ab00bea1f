import { afterEach, describe, expect, it, vi } from "vitest";
import { Databricks } from "../../src/llms.js";
import type { LoopbackServer } from "../helpers/loopback.js";
import { startFakeWorkspace, TOKEN } from "./fake_workspace.js";

let server: LoopbackServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

describe("cluster driver proxy mode", () => {
  it("posts the plain request to /driver-proxy-api/o/0/{cluster}/{port}", async () => {
    server = await startFakeWorkspace({ driver: (body) => `echo:${String(body["prompt"])}` });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "0000-000000-xxxxxxxx",
      clusterDriverPort: "7777",
      modelKwargs: { temperature: 0.1 },
    });
    expect(await llm.invoke("How are you?", { stop: ["Z"] })).toBe("echo:How are you?");
    const request = server.requests[0];
    expect(request?.url).toBe("/driver-proxy-api/o/0/0000-000000-xxxxxxxx/7777");
    expect(request?.json).toEqual({ prompt: "How are you?", temperature: 0.1, stop: ["Z"] });
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("a non-string answer without transformOutputFn names the type received", async () => {
    server = await startFakeWorkspace({ driver: () => ({ text: "x" }) });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "c",
      clusterDriverPort: 7777,
    });
    await expect(llm.invoke("p")).rejects.toThrow(
      /Expected the model to answer a string but received an object with keys \[text\]/,
    );
  });

  it("transformOutputFn receives the raw JSON answer", async () => {
    server = await startFakeWorkspace({ driver: () => ({ text: "x" }) });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "c",
      clusterDriverPort: 7777,
      transformOutputFn: (r) => (r as { text: string }).text.toUpperCase(),
    });
    expect(await llm.invoke("p")).toBe("X");
  });

  it("instance stop is sent and cut client side", async () => {
    server = await startFakeWorkspace({ driver: () => "Hello. World." });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "c",
      clusterDriverPort: 7777,
      stop: ["."],
    });
    expect(await llm.invoke("p")).toBe("Hello");
    expect(server.requests[0]?.json).toEqual({ prompt: "p", stop: ["."] });
  });

  it("driver errors surface as typed API errors (the proxy's 502)", async () => {
    server = await startFakeWorkspace({
      custom: (request, res) => {
        if (!request.url.startsWith("/driver-proxy-api")) return false;
        res.writeHead(502, { "content-type": "text/html" });
        res.end("<html><head><title>502 Bad Gateway</title></head></html>");
        return true;
      },
    });
    const llm = new Databricks({
      host: server.url,
      token: TOKEN,
      clusterId: "c",
      clusterDriverPort: 7777,
      maxRetries: 1,
      retryBaseDelayMs: 1,
    });
    await expect(llm.invoke("p")).rejects.toMatchObject({
      status: 502,
      serverMessage: "502 Bad Gateway",
    });
    expect(server.requests).toHaveLength(2);
  });
});
