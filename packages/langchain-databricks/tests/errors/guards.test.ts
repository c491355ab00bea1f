import { describe, expect, it, vi } from "vitest";
import * as errors from "../../src/errors.js";

const init = (status: number) => ({
  status,
  errorCode: "X",
  headers: {},
  serverMessage: "Invalid access token.",
});

/** One instance of every class, with the guards that must accept it. */
function samples(module: typeof errors): Array<[Error, string[]]> {
  const api = ["isDatabricksError", "isDatabricksAPIError"];
  return [
    [new module.DatabricksError("x"), ["isDatabricksError"]],
    [new module.DatabricksConfigError("x"), ["isDatabricksError", "isDatabricksConfigError"]],
    [new module.DatabricksResponseError("x"), ["isDatabricksError", "isDatabricksResponseError"]],
    [
      new module.DatabricksConnectionError("x"),
      ["isDatabricksError", "isDatabricksConnectionError"],
    ],
    [
      new module.DatabricksTimeoutError("x"),
      ["isDatabricksError", "isDatabricksConnectionError", "isDatabricksTimeoutError"],
    ],
    [new module.DatabricksAbortError("x"), ["isDatabricksError", "isDatabricksAbortError"]],
    [
      new module.DatabricksCredentialsError("x"),
      ["isDatabricksError", "isDatabricksCredentialsError"],
    ],
    [new module.DatabricksAPIError("x", init(418)), api],
    [new module.DatabricksBadRequestError("x", init(400)), [...api, "isDatabricksBadRequestError"]],
    [
      new module.DatabricksContextOverflowError("x", init(400)),
      [...api, "isDatabricksBadRequestError", "isDatabricksContextOverflowError"],
    ],
    [
      new module.DatabricksResponsesApiOnlyError("x", init(400)),
      [...api, "isDatabricksBadRequestError", "isDatabricksResponsesApiOnlyError"],
    ],
    [
      new module.DatabricksAuthenticationError("x", init(401)),
      [...api, "isDatabricksAuthenticationError"],
    ],
    [
      new module.DatabricksPermissionDeniedError("x", init(403)),
      [...api, "isDatabricksPermissionDeniedError"],
    ],
    [new module.DatabricksNotFoundError("x", init(404)), [...api, "isDatabricksNotFoundError"]],
    [new module.DatabricksConflictError("x", init(409)), [...api, "isDatabricksConflictError"]],
    [new module.DatabricksRateLimitError("x", init(429)), [...api, "isDatabricksRateLimitError"]],
    [new module.DatabricksServerError("x", init(500)), [...api, "isDatabricksServerError"]],
  ];
}

const guardNames = Object.keys(errors).filter((name) => /^isDatabricks\w*Error$/.test(name));
const guard = (name: string) =>
  (errors as unknown as Record<string, (value: unknown) => boolean>)[name] as (
    value: unknown,
  ) => boolean;

describe("isDatabricks…Error guards", () => {
  it("there is one guard per error class", () => {
    expect(guardNames).toHaveLength(samples(errors).length);
  });

  it("accept their class and its subclasses, and nothing else", () => {
    for (const [error, accepted] of samples(errors)) {
      for (const name of guardNames) {
        expect(guard(name)(error), `${name}(${error.constructor.name})`).toBe(
          accepted.includes(name),
        );
      }
    }
  });

  it("reject values that are not our errors", () => {
    const others = [
      new Error("x"),
      Object.assign(new Error("x"), { name: "DatabricksAPIError", status: 500 }),
      null,
      undefined,
      "DatabricksError",
      { status: 429 },
    ];
    for (const value of others) {
      for (const name of guardNames) expect(guard(name)(value), name).toBe(false);
    }
  });

  it("recognise errors from another copy of the module, where instanceof fails", async () => {
    vi.resetModules();
    const copy = await import("../../src/errors.js");
    expect(copy.DatabricksAPIError).not.toBe(errors.DatabricksAPIError);
    for (const [foreign, accepted] of samples(copy)) {
      expect(foreign).not.toBeInstanceOf(errors.DatabricksError);
      for (const name of guardNames) {
        expect(guard(name)(foreign), `${name}(foreign ${foreign.constructor.name})`).toBe(
          accepted.includes(name),
        );
      }
    }
  });

  it("isDatabricksError also accepts the marker of copies older than the brands", () => {
    const old = Object.assign(new Error("x"), { isDatabricksError: true });
    expect(errors.isDatabricksError(old)).toBe(true);
    expect(errors.isDatabricksAPIError(old)).toBe(false);
  });

  it("isRejectedCredential: a 401, or the 403 for an invalid token, not other 403s", () => {
    expect(
      errors.isRejectedCredential(new errors.DatabricksAuthenticationError("x", init(401))),
    ).toBe(true);
    expect(
      errors.isRejectedCredential(new errors.DatabricksPermissionDeniedError("x", init(403))),
    ).toBe(true);
    const lacksPermission = new errors.DatabricksPermissionDeniedError("x", {
      ...init(403),
      serverMessage: "User does not have Can Query on this endpoint",
    });
    expect(errors.isRejectedCredential(lacksPermission)).toBe(false);
    expect(errors.isRejectedCredential(new errors.DatabricksCredentialsError("x"))).toBe(false);
  });
});
