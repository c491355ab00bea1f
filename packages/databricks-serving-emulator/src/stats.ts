import type { EmulatorEndpointStats, EmulatorStats } from "./types.js";

/**
 * How many distinct `METHOD /path` keys {@link StatsTable} keeps. Paths are chosen by clients (a
 * fuzzer sends 9,000-character segments; a CLI emulator may run for days), so the table is capped;
 * tests count a handful of paths, far below it.
 */
export const MAX_COUNTED_PATHS = 1_000;

/** The key counting requests to paths first seen once {@link MAX_COUNTED_PATHS} are kept. */
export const OTHER_PATHS_KEY = "other";

/** Request counters: a total, per method and path, and per-key request / in-flight figures. */
export class StatsTable {
  private total = 0;
  private readonly keys = new Map<string, EmulatorEndpointStats>();
  private readonly paths = new Map<string, number>();

  /**
   * Count one HTTP request (any route, any answer), under `METHOD /path` (no query), or under
   * {@link OTHER_PATHS_KEY} when the path is new and {@link MAX_COUNTED_PATHS} are already kept.
   */
  countRequest(method: string, path: string): void {
    this.total++;
    const exact = `${method} ${path}`;
    const key =
      this.paths.has(exact) || this.paths.size < MAX_COUNTED_PATHS ? exact : OTHER_PATHS_KEY;
    this.paths.set(key, (this.paths.get(key) ?? 0) + 1);
  }

  get requests(): number {
    return this.total;
  }

  /** Count a request to `key` and mark it in flight; call the returned function when done. */
  begin(key: string): () => void {
    let entry = this.keys.get(key);
    if (entry === undefined) {
      entry = { requests: 0, inFlight: 0, maxInFlight: 0 };
      this.keys.set(key, entry);
    }
    const e = entry;
    e.requests++;
    e.inFlight++;
    if (e.inFlight > e.maxInFlight) e.maxInFlight = e.inFlight;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      e.inFlight--;
    };
  }

  snapshot(): EmulatorStats {
    const endpoints: Record<string, EmulatorEndpointStats> = {};
    for (const [key, value] of this.keys) endpoints[key] = { ...value };
    return { total: this.total, endpoints, paths: Object.fromEntries(this.paths) };
  }

  reset(): void {
    this.total = 0;
    this.paths.clear();
    for (const entry of this.keys.values()) {
      entry.requests = 0;
      entry.maxInFlight = entry.inFlight;
    }
  }
}
