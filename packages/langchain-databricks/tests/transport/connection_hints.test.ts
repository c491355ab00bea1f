/**
 * Connection failures say what to check (nothing listening, DNS, TLS spoken to plain HTTP,
 * untrusted certificates) and how many attempts were made over how long; a refused connection to
 * a loopback host fails after one retry at most. Real sockets on 127.0.0.1 where the failure can
 * be produced locally; synthetic runtime errors for DNS and certificates (no request leaves the
 * machine).
 */
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { DatabricksConfigError, DatabricksConnectionError } from "../../src/errors.js";
import { classifyTransportError } from "../../src/transport/http.js";
import { TEST_PAT, testClient } from "./test_client.js";

const client = (host: string, maxRetries: number) => testClient(host, { maxRetries });

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("connection failures say what to check", () => {
  it("refused on loopback: one retry at most, the attempts named, the host and port to check", async () => {
    const port = await closedPort();
    const error = await client(`http://127.0.0.1:${port}`, 5)
      .requestJson("GET", "/api/2.0/serving-endpoints/dolly", undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    const failure = error as DatabricksConnectionError;
    expect(failure.networkCode).toBe("ECONNREFUSED");
    expect(failure.refusedOnLoopback).toBe(true);
    expect(failure.message).toContain(`nothing is listening at 127.0.0.1:${port}`);
    expect(failure.message).toMatch(/\[2 attempts over \d+\.\d s\]$/);
    expect(failure.message).not.toContain(TEST_PAT);
  });

  it("TLS to a plain-HTTP server says to use http://", async () => {
    const server = createHttpServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // Another attempt cannot fix it: not retried, though retries are allowed.
      const error = await client(`https://127.0.0.1:${port}`, 3)
        .requestJson("GET", "/api/2.0/serving-endpoints/dolly", undefined)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksConnectionError);
      expect((error as Error).message).toContain("use an http:// host");
      expect((error as DatabricksConnectionError).retryable).toBe(false);
      expect((error as Error).message).not.toContain("attempts over");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  const request = {
    method: "POST",
    url: "https://adb-123.4.azuredatabricks.net/serving-endpoints/x/invocations",
    timeoutMs: 1000,
  };
  const networkError = (code: string, message: string) =>
    new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });

  it.each([
    ["ENOTFOUND", "getaddrinfo ENOTFOUND adb-123.4.azuredatabricks.net", "check the workspace URL"],
    [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "self-signed certificate in certificate chain",
      "NODE_EXTRA_CA_CERTS",
    ],
    [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "unable to verify the first certificate",
      "NODE_EXTRA_CA_CERTS",
    ],
    ["ECONNRESET", "read ECONNRESET", "closed by the server or a proxy"],
  ])("%s: the likely cause", (code, message, hint) => {
    const error = classifyTransportError(networkError(code, message), request);
    expect(error).toBeInstanceOf(DatabricksConnectionError);
    expect((error as DatabricksConnectionError).networkCode).toBe(code);
    expect((error as DatabricksConnectionError).refusedOnLoopback).toBe(false);
    expect(error.message).toContain(hint);
    // Certificate problems need the user's action; DNS and resets may pass.
    expect((error as DatabricksConnectionError).retryable).toBe(
      !code.includes("CERT") && !code.includes("SIGNATURE"),
    );
  });

  it("a refused remote host is retried as usual (it may be restarting)", () => {
    const error = classifyTransportError(
      networkError("ECONNREFUSED", "connect ECONNREFUSED"),
      request,
    );
    expect((error as DatabricksConnectionError).refusedOnLoopback).toBe(false);
    expect((error as DatabricksConnectionError).retryable).toBe(true);
  });

  it.each(["http://localhost:8080/x", "http://[::1]:8080/x", "http://127.1.2.3:8080/x"])(
    "refused on loopback %s: fails fast",
    (url) => {
      const error = classifyTransportError(networkError("ECONNREFUSED", "connect ECONNREFUSED"), {
        ...request,
        url,
      });
      expect((error as DatabricksConnectionError).refusedOnLoopback).toBe(true);
      expect(error.message).toContain(`nothing is listening at ${new URL(url).host}`);
    },
  );

  it("a certificate failure known only by its message gets the hint and is not retried", () => {
    const error = classifyTransportError(
      new TypeError("fetch failed", { cause: new Error("certificate has expired") }),
      request,
    );
    expect(error.message).toContain("NODE_EXTRA_CA_CERTS");
    expect((error as DatabricksConnectionError).retryable).toBe(false);
  });
});

describe("request bodies above Model Serving's limit", () => {
  it("are refused before any request, saying what to send instead", async () => {
    let requests = 0;
    const server = createHttpServer((_req, res) => {
      requests += 1;
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const huge = { prompt: "x".repeat(17 * 1024 * 1024) };
      const error = await client(`http://127.0.0.1:${port}`, 0)
        .requestJson("POST", "/serving-endpoints/dolly/invocations", huge)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksConfigError);
      expect((error as Error).message).toMatch(/is 17\.0 MB, above Model Serving's 16\.0 MB limit/);
      expect((error as Error).message).toContain("send less text per request");
      // Multi-byte text is counted in bytes: 6 MB of 3-byte characters is 18 MB on the wire.
      const wide = { prompt: "€".repeat(6 * 1024 * 1024) };
      await expect(
        client(`http://127.0.0.1:${port}`, 0).requestJson("POST", "/x", wide),
      ).rejects.toThrow(/18\.0 MB/);
      // Just under the limit is sent.
      await client(`http://127.0.0.1:${port}`, 0).requestJson("POST", "/x", {
        prompt: "x".repeat(15 * 1024 * 1024),
      });
      expect(requests).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
