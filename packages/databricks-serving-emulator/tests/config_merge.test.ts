import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_EMULATOR_TOKEN,
  DEFAULT_OAUTH_CLIENT,
  defaultEmulatorOptions,
  EmulatorConfigError,
  loadEmulatorConfig,
  mergeEmulatorOptions,
  parseDriverAppSpec,
} from "../src/index.js";

function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "emulator-config-")), "emulator.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const defaultNames = (defaultEmulatorOptions().endpoints ?? []).map((e) => e.name);

describe('emulator config "extends": "defaults"', () => {
  it("keeps the default endpoints, tokens and OAuth clients and adds the file's", () => {
    const options = loadEmulatorConfig(
      configFile({
        extends: "defaults",
        port: 8080,
        tokens: ["dapi-mine-000000000000"],
        oauthClients: [{ clientId: "mine", clientSecret: "mine-secret-0000000000" }],
        endpoints: [{ name: "echo", task: "llm/v1/completions", backend: { type: "echo" } }],
        driverApps: [{ clusterId: "0101-emu", port: 7777, target: "http://127.0.0.1:7777" }],
      }),
    );
    expect(options.port).toBe(8080);
    expect(options.host).toBe("127.0.0.1");
    expect(options.tokens).toEqual([DEFAULT_EMULATOR_TOKEN, "dapi-mine-000000000000"]);
    expect(options.oauthClients?.map((c) => c.clientId)).toEqual([
      DEFAULT_OAUTH_CLIENT.clientId,
      "mine",
    ]);
    expect(options.endpoints?.map((e) => e.name)).toEqual([...defaultNames, "echo"]);
    expect(options.driverApps).toEqual([
      { clusterId: "0101-emu", port: 7777, target: "http://127.0.0.1:7777" },
    ]);
  });

  it("replaces a same-named endpoint in place, and a same-id OAuth client", () => {
    const options = loadEmulatorConfig(
      configFile({
        extends: "defaults",
        oauthClients: [
          { clientId: DEFAULT_OAUTH_CLIENT.clientId, clientSecret: "rotated-0000000" },
        ],
        endpoints: [{ name: "dolly", backend: { type: "echo" } }],
        faults: { dolly: { latencyMs: 5 } },
      }),
    );
    expect(options.endpoints?.map((e) => e.name)).toEqual(defaultNames);
    expect(options.endpoints?.[0]).toEqual({ name: "dolly", backend: { type: "echo" } });
    expect(options.oauthClients).toEqual([
      { clientId: DEFAULT_OAUTH_CLIENT.clientId, clientSecret: "rotated-0000000" },
    ]);
    expect(options.faults).toEqual({ dolly: { latencyMs: 5 } });
  });

  it("without extends a file starts from nothing, as before", () => {
    const options = loadEmulatorConfig(configFile({ endpoints: [{ name: "only" }] }));
    expect(options.endpoints?.map((e) => e.name)).toEqual(["only"]);
    expect(options.tokens).toBeUndefined();
  });

  it("refuses any other base", () => {
    expect(() => loadEmulatorConfig(configFile({ extends: "default" }))).toThrow(
      EmulatorConfigError,
    );
    expect(() => loadEmulatorConfig(configFile({ extends: "default" }))).toThrow(
      /extends: must be "defaults" \(the only base there is\), got "default"/,
    );
  });

  it("mergeEmulatorOptions: a driver app on the same cluster and port replaces the base's", () => {
    const merged = mergeEmulatorOptions(
      { driverApps: [{ clusterId: "c", port: 7777, target: 1 }], tokens: ["a"] },
      {
        driverApps: [
          { clusterId: "c", port: "7777", target: 2 },
          { clusterId: "d", port: 1, target: 3 },
        ],
      },
    );
    expect(merged.driverApps).toEqual([
      { clusterId: "c", port: "7777", target: 2 },
      { clusterId: "d", port: 1, target: 3 },
    ]);
    expect(merged.tokens).toEqual(["a"]);
  });
});

describe("parseDriverAppSpec (--driver-app CLUSTER:PORT=URL)", () => {
  it.each([
    [
      "0000-000000-xxxxxxxx:7777=http://127.0.0.1:7777",
      { clusterId: "0000-000000-xxxxxxxx", port: 7777, target: "http://127.0.0.1:7777" },
    ],
    ["c:8080=9000", { clusterId: "c", port: 8080, target: "9000" }],
    [
      "c:1=https://app.example/base",
      { clusterId: "c", port: 1, target: "https://app.example/base" },
    ],
  ])("%s", (spec, app) => {
    expect(parseDriverAppSpec(spec)).toEqual(app);
  });

  it.each([
    ["c:7777", /no '=' before the app's URL/],
    ["c=http://x", /no ':' between the cluster id and the port/],
    [":7777=http://x", /the cluster id is empty/],
    ["c:port=http://x", /the port 'port' is not an integer from 1 to 65535/],
    ["c:70000=http://x", /the port '70000' is not/],
    ["c:7777=", /the URL is empty/],
    ["c:7777=not a url", /'not a url' is not a URL \(nor a local port\)/],
    ["c:7777=ftp://x", /the URL must be http\(s\)/],
  ])("refuses %s", (spec, message) => {
    expect(() => parseDriverAppSpec(spec)).toThrow(EmulatorConfigError);
    expect(() => parseDriverAppSpec(spec)).toThrow(message);
    expect(() => parseDriverAppSpec(spec)).toThrow(/Use CLUSTER:PORT=URL, e\.g\. /);
  });
});
