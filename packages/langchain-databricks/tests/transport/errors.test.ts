import { describe, expect, it } from "vitest";
import {
  DatabricksAPIError,
  DatabricksAuthenticationError,
  DatabricksBadRequestError,
  DatabricksConflictError,
  DatabricksError,
  DatabricksNotFoundError,
  DatabricksPermissionDeniedError,
  DatabricksRateLimitError,
  DatabricksServerError,
} from "../../src/errors.js";
import { redactSecrets, SecretRedactor } from "../../src/redaction.js";
import { errorCodeForStatus, parseErrorBody } from "../../src/transport/error_body.js";

const make = (status: number, body: string, headers: Record<string, string> = {}) =>
  DatabricksAPIError.fromResponse({
    status,
    headers,
    body,
    request: "POST /serving-endpoints/x/invocations",
  });

describe("DatabricksAPIError.fromResponse", () => {
  it("reads the standard {error_code, message} body", () => {
    const error = make(
      404,
      '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Endpoint with name \'x\' does not exist."}',
    );
    expect(error).toBeInstanceOf(DatabricksNotFoundError);
    expect(error.errorCode).toBe("RESOURCE_DOES_NOT_EXIST");
    expect(error.status).toBe(404);
    expect(error.message).toContain("Endpoint with name 'x' does not exist.");
    expect(error.message).toContain("POST /serving-endpoints/x/invocations");
  });

  it("maps an integer error_code to the canonical name of the status (real 403 capture)", () => {
    const error = make(403, '{"error_code": 403, "message": "Invalid access token."}', {
      "x-databricks-reason-phrase": "Invalid access token.",
    });
    expect(error).toBeInstanceOf(DatabricksPermissionDeniedError);
    expect(error.errorCode).toBe("PERMISSION_DENIED");
    expect(error.serverMessage).toBe("Invalid access token.");
  });

  it("reads the 401 capture and its request id", () => {
    const error = make(
      401,
      '{"error_code":401,"message":"Credential was not sent or was of an unsupported type for this API. [ReqId: 6f1c-42]"}',
    );
    expect(error).toBeInstanceOf(DatabricksAuthenticationError);
    expect(error.errorCode).toBe("UNAUTHENTICATED");
    expect(error.requestId).toBe("6f1c-42");
  });

  it("reads {error: string} and {error: {message, code}}", () => {
    expect(make(404, '{"error":"Bad Target: /api/2.2/sql/endpoints"}').serverMessage).toBe(
      "Bad Target: /api/2.2/sql/endpoints",
    );
    const openai = make(
      400,
      '{"error":{"message":"bad tools","type":"invalid_request_error","code":"invalid_value"}}',
    );
    expect(openai).toBeInstanceOf(DatabricksBadRequestError);
    expect(openai.errorCode).toBe("invalid_value");
    expect(openai.serverMessage).toBe("bad tools");
  });

  it("reads SCIM {detail}, plain text CODE: message, HTML and empty bodies", () => {
    expect(make(403, '{"detail":"no access","status":"403"}').serverMessage).toBe("no access");
    const text = make(503, "TEMPORARILY_UNAVAILABLE: try later");
    expect(text).toBeInstanceOf(DatabricksServerError);
    expect(text.errorCode).toBe("TEMPORARILY_UNAVAILABLE");
    expect(text.serverMessage).toBe("try later");
    const html = make(
      403,
      "<html><head><title>Error 403 Invalid access token.</title></head><body><pre>HTTP ERROR 403</pre></body></html>",
    );
    expect(html.serverMessage).toBe("HTTP ERROR 403");
    expect(make(502, "").serverMessage).toBe("Bad Gateway");
    expect(make(504, '"Request processing time exceeded limit"').serverMessage).toBe(
      "Request processing time exceeded limit",
    );
  });

  it("maps error codes to classes whatever the status, and 409 to a conflict", () => {
    expect(make(409, '{"error_code":"RESOURCE_ALREADY_EXISTS","message":"x"}')).toBeInstanceOf(
      DatabricksConflictError,
    );
    expect(make(500, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"x"}')).toBeInstanceOf(
      DatabricksNotFoundError,
    );
    expect(make(400, '{"error_code":"DATA_LOSS","message":"x"}')).toBeInstanceOf(
      DatabricksServerError,
    );
    expect(make(409, "")).toBeInstanceOf(DatabricksConflictError);
    expect(make(418, "")).toBeInstanceOf(DatabricksAPIError);
  });

  it("reads the OAuth token error shape with its code", () => {
    const error = make(
      401,
      '{"error":"invalid_client","error_description":"Client authentication failed"}',
    );
    expect(error.errorCode).toBe("invalid_client");
    expect(error.serverMessage).toBe("invalid_client (Client authentication failed)");
  });

  it("lets a rate-limit error code override the status family", () => {
    expect(make(400, '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"x"}')).toBeInstanceOf(
      DatabricksRateLimitError,
    );
    expect(make(429, "")).toBeInstanceOf(DatabricksRateLimitError);
  });

  it("keeps headers, lower-case, and serialises without them", () => {
    const error = make(429, "", { "retry-after": "2", "x-request-id": "abc" });
    expect(error.headers["retry-after"]).toBe("2");
    expect(error.requestId).toBe("abc");
    expect(error).toBeInstanceOf(DatabricksError);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "DatabricksRateLimitError",
      message: error.message,
      lc_error_code: "MODEL_RATE_LIMIT",
      status: 429,
      errorCode: "REQUEST_LIMIT_EXCEEDED",
      requestId: "abc",
    });
  });
});

describe("errorCodeForStatus", () => {
  it.each([
    [400, "BAD_REQUEST"],
    [401, "UNAUTHENTICATED"],
    [403, "PERMISSION_DENIED"],
    [404, "NOT_FOUND"],
    [429, "REQUEST_LIMIT_EXCEEDED"],
    [500, "INTERNAL_ERROR"],
    [503, "TEMPORARILY_UNAVAILABLE"],
    [504, "DEADLINE_EXCEEDED"],
    [599, "INTERNAL_ERROR"],
  ])("%i → %s", (status, code) => {
    expect(errorCodeForStatus(status)).toBe(code);
  });
});

describe("secret redaction", () => {
  it("never lets a client's secret or a bearer credential into a message", () => {
    const redactor = new SecretRedactor(() => ["s3cr3t-client-secret-value"]);
    const error = redactor.redactError(
      make(
        400,
        '{"message":"echo: s3cr3t-client-secret-value and Bearer dapi0123456789abcdef0123"}',
      ),
    );
    expect(error.message).not.toContain("s3cr3t-client-secret-value");
    expect(error.message).not.toContain("dapi0123456789abcdef0123");
    expect(JSON.stringify(error)).not.toContain("s3cr3t");
    expect(redactSecrets("Basic dG9rZW46ZGFwaTEyMzQ1Njc4")).toBe("Basic ***");
  });

  it("redacts short secrets too (4 characters and up)", () => {
    const redactor = new SecretRedactor(() => ["abc123", "xyz"]);
    const error = redactor.redactError(make(400, '{"message":"header was Bearer abc123, xyz"}'));
    expect(error.message).not.toContain("abc123");
    // Three characters is too short to be a secret: scrubbing it would mangle messages.
    expect(error.message).toContain("xyz");
  });

  it("parseErrorBody falls back to the reason phrase", () => {
    expect(
      parseErrorBody("", 403, { "x-databricks-reason-phrase": "Invalid access token." }).message,
    ).toBe("Invalid access token.");
  });
});
