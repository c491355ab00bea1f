import { describe, expect, it } from "vitest";
import { DatabricksConfigError } from "../../src/errors.js";
import { readEnv } from "../../src/utils/env.js";
import { isLoopbackHost, normalizeHost } from "../../src/utils/host.js";

describe("normalizeHost", () => {
  it.each([
    ["x", "https://x"],
    ["adb-123.4.azuredatabricks.net", "https://adb-123.4.azuredatabricks.net"],
    ["https://adb-xxx.y.azuredatabricks.net/", "https://adb-xxx.y.azuredatabricks.net"],
    // Characters of the host must survive: no lstrip/rstrip-style character-set stripping.
    ["https://spark-ws.cloud.databricks.com/", "https://spark-ws.cloud.databricks.com"],
    ["https://test-ws.cloud.databricks.com", "https://test-ws.cloud.databricks.com"],
    ["spark-ws.cloud.databricks.com/", "https://spark-ws.cloud.databricks.com"],
    ["https://h.cloud.databricks.com:443", "https://h.cloud.databricks.com"],
    ["https://h.cloud.databricks.com:8443/", "https://h.cloud.databricks.com:8443"],
    ["https://h.cloud.databricks.com/some/path?o=123#job/1", "https://h.cloud.databricks.com"],
    ["HTTPS://H.Cloud.Databricks.COM", "https://h.cloud.databricks.com"],
    ["  https://h.cloud.databricks.com//  ", "https://h.cloud.databricks.com"],
    ["localhost:8080", "https://localhost:8080"],
    ["http://127.0.0.1:6000", "http://127.0.0.1:6000"],
    ["http://127.0.0.1:6000/", "http://127.0.0.1:6000"],
    ["http://127.5.6.7", "http://127.5.6.7"],
    ["http://localhost:3000/api", "http://localhost:3000"],
    ["http://[::1]:8080/", "http://[::1]:8080"],
    ["http://127.0.0.1:80", "http://127.0.0.1"],
  ])("%s → %s", (raw, expected) => {
    expect(normalizeHost(raw)).toBe(expected);
  });

  it("refuses plain http to a non-loopback host unless allowInsecureHttp", () => {
    expect(() => normalizeHost("http://h.cloud.databricks.com")).toThrow(DatabricksConfigError);
    expect(() => normalizeHost("http://10.0.0.5:8080")).toThrow(/allowInsecureHttp: true/);
    expect(() => normalizeHost("http://10.0.0.5:8080")).toThrow(/Use https:\/\//);
    expect(normalizeHost("http://10.0.0.5:8080/x", { allowInsecureHttp: true })).toBe(
      "http://10.0.0.5:8080",
    );
  });

  it.each([
    [""],
    ["   "],
    ["https://"],
    ["ftp://h.example.com"],
    ["https://a b"],
    ["https://[::1"],
  ])("rejects invalid host %j with a DatabricksConfigError", (raw) => {
    expect(() => normalizeHost(raw)).toThrow(DatabricksConfigError);
  });

  it("rejects user credentials in the URL without echoing them", () => {
    let error: unknown;
    try {
      normalizeHost("https://user:s3cr3t-pass@h.cloud.databricks.com");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabricksConfigError);
    expect((error as Error).message).toMatch(/must not contain user credentials/);
    expect((error as Error).message).not.toContain("s3cr3t-pass");
    expect(JSON.stringify(error)).not.toContain("s3cr3t-pass");
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["::1", true],
    ["[::1]", true],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["10.0.0.1", false],
    ["localhost.example.com", false],
    ["example.com", false],
    ["[::2]", false],
  ])("%s → %s", (hostname, expected) => {
    expect(isLoopbackHost(hostname)).toBe(expected);
  });
});

describe("readEnv", () => {
  it("returns set values and treats empty strings as unset", () => {
    const env = { A: "x", B: "", C: undefined };
    expect(readEnv("A", env)).toBe("x");
    expect(readEnv("B", env)).toBeUndefined();
    expect(readEnv("C", env)).toBeUndefined();
    expect(readEnv("MISSING", env)).toBeUndefined();
  });

  it("reads process.env by default", () => {
    process.env["LANGCHAIN_DATABRICKS_TEST_VAR"] = "v";
    try {
      expect(readEnv("LANGCHAIN_DATABRICKS_TEST_VAR")).toBe("v");
    } finally {
      delete process.env["LANGCHAIN_DATABRICKS_TEST_VAR"];
    }
  });
});
