import { describe, expect, it } from "vitest";
import { DatabricksConfigError } from "../../src/errors.js";
import {
  defaultDriverProxyHost,
  driverProxyHostWarning,
  driverProxyPortWarning,
  parseDriverProxyPort,
} from "../../src/driver_proxy/index.js";
import { outputText } from "../../src/driver_proxy/model.js";
import {
  DriverProxyRequestError,
  parseDriverProxyBody,
  parseDriverProxyRequest,
} from "../../src/driver_proxy/request.js";

describe("parseDriverProxyRequest", () => {
  it("splits prompt, stop and kwargs", () => {
    expect(
      parseDriverProxyRequest('{"prompt":"p","stop":["a","b"],"temperature":0.1,"n":2}'),
    ).toEqual({ prompt: "p", stop: ["a", "b"], kwargs: { temperature: 0.1, n: 2 } });
  });

  it("treats a missing or null stop as absent", () => {
    expect(parseDriverProxyRequest('{"prompt":""}')).toEqual({ prompt: "", kwargs: {} });
    expect(parseDriverProxyRequest('{"prompt":"x","stop":null}')).toEqual({
      prompt: "x",
      kwargs: {},
    });
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["{", /not valid JSON/],
    ["[]", /must be a JSON object.*an array/],
    ['"text"', /must be a JSON object.*a string/],
    ["null", /must be a JSON object.*null/],
    ["42", /must be a JSON object.*a number/],
    ["{}", /missing required field "prompt"/],
    ['{"prompt":1}', /"prompt" must be a string, got a number/],
    ['{"prompt":null}', /"prompt" must be a string, got null/],
    ['{"prompt":"x","stop":"."}', /"stop" must be an array of strings, got a string/],
    ['{"prompt":"x","stop":["a",1]}', /stop\[1\] is a number/],
    ['{"prompt":"x","stop":{}}', /"stop" must be an array of strings, got an object/],
  ])("rejects %j with a 400", (body, message) => {
    let caught: unknown;
    try {
      parseDriverProxyRequest(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DriverProxyRequestError);
    expect((caught as DriverProxyRequestError).status).toBe(400);
    expect((caught as DriverProxyRequestError).message).toMatch(message);
  });
});

describe("parseDriverProxyBody: one request, or the rows of dataframe_records", () => {
  it("reads a plain request and a dataframe_records body", () => {
    expect(parseDriverProxyBody('{"prompt":"p"}')).toEqual({
      kind: "prompt",
      request: { prompt: "p", kwargs: {} },
    });
    expect(
      parseDriverProxyBody(
        '{"dataframe_records":[{"prompt":"a","stop":["."]},{"prompt":"b","n":1}]}',
      ),
    ).toEqual({
      kind: "dataframe_records",
      rows: [
        { prompt: "a", stop: ["."], kwargs: {} },
        { prompt: "b", kwargs: { n: 1 } },
      ],
    });
  });

  it.each([
    [
      '{"dataframe_records":[]}',
      /"dataframe_records" must be a non-empty array of requests, got an empty array/,
    ],
    [
      '{"dataframe_records":{"prompt":"a"}}',
      /must be a non-empty array of requests, got an object/,
    ],
    [
      '{"dataframe_records":[{"prompt":"a"},{"prompt":3}]}',
      /^dataframe_records\[1\]: "prompt" must be a string, got a number/,
    ],
    [
      '{"dataframe_records":[{"prompt":"a"},{}]}',
      /^dataframe_records\[1\]: missing required field "prompt"/,
    ],
  ])("refuses %s with 400 naming the row", (body, message) => {
    const error = (() => {
      try {
        parseDriverProxyBody(body);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DriverProxyRequestError);
    expect((error as DriverProxyRequestError).status).toBe(400);
    expect((error as Error).message).toMatch(message);
  });
});

describe("outputText", () => {
  it("accepts strings and chat messages with string or block content", () => {
    expect(outputText("x")).toBe("x");
    expect(outputText({ content: "hi" })).toBe("hi");
    expect(
      outputText({
        content: [
          { type: "reasoning", reasoning: "hmm" },
          { type: "text", text: "a" },
          "b",
          { type: "tool_use", id: "1" },
          { type: "text", text: "c" },
        ],
      }),
    ).toBe("abc");
  });

  it("refuses anything else", () => {
    expect(() => outputText(42)).toThrow(/a number \(42\), not a string or a chat message/);
    expect(() => outputText(undefined)).toThrow(/undefined/);
  });
});

describe("defaultDriverProxyHost", () => {
  it("binds every interface on a Databricks driver only", () => {
    expect(defaultDriverProxyHost({ DATABRICKS_RUNTIME_VERSION: "15.4" })).toBe("0.0.0.0");
    expect(defaultDriverProxyHost({})).toBe("127.0.0.1");
    expect(defaultDriverProxyHost({ DATABRICKS_RUNTIME_VERSION: "" })).toBe("127.0.0.1");
    expect(defaultDriverProxyHost({ DATABRICKS_RUNTIME_VERSION: "  " })).toBe("127.0.0.1");
  });

  it("reads process.env by default", () => {
    const saved = process.env["DATABRICKS_RUNTIME_VERSION"];
    try {
      process.env["DATABRICKS_RUNTIME_VERSION"] = "14.3";
      expect(defaultDriverProxyHost()).toBe("0.0.0.0");
      delete process.env["DATABRICKS_RUNTIME_VERSION"];
      expect(defaultDriverProxyHost()).toBe("127.0.0.1");
    } finally {
      if (saved === undefined) delete process.env["DATABRICKS_RUNTIME_VERSION"];
      else process.env["DATABRICKS_RUNTIME_VERSION"] = saved;
    }
  });

  it("warns about loopback hosts on a driver only", () => {
    const driver = { DATABRICKS_RUNTIME_VERSION: "15.4" };
    expect(driverProxyHostWarning("127.0.0.1", driver)).toMatch(/use host "0.0.0.0"/);
    expect(driverProxyHostWarning("localhost", driver)).toMatch(/localhost only/);
    expect(driverProxyHostWarning("0.0.0.0", driver)).toBeUndefined();
    expect(driverProxyHostWarning("127.0.0.1", {})).toBeUndefined();
  });
});

describe("ports", () => {
  it("parses numbers and digit strings, defaulting to 7777", () => {
    expect(parseDriverProxyPort(undefined)).toBe(7777);
    expect(parseDriverProxyPort(3000)).toBe(3000);
    expect(parseDriverProxyPort("8000")).toBe(8000);
    expect(parseDriverProxyPort(" 0 ")).toBe(0);
    expect(parseDriverProxyPort(65535)).toBe(65535);
  });

  it.each([-1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "", "abc", "7777x", "-1", "1e3"])(
    "refuses %j with a DatabricksConfigError",
    (port) => {
      expect(() => parseDriverProxyPort(port)).toThrow(DatabricksConfigError);
      expect(() => parseDriverProxyPort(port)).toThrow(/expected an integer from 0 to 65535/);
    },
  );

  it("warns outside [3000, 8000] except for the ephemeral port 0", () => {
    expect(driverProxyPortWarning(0)).toBeUndefined();
    expect(driverProxyPortWarning(3000)).toBeUndefined();
    expect(driverProxyPortWarning(7777)).toBeUndefined();
    expect(driverProxyPortWarning(8000)).toBeUndefined();
    expect(driverProxyPortWarning(2999)).toMatch(/port 2999 is outside the recommended range/);
    expect(driverProxyPortWarning(8001)).toMatch(/\[3000, 8000\]/);
  });
});
