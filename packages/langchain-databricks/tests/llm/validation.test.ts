import { afterEach, describe, expect, it, vi } from "vitest";
import { Databricks } from "../../src/llms.js";
import { DatabricksConfigError } from "../../src/errors.js";

const auth = { host: "https://example.cloud.databricks.com", token: "dapi-validation-token-000" };

afterEach(() => {
  vi.unstubAllEnvs();
});

function configError(fn: () => unknown): DatabricksConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DatabricksConfigError);
  return caught as DatabricksConfigError;
}

describe("Databricks construction: Python reference messages", () => {
  it("V1: both endpoint and cluster", () => {
    const error = configError(() => new Databricks({ ...auth, endpointName: "e", clusterId: "c" }));
    expect(error.message).toContain("Cannot set both endpoint_name and cluster_id.");
  });

  it("V3: endpoint with driver port", () => {
    const error = configError(
      () => new Databricks({ ...auth, endpointName: "e", clusterDriverPort: "7777" }),
    );
    expect(error.message).toContain("Cannot set both endpoint_name and cluster_driver_port.");
  });

  it("V4: driver mode without port", () => {
    const error = configError(() => new Databricks({ ...auth, clusterId: "0000-000000-xxxxxxxx" }));
    expect(error.message).toContain("Must set cluster_driver_port to connect to a cluster driver.");
  });

  it.each(["0", "-1", "abc", "65536", "7777.5", 0, 70000, 1.5])("V5: invalid port %s", (port) => {
    const error = configError(
      () => new Databricks({ ...auth, clusterId: "c", clusterDriverPort: port }),
    );
    expect(error.message).toContain(`Invalid cluster_driver_port: ${String(port)}`);
  });

  it("an empty port means not set: driver mode then lacks a port", () => {
    const error = configError(
      () => new Databricks({ ...auth, clusterId: "c", clusterDriverPort: "" }),
    );
    expect(error.message).toContain("Must set cluster_driver_port");
  });

  it("accepts numeric and string ports (Python v2 refused ints)", () => {
    expect(
      new Databricks({ ...auth, clusterId: "c", clusterDriverPort: 7777 }).clusterDriverPort,
    ).toBe("7777");
    expect(
      new Databricks({ ...auth, clusterId: "c", clusterDriverPort: " 65535 " }).clusterDriverPort,
    ).toBe("65535");
  });

  it("V2: neither endpoint nor cluster resolvable", () => {
    const error = configError(() => new Databricks({ ...auth }));
    expect(error.message).toContain(
      "Neither endpoint_name nor cluster_id was set. And the cluster_id cannot be automatically determined.",
    );
    const portOnly = configError(() => new Databricks({ ...auth, clusterDriverPort: "7777" }));
    expect(portOnly.message).toContain("DATABRICKS_CLUSTER_ID");
  });

  it("V4, not V2, when the cluster is known from the environment but the port is missing", () => {
    vi.stubEnv("DATABRICKS_CLUSTER_ID", "0101-env-cluster");
    expect(() => new Databricks({})).toThrow(/^Must set cluster_driver_port/);
    expect(() => new Databricks({ ...auth })).toThrow(/^Must set cluster_driver_port/);
  });

  it("names the camelCase option when a Python keyword is used", () => {
    const fields = { ...auth, endpoint_name: "dolly" } as Record<string, unknown>;
    expect(() => new Databricks(fields)).toThrow(
      "Unknown option `endpoint_name` (the Python classes' name): use `endpoint` instead.",
    );
  });

  it("takes the cluster id from DATABRICKS_CLUSTER_ID in driver mode", () => {
    vi.stubEnv("DATABRICKS_CLUSTER_ID", "0101-env-cluster");
    const llm = new Databricks({ ...auth, clusterDriverPort: "7777" });
    expect(llm.clusterId).toBe("0101-env-cluster");
  });

  it.each(["prompt", "stop"])("V6: modelKwargs and extraParams must not contain %s", (key) => {
    expect(
      () => new Databricks({ ...auth, endpointName: "e", modelKwargs: { [key]: "x" } }),
    ).toThrow(`model_kwargs must not contain key '${key}'`);
    expect(
      () => new Databricks({ ...auth, endpointName: "e", extraParams: { [key]: "x" } }),
    ).toThrow(`model_kwargs must not contain key '${key}'`);
  });

  it("merges extraParams and modelKwargs, modelKwargs winning", () => {
    const llm = new Databricks({
      ...auth,
      endpointName: "e",
      extraParams: { top_p: 0.5, top_k: 3 },
      modelKwargs: { top_p: 0.9 },
    });
    expect(llm.modelKwargs).toEqual({ top_p: 0.9, top_k: 3 });
  });

  it("refuses plain http to a non-loopback host unless opted in", () => {
    expect(
      () =>
        new Databricks({
          host: "http://example.com",
          token: "dapi-x-0000000000",
          endpointName: "e",
        }),
    ).toThrow(DatabricksConfigError);
    const llm = new Databricks({
      host: "http://example.com",
      token: "dapi-x-0000000000",
      endpointName: "e",
      allowInsecureHttp: true,
    });
    expect(llm.client.host).toBe("http://example.com");
  });

  it.each([
    ["spark-ws.cloud.databricks.com", "https://spark-ws.cloud.databricks.com"],
    ["https://spark-ws.cloud.databricks.com/", "https://spark-ws.cloud.databricks.com"],
    ["https://test-ws.cloud.databricks.com", "https://test-ws.cloud.databricks.com"],
    ["adb-123.azuredatabricks.net:8443", "https://adb-123.azuredatabricks.net:8443"],
    ["http://127.0.0.1:8080/", "http://127.0.0.1:8080"],
    ["http://localhost:1234", "http://localhost:1234"],
  ])("normalises host %s", (host, expected) => {
    const llm = new Databricks({ host, token: "dapi-x-0000000000", endpointName: "e" });
    expect(llm.client.host).toBe(expected);
  });

  it("needs a host", () => {
    expect(() => new Databricks({ token: "dapi-x-0000000000", endpointName: "e" })).toThrow(
      DatabricksConfigError,
    );
  });
});
