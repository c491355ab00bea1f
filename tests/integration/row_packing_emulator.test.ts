/**
 * Row packing end to end against the emulator: its `dolly` custom model, and a driver app served by
 * `serveDriverProxyApp` that takes `dataframe_records` rows (`driverAppFormat`), both counted by the
 * emulator's stats.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
} from "databricks-serving-emulator";
import { serveDriverProxyApp, type DriverProxyApp } from "langchain-databricks/driver-proxy";
import { Databricks } from "langchain-databricks";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((handle) => handle.close()));
});

async function emulatorWith(app?: DriverProxyApp): Promise<EmulatorHandle> {
  const emulator = await startEmulator({
    ...defaultEmulatorOptions(),
    driverApps: app ? [{ clusterId: "0101-rows", port: 7777, target: app.url }] : [],
  });
  open.push(emulator);
  return emulator;
}

describe("row packing against the emulator", () => {
  it("dolly answers one prediction per row: 10 prompts in 3 requests, in order", async () => {
    const emulator = await emulatorWith();
    const connection = { host: emulator.url, token: emulator.token, endpoint: "dolly" };
    const prompts = Array.from({ length: 10 }, (_, i) =>
      i % 3 ? "How are you?" : "What is Spark?",
    );
    const expected = await new Databricks(connection).batch(prompts);
    const before = emulator.stats().endpoints["dolly"]?.requests ?? 0;
    const packed = new Databricks({ ...connection, batchSize: 4, maxConcurrency: 2 });
    expect(await packed.batch(prompts)).toEqual(expected);
    expect((emulator.stats().endpoints["dolly"]?.requests ?? 0) - before).toBe(3);
  });

  it("a serveDriverProxyApp app takes the rows of driverAppFormat: dataframe_records", async () => {
    const app = await serveDriverProxyApp({
      model: (prompt, { stop }) => `You asked: ${prompt}${stop ? ` (stop ${stop.join(",")})` : ""}`,
      port: 0,
      host: "127.0.0.1",
      warn: () => undefined,
    });
    open.push(app);
    const emulator = await emulatorWith(app);
    const llm = new Databricks({
      host: emulator.url,
      token: emulator.token,
      clusterId: "0101-rows",
      clusterDriverPort: 7777,
      driverAppFormat: "dataframe_records",
      batchSize: 3,
    });
    const prompts = ["a", "b", "c", "d", "e"];
    expect(await llm.batch(prompts)).toEqual(prompts.map((p) => `You asked: ${p}`));
    // The row carried the call's stop, and the answer is cut before it.
    expect(await llm.invoke("f", { stop: ["!"] })).toBe("You asked: f (stop ");
    expect(emulator.stats().endpoints["0101-rows:7777"]?.requests).toBe(3);
  });
});
