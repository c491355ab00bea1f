import { afterEach } from "vitest";
import {
  defaultEmulatorOptions,
  startEmulator,
  type EmulatorHandle,
  type EmulatorOptions,
} from "../src/index.js";

const started: EmulatorHandle[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.close()));
});

/** Start an emulator on 127.0.0.1:0 that is closed after the current test. */
export async function emulator(overrides: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const handle = await startEmulator({ ...defaultEmulatorOptions(), ...overrides });
  started.push(handle);
  return handle;
}

/** POST JSON with the handle's PAT. */
export function postJson(
  handle: EmulatorHandle,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${handle.url}${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${handle.token}`,
      "Content-Type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** GET with the handle's PAT. */
export function get(handle: EmulatorHandle, path: string, headers: Record<string, string> = {}) {
  return fetch(`${handle.url}${path}`, {
    headers: { Authorization: `Bearer ${handle.token}`, ...headers },
  });
}

/** Split an SSE body into its `data:` payloads, checking the framing on the way. */
export function sseData(text: string): string[] {
  const frames = text.split("\n\n").filter((f) => f !== "");
  return frames.map((frame) => {
    if (!frame.startsWith("data: ") || frame.includes("\n")) {
      throw new Error(`bad SSE frame: ${JSON.stringify(frame)}`);
    }
    return frame.slice("data: ".length);
  });
}

/** Cosine similarity of two vectors. */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}
