import { describe, expect, it } from "vitest";
import {
  CustomCredentials,
  isCredentialsProvider,
  PatCredentials,
  toCredentialsProvider,
  type HeadersAuthenticator,
} from "../../src/auth/credentials.js";
import { DatabricksCredentialsError } from "../../src/errors.js";
import type { CredentialsProvider } from "../../src/credentials_provider.js";
import { DatabricksAPIError, DatabricksError } from "../../src/errors.js";
import { SecretRedactor } from "../../src/redaction.js";

describe("PatCredentials", () => {
  it("sends Bearer <token> and cannot be refreshed", async () => {
    const pat = new PatCredentials("dapi0123456789abcdef");
    expect(pat.authType).toBe("pat");
    expect(await pat.headers()).toEqual({ authorization: "Bearer dapi0123456789abcdef" });
    expect(pat.invalidate()).toBe(false);
  });

  it("lists its token as a secret, so its client's errors cannot echo it", () => {
    const pat = new PatCredentials("my-personal-token-value");
    expect(pat.secrets()).toEqual(["my-personal-token-value"]);
    const redactor = new SecretRedactor(() => pat.secrets());
    const error = redactor.redactError(
      new DatabricksError("server said: my-personal-token-value is invalid"),
    );
    expect(error.message).toBe("server said: *** is invalid");
    expect(JSON.stringify(error)).not.toContain("my-personal-token-value");
  });

  it("does not expose the token as an enumerable property", () => {
    const pat = new PatCredentials("dapiHIDDEN0123456789");
    expect(JSON.stringify(pat)).not.toContain("dapiHIDDEN0123456789");
  });
});

describe("CustomCredentials", () => {
  it("adapts an object that mutates the Headers it is given (SDK Config shape)", async () => {
    const seen: unknown[] = [];
    const config = {
      authType: "azure-cli",
      async authenticate(headers: Headers): Promise<void> {
        seen.push(headers);
        headers.set("Authorization", "Bearer from-config");
        headers.set("X-Databricks-Azure-SP-Management-Token", "mgmt");
      },
    };
    const creds = new CustomCredentials(config);
    expect(creds.authType).toBe("azure-cli");
    expect(await creds.headers()).toEqual({
      authorization: "Bearer from-config",
      "x-databricks-azure-sp-management-token": "mgmt",
    });
    expect(seen[0]).toBeInstanceOf(Headers);
    expect(creds.invalidate()).toBe(false);
  });

  it("names an object without authType 'custom' and calls it per request", async () => {
    let calls = 0;
    const authenticator: HeadersAuthenticator = {
      authenticate(headers) {
        calls += 1;
        (headers as Headers).set("authorization", `Bearer n${calls}`);
      },
    };
    const creds = new CustomCredentials(authenticator);
    expect(creds.authType).toBe("custom");
    expect(await creds.headers()).toEqual({ authorization: "Bearer n1" });
    expect(await creds.headers()).toEqual({ authorization: "Bearer n2" });
  });

  it("adapts a function, lower-casing names and passing the signal", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const creds = new CustomCredentials(async (signal) => {
      signals.push(signal);
      return { Authorization: "Bearer fn", "X-Extra": "1" };
    });
    const controller = new AbortController();
    expect(await creds.headers(controller.signal)).toEqual({
      authorization: "Bearer fn",
      "x-extra": "1",
    });
    expect(signals[0]).toBe(controller.signal);
    expect(creds.authType).toBe("custom");
  });

  it("accepts a synchronous function and a Headers result", async () => {
    expect(await new CustomCredentials(() => ({ authorization: "Bearer sync" })).headers()).toEqual(
      {
        authorization: "Bearer sync",
      },
    );
    const asHeaders = (() => new Headers({ Authorization: "Bearer h" })) as unknown as () => Record<
      string,
      string
    >;
    expect(await new CustomCredentials(asHeaders).headers()).toEqual({ authorization: "Bearer h" });
  });

  it("rejects non-string header values", async () => {
    const bad = (() => ({ authorization: 42 })) as unknown as () => Record<string, string>;
    await expect(new CustomCredentials(bad).headers()).rejects.toBeInstanceOf(
      DatabricksCredentialsError,
    );
    await expect(new CustomCredentials(bad).headers()).rejects.toThrow(
      /returned number 42 for header "authorization"; header values must be strings/,
    );
  });

  it("rejects a result that is not a headers object, naming what it was", async () => {
    const returning = (value: unknown) => (() => value) as unknown as () => Record<string, string>;
    await expect(new CustomCredentials(returning(null)).headers()).rejects.toThrow(
      /must return a headers object, .* not null\./,
    );
    await expect(new CustomCredentials(returning("Bearer x")).headers()).rejects.toThrow(
      /must return a headers object, .* not string\./,
    );
  });

  it("lists the credentials it handed out (the latest two calls), so no error can echo them", async () => {
    let call = 0;
    const creds = new CustomCredentials(() => ({
      Authorization: `Bearer custom-provider-token-${++call}`,
      "X-Databricks-Azure-SP-Management-Token": "management-token",
      "X-Databricks-Azure-Workspace-Resource-Id": "/subscriptions/s/resource",
    }));
    expect(creds.secrets()).toEqual([]);
    await creds.headers();
    const redactor = new SecretRedactor(() => creds.secrets());
    const error = redactor.redactError(
      DatabricksAPIError.fromResponse({
        status: 400,
        headers: {},
        body: '{"message":"you sent custom-provider-token-1 and management-token"}',
      }),
    );
    expect(error.message).not.toContain("custom-provider-token-1");
    expect(error.message).not.toContain("management-token");
    await creds.headers();
    await creds.headers();
    // Bounded: the latest two calls' credentials; a workspace id is not a credential.
    expect(creds.secrets()).toEqual([
      "custom-provider-token-3",
      "management-token",
      "custom-provider-token-2",
      "management-token",
    ]);
  });

  it("delegates invalidate() to the source when it has one", () => {
    const source = Object.assign(() => ({ authorization: "Bearer x" }), { invalidate: () => true });
    expect(new CustomCredentials(source).invalidate()).toBe(true);
  });

  it("lets an explicit authType name the provider", () => {
    expect(new CustomCredentials(() => ({}), { authType: "my-sso" }).authType).toBe("my-sso");
  });
});

describe("toCredentialsProvider", () => {
  it("keeps a CredentialsProvider and wraps everything else", () => {
    const provider: CredentialsProvider = {
      authType: "x",
      headers: () => Promise.resolve({}),
      invalidate: () => false,
    };
    expect(isCredentialsProvider(provider)).toBe(true);
    expect(toCredentialsProvider(provider)).toBe(provider);
    expect(toCredentialsProvider(() => ({}))).toBeInstanceOf(CustomCredentials);
    expect(toCredentialsProvider({ authenticate: () => undefined })).toBeInstanceOf(
      CustomCredentials,
    );
  });
});
