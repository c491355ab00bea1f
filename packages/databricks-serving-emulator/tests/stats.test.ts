import { describe, expect, it } from "vitest";
import { MAX_COUNTED_PATHS, OTHER_PATHS_KEY, StatsTable } from "../src/stats.js";

describe("stats", () => {
  it("keeps at most MAX_COUNTED_PATHS paths; new paths beyond it count under 'other'", () => {
    // Paths are chosen by clients: a fuzzer or a long-running emulator must not grow the table.
    const stats = new StatsTable();
    for (let i = 0; i < MAX_COUNTED_PATHS + 5; i++) stats.countRequest("GET", `/p/${i}`);
    // A path kept before the table filled up is still counted exactly.
    stats.countRequest("GET", "/p/0");
    const { paths, total } = stats.snapshot();
    expect(total).toBe(MAX_COUNTED_PATHS + 6);
    expect(Object.keys(paths)).toHaveLength(MAX_COUNTED_PATHS + 1);
    expect(paths["GET /p/0"]).toBe(2);
    expect(paths[`GET /p/${MAX_COUNTED_PATHS}`]).toBeUndefined();
    expect(paths[OTHER_PATHS_KEY]).toBe(5);
    // A reset makes room again.
    stats.reset();
    stats.countRequest("POST", "/new");
    expect(stats.snapshot().paths).toEqual({ "POST /new": 1 });
  });
});
