import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, resolve } from "node:path";
import ts from "typescript";

/** One module specifier a file loads when it is itself loaded. */
export interface LoadTimeImport {
  /** The file that imports it. */
  from: string;
  specifier: string;
}

/**
 * The specifiers a module loads at module load: `import … from`, `export … from`, and `require(…)`
 * or `import(…)` calls that run at the top level. Calls inside a function body run only when the
 * function is called (the lazy undici import), so they are not part of the load-time graph.
 */
export function loadTimeSpecifiers(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node)) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const [first] = node.arguments;
      if ((isRequire || isImport) && first) {
        // A computed specifier at load time cannot be checked: report it as such.
        found.push(
          ts.isStringLiteralLike(first) ? first.text : `<computed: ${first.getText(file)}>`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * Walk the load-time graph from `entry`, following relative specifiers (the build's chunks), and
 * return every non-relative specifier met (packages and built-ins) with the file importing it.
 */
export function walkLoadTimeGraph(entry: string): { files: string[]; external: LoadTimeImport[] } {
  const seen = new Set<string>();
  const external: LoadTimeImport[] = [];
  const pending = [resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of loadTimeSpecifiers(readFileSync(file, "utf8"), file)) {
      if (specifier.startsWith("./") || specifier.startsWith("../")) {
        pending.push(resolve(dirname(file), specifier));
      } else {
        external.push({ from: file, specifier });
      }
    }
  }
  return { files: [...seen], external };
}

const BUILTINS = new Set(builtinModules);

/**
 * Whether a specifier is one the main entry must not load: a Node built-in (`node:fs`, `fs`,
 * `fs/promises`), undici, or something computed.
 */
export function isForbiddenAtLoad(specifier: string): boolean {
  const bare = specifier.split("/")[0] as string;
  return (
    specifier.startsWith("node:") ||
    BUILTINS.has(specifier) ||
    BUILTINS.has(bare) ||
    bare === "undici" ||
    specifier.startsWith("<computed")
  );
}
