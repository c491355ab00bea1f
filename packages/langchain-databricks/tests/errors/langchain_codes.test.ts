import {
  addLangChainErrorFields,
  ContextOverflowError,
  LangChainError,
  type LangChainErrorCodes,
} from "@langchain/core/errors";
import { afterEach, describe, expect, it } from "vitest";
import { ChatDatabricks } from "../../src/chat_models.js";
import {
  DatabricksAPIError,
  DatabricksBadRequestError,
  DatabricksConnectionError,
  DatabricksContextOverflowError,
  DatabricksCredentialsError,
  DatabricksRateLimitError,
  type LangChainErrorCode,
} from "../../src/errors.js";
import { sendJson, startLoopback, type LoopbackServer } from "../helpers/loopback.js";

const answer = (status: number, body: unknown): DatabricksAPIError =>
  DatabricksAPIError.fromResponse({
    status,
    headers: {},
    body: typeof body === "string" ? body : JSON.stringify(body),
    request: "POST /serving-endpoints/x/invocations",
  });

// Every code we set is one of core's: a compile-time check (tests are type-checked).
const asCoreCode = (code: LangChainErrorCode): LangChainErrorCodes => code;

describe("lc_error_code on API errors", () => {
  it.each([
    [429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }, "MODEL_RATE_LIMIT"],
    [400, { error_code: "RESOURCE_EXHAUSTED", message: "quota" }, "MODEL_RATE_LIMIT"],
    [429, { error_code: "INVALID_PARAMETER_VALUE", message: "odd" }, "MODEL_RATE_LIMIT"],
    [401, { error_code: 401, message: "Credential was not sent" }, "MODEL_AUTHENTICATION"],
    [403, { error_code: 403, message: "Invalid access token." }, "MODEL_AUTHENTICATION"],
    [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no endpoint" }, "MODEL_NOT_FOUND"],
    [404, { error_code: "ENDPOINT_NOT_FOUND", message: "Invalid path" }, "MODEL_NOT_FOUND"],
  ] as const)("HTTP %i %j → %s", (status, body, code) => {
    const error = answer(status, body);
    expect(error.lc_error_code).toBe(asCoreCode(code));
    expect(error.toJSON()["lc_error_code"]).toBe(code);
  });

  it.each([
    [403, { error_code: "PERMISSION_DENIED", message: "User does not have Can Query" }],
    [400, { error_code: "BAD_REQUEST", message: "json: unknown field" }],
    [500, { error_code: "INTERNAL_ERROR", message: "boom" }],
    [409, ""],
  ] as const)("HTTP %i %j has no code and no troubleshooting link", (status, body) => {
    const error = answer(status, body);
    expect(error.lc_error_code).toBeUndefined();
    expect(error.message).not.toContain("Troubleshooting URL");
    expect(error.toJSON()).not.toHaveProperty("lc_error_code");
  });

  it("appends the troubleshooting link exactly as @langchain/core's addLangChainErrorFields", () => {
    const init = {
      status: 429,
      errorCode: "REQUEST_LIMIT_EXCEEDED",
      headers: {},
      serverMessage: "",
    };
    const ours = new DatabricksRateLimitError("slow down", init);
    const core = addLangChainErrorFields(new Error("slow down"), "MODEL_RATE_LIMIT") as Error;
    expect(ours.message).toBe(core.message);
    expect(ours.message).toContain(
      "https://docs.langchain.com/oss/javascript/langchain/errors/MODEL_RATE_LIMIT/",
    );
  });
});

describe("context overflow", () => {
  it.each([
    [
      "Claude behind Databricks (BAD_REQUEST wrapping the model's JSON)",
      {
        error_code: "BAD_REQUEST",
        message: '{"message":"prompt is too long: 216327 tokens > 200000 maximum"}',
      },
    ],
    [
      "OpenAI-shaped body with its code",
      {
        error: {
          message: "This model's maximum context length is 128000 tokens.",
          type: "invalid_request_error",
          code: "context_length_exceeded",
        },
      },
    ],
    [
      "vLLM wording",
      {
        error_code: "INVALID_PARAMETER_VALUE",
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 8203 tokens.",
      },
    ],
    [
      "Anthropic input + max_tokens",
      {
        error_code: "BAD_REQUEST",
        message: "input length and `max_tokens` exceed context limit: 196601 + 16000 > 200000",
      },
    ],
  ])("%s → DatabricksContextOverflowError, CONTEXT_OVERFLOW", (_case, body) => {
    const error = answer(400, body);
    expect(error).toBeInstanceOf(DatabricksContextOverflowError);
    expect(error).toBeInstanceOf(DatabricksBadRequestError);
    expect(error.name).toBe("DatabricksContextOverflowError");
    expect(error.lc_error_code).toBe("CONTEXT_OVERFLOW");
    expect(error.message).toMatch(/shorten|fewer or shorter messages/);
    // LangChain's own class recognises it (its namespace brands), as for @langchain/openai's errors.
    expect(ContextOverflowError.isInstance(error)).toBe(true);
    expect(error instanceof ContextOverflowError).toBe(true);
    expect(LangChainError.isInstance(error)).toBe(true);
  });

  it("is only a 400: the same words on a 500 or a 429 stay what the status says", () => {
    const server = answer(500, { error_code: "INTERNAL_ERROR", message: "prompt is too long" });
    expect(server).not.toBeInstanceOf(DatabricksContextOverflowError);
    expect(ContextOverflowError.isInstance(server)).toBe(false);
    expect(answer(429, { message: "maximum context length" }).lc_error_code).toBe(
      "MODEL_RATE_LIMIT",
    );
  });

  it("other 400s are not context overflow", () => {
    const error = answer(400, {
      error_code: "BAD_REQUEST",
      message: "tools.0.custom.strict: Extra inputs are not permitted",
    });
    expect(error).not.toBeInstanceOf(DatabricksContextOverflowError);
    expect(ContextOverflowError.isInstance(error)).toBe(false);
    expect(LangChainError.isInstance(error)).toBe(false);
  });
});

describe("lc_error_code on credentials errors", () => {
  it("a refused client or unusable custom headers → MODEL_AUTHENTICATION", () => {
    const refused = new DatabricksCredentialsError("could not get a token", {
      status: 401,
      errorCode: "invalid_client",
      cause: answer(401, { error: "invalid_client", error_description: "bad secret" }),
    });
    expect(refused.lc_error_code).toBe("MODEL_AUTHENTICATION");
    expect(refused.message).toContain("/errors/MODEL_AUTHENTICATION/");
    expect(new DatabricksCredentialsError("headers must be strings").lc_error_code).toBe(
      "MODEL_AUTHENTICATION",
    );
  });

  it("an unreachable, throttled or failing token endpoint has no code (it says nothing of the key)", () => {
    const unreachable = new DatabricksCredentialsError("could not get a token", {
      cause: new DatabricksConnectionError("ECONNREFUSED"),
    });
    expect(unreachable.lc_error_code).toBeUndefined();
    for (const status of [429, 503]) {
      expect(new DatabricksCredentialsError("x", { status }).lc_error_code).toBeUndefined();
    }
  });
});

describe("through LangChain", () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("ChatDatabricks.invoke rejects with the code set and the link in the message", async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }),
    );
    const chat = new ChatDatabricks({
      host: server.url,
      token: "dapi-langchain-codes-0000",
      endpoint: "chat",
      maxRetries: 0,
    });
    const error = await chat.invoke("hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksRateLimitError);
    expect((error as DatabricksRateLimitError).lc_error_code).toBe("MODEL_RATE_LIMIT");
    expect((error as Error).message).toContain("Troubleshooting URL: https://docs.langchain.com/");
  });
});
