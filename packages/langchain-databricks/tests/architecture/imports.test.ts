/**
 * The import graph of `src/`, read from the sources: no module cycles, and `auth/` and `transport/`
 * never import each other (they meet in `credentials_provider.ts`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Module → the local modules it imports (static, `export … from`, and dynamic `import()`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const targets = [
      ...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g),
    ]
      .map((match) => resolve(dirname(file), (match[1] as string).replace(/\.js$/, ".ts")))
      .map((target) => relative(SRC, target));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** Every cycle's modules, by Tarjan's strongly connected components. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe("import graph of src/", () => {
  const graph = importGraph();

  it("reads the sources (and resolves every local import to a file)", () => {
    expect(graph.size).toBeGreaterThan(30);
    for (const [file, targets] of graph) {
      for (const target of targets) expect(graph.has(target), `${file} → ${target}`).toBe(true);
    }
  });

  it("has no module cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("auth/ and transport/ never import each other", () => {
    const crossing = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => {
          const [from, to] = [file.split("/")[0], target.split("/")[0]];
          return (from === "auth" && to === "transport") || (from === "transport" && to === "auth");
        })
        .map((target) => `${file} → ${target}`),
    );
    expect(crossing).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const looped = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(cycles(looped).map((c) => c.sort())).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });
});
