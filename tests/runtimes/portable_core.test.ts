/**
 * The portable core on Node, with the other runtimes' traits simulated: Deno's guarded environment,
 * a runtime without `process.getBuiltinModule`, a refused file read, Bun, and a missing undici.
 * The real runtimes run in runtimes.test.ts; these pin each branch down quickly.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfigProfile } from "../../packages/langchain-databricks/src/auth/config_file.js";
import { resolveDatabricksConfig } from "../../packages/langchain-databricks/src/auth/resolve.js";
import { DatabricksConfigError } from "../../packages/langchain-databricks/src/errors.js";
import {
  loadUndiciSender,
  prefersUndici,
} from "../../packages/langchain-databricks/src/transport/default_sender.js";
import { createHttpSender } from "../../packages/langchain-databricks/src/transport/http.js";
import { buildUserAgent } from "../../packages/langchain-databricks/src/transport/user_agent.js";
import { readEnvVar } from "../../packages/langchain-databricks/src/utils/env.js";
import {
  startLoopback,
  type LoopbackServer,
} from "../../packages/langchain-databricks/tests/helpers/loopback.js";

// Resolution performs no I/O but reading a config file: OAuth requests go through the client later.
const resolveWith = (options: Parameters<typeof resolveDatabricksConfig>[0]) =>
  resolveDatabricksConfig(options);

/** Deno's global as far as the package looks at it: env permission in the given state. */
function stubDeno(envPermission: "granted" | "prompt" | "denied"): void {
  vi.stubGlobal("Deno", {
    version: { deno: "2.9.6" },
    permissions: { querySync: () => ({ state: envPermission }) },
  });
}

/** Replace `process.getBuiltinModule` for one test (`undefined`: a runtime without it). */
function stubGetBuiltinModule(replacement: ((id: string) => unknown) | undefined): void {
  const original = Object.getOwnPropertyDescriptor(process, "getBuiltinModule");
  Object.defineProperty(process, "getBuiltinModule", {
    value: replacement,
    configurable: true,
    writable: true,
  });
  restorers.push(() => {
    if (original) Object.defineProperty(process, "getBuiltinModule", original);
  });
}

function configErrorOf(fn: () => unknown): DatabricksConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DatabricksConfigError);
    return error as DatabricksConfigError;
  }
  throw new Error("expected a DatabricksConfigError");
}

const restorers: (() => void)[] = [];
let server: LoopbackServer | undefined;
afterEach(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.doUnmock("undici");
  vi.resetModules();
  for (const restore of restorers.splice(0)) restore();
  await server?.close();
  server = undefined;
});

describe("environment access", () => {
  it("does not touch the environment Deno guards: no prompt, no NotCapable, marked denied", () => {
    vi.stubEnv("DATABRICKS_HOST", "https://set-but-guarded.example.com");
    stubDeno("prompt");
    expect(readEnvVar("DATABRICKS_HOST")).toEqual({ value: undefined, denied: true });
    stubDeno("granted");
    expect(readEnvVar("DATABRICKS_HOST")).toEqual({
      value: "https://set-but-guarded.example.com",
      denied: false,
    });
  });

  it("turns a runtime's permission error into a denied reading, and rethrows anything else", () => {
    const guarded = new Proxy(
      {},
      {
        get: (_target, name) => {
          if (name === "BROKEN") throw new TypeError("a bug, not a permission");
          const error = new Error(`Requires env access to "${String(name)}"`);
          error.name = "NotCapable";
          throw error;
        },
      },
    );
    expect(readEnvVar("DATABRICKS_TOKEN", guarded)).toEqual({ value: undefined, denied: true });
    expect(() => readEnvVar("BROKEN", guarded)).toThrow(TypeError);
  });

  it("explicit host and token work without any environment access", () => {
    stubDeno("denied");
    const resolved = resolveWith({ host: "https://x.cloud.databricks.com", token: "dapi-1" });
    expect(resolved).toMatchObject({ host: "https://x.cloud.databricks.com", authType: "pat" });
  });

  it("a missing setting names the unread variables and the Deno flag to read them", () => {
    stubDeno("prompt");
    const error = configErrorOf(() => resolveWith({ token: "dapi-1" }));
    expect(error.message).toMatch(/^host was not set/);
    expect(error.message).toContain(
      "The environment could not be read, so DATABRICKS_* variables were not consulted: run Deno with --allow-env=DATABRICKS_HOST,DATABRICKS_CLIENT_ID,",
    );
    expect(error.message).toContain("or pass the settings (`host`, `token`…) as options");
  });
});

describe("config-file access", () => {
  it("a runtime without process.getBuiltinModule: a profile asked for is a clear error", () => {
    stubGetBuiltinModule(undefined);
    const error = configErrorOf(() => resolveWith({ profile: "dev" }));
    expect(error.message).toContain(
      "Config-file profiles need Node.js >= 20.16, Bun or Deno with file access",
    );
    expect(error.message).toContain("pass `host` and `token`");
  });

  it("a runtime without process.getBuiltinModule: the default file is skipped and said so", () => {
    stubGetBuiltinModule(undefined);
    const error = configErrorOf(() => resolveWith({}));
    expect(error.message).toMatch(/^host was not set/);
    expect(error.message).toContain(
      `Config file: not read (Node.js ${process.versions.node} has no \`process.getBuiltinModule\` (added in Node.js 20.16))`,
    );
  });

  it("a refused read names the --allow-read flag and the file, not a hidden cause", () => {
    const realGetBuiltinModule = process.getBuiltinModule.bind(process);
    stubGetBuiltinModule((id: string) => {
      if (id !== "node:fs") return realGetBuiltinModule(id as "node:path");
      return {
        readFileSync: (path: string) => {
          const error = new Error(`Requires read access to "${path}"`);
          error.name = "NotCapable";
          throw error;
        },
      };
    });
    const error = configErrorOf(() =>
      loadConfigProfile({ profile: "dev", env: { HOME: "/home/someone" } }),
    );
    expect(error.message).toBe(
      "Cannot read the config file /home/someone/.databrickscfg: the runtime refused access (NotCapable). Under Deno, run with --allow-read=/home/someone/.databrickscfg. Or pass `host` and `token` (or `clientId` + `clientSecret`) as options instead of a profile.",
    );
  });
});

describe("the default sender", () => {
  it("is undici on Node only; Bun, Deno and edge runtimes use their native fetch", () => {
    expect(prefersUndici({ name: "node", version: "20.20.2" })).toBe(true);
    expect(prefersUndici({ name: "bun", version: "1.4.4" })).toBe(false);
    expect(prefersUndici({ name: "deno", version: "2.9.6" })).toBe(false);
    expect(prefersUndici({ name: "other", version: undefined })).toBe(false);
  });

  it("imports undici once: concurrent first requests share the import", async () => {
    const first = loadUndiciSender();
    expect(loadUndiciSender()).toBe(first);
    expect(typeof (await first)).toBe("function");
  });

  it("sends with undici on Node, never the global fetch", async () => {
    server = await startLoopback((_req, res) => {
      res.end('{"ok":true}');
    });
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const response = await createHttpSender()({
      method: "GET",
      url: `${server.url}/x`,
      headers: {},
      timeoutMs: 5_000,
    });
    expect(await response.text()).toBe('{"ok":true}');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("uses the global fetch under Bun (fresh module state)", async () => {
    Object.defineProperty(process.versions, "bun", { value: "1.4.4", configurable: true });
    restorers.push(() => delete (process.versions as Record<string, string | undefined>)["bun"]);
    server = await startLoopback((_req, res) => {
      res.end("bun");
    });
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const { defaultSender } =
      await import("../../packages/langchain-databricks/src/transport/default_sender.js");
    const response = await defaultSender({
      method: "GET",
      url: `${server.url}/x`,
      headers: {},
      timeoutMs: 5_000,
    });
    expect(await response.text()).toBe("bun");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it("falls back to the global fetch on Node when undici cannot be loaded", async () => {
    vi.doMock("undici", () => {
      throw new Error("undici is not installed here");
    });
    server = await startLoopback((_req, res) => {
      res.end("fallback");
    });
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const { defaultSender } =
      await import("../../packages/langchain-databricks/src/transport/default_sender.js");
    const response = await defaultSender({
      method: "GET",
      url: `${server.url}/x`,
      headers: {},
      timeoutMs: 5_000,
    });
    expect(await response.text()).toBe("fallback");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });
});

describe("the User-Agent", () => {
  it("names Deno and Bun rather than the Node version they emulate", () => {
    stubDeno("prompt");
    expect(buildUserAgent("pat")).toMatch(
      /^langchain-databricks\/\S+ deno\/2\.9\.6 os\/\w+ auth\/pat$/,
    );
    vi.unstubAllGlobals();
    expect(buildUserAgent("pat")).toContain(` node/${process.versions.node} `);
  });
});
