import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { projectRoot } from "../../engine/paths";

/**
 * The import rules of docs/ARCHITECTURE.md, checked on the sources: no import cycles between modules;
 * `providers/` never imports `operations/`, `cli/`, `components/`, `engine/` or `lab/` (the runtime package holds
 * providers and spec only); `spec/` imports no value from `providers/` (types only).
 */

const ROOT = projectRoot();
const SOURCE_DIRS = [
  "index.ts",
  "spec",
  "components",
  "providers",
  "operations",
  "cli",
  "engine",
  "lab",
  "bench",
];

interface Edge {
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: erased at compile time. */
  readonly typeOnly: boolean;
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) {
        walk(join(path, entry));
      }
    } else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) {
      out.push(relative(ROOT, path));
    }
  };
  for (const dir of SOURCE_DIRS) {
    walk(join(ROOT, dir));
  }
  return out.sort();
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) {
    return undefined;
  }
  const base = resolve(ROOT, dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate)) {
      return relative(ROOT, candidate);
    }
  }
  return undefined;
}

/** Every relative import and re-export of the sources (`import type` marked). */
function edges(): Edge[] {
  const out: Edge[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/g;
  for (const file of sources()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const match of text.matchAll(pattern)) {
      const to = resolveImport(file, match[3]);
      if (to !== undefined) {
        out.push({ from: file, to, typeOnly: match[2] !== undefined });
      }
    }
  }
  return out;
}

const layer = (file: string) => file.split("/")[0];

describe("architecture: the import rules of docs/ARCHITECTURE.md", () => {
  const all = edges();

  it("finds the imports it checks (the parser works)", () => {
    assert.ok(all.length > 300, `only ${all.length} imports found`);
    assert.ok(all.some((e) => e.from === "components/node.ts" && e.to === "spec/resolve.ts"));
  });

  it("providers/ never imports operations/, cli/, components/, engine/ or lab/", () => {
    const bad = all.filter(
      (e) =>
        layer(e.from) === "providers" &&
        ["operations", "cli", "components", "engine", "lab"].includes(layer(e.to)),
    );
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  it("spec/ imports no value from providers/ (types only)", () => {
    const bad = all.filter((e) => layer(e.from) === "spec" && layer(e.to) === "providers" && !e.typeOnly);
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  it("has no import cycle between modules (type-only imports aside)", () => {
    const graph = new Map<string, string[]>();
    for (const e of all.filter((x) => !x.typeOnly)) {
      graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    }
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, "visiting");
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === "visiting") {
          cycles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
        } else if (state.get(next) === undefined) {
          visit(next);
        }
      }
      stack.pop();
      state.set(node, "done");
    };
    for (const node of graph.keys()) {
      if (state.get(node) === undefined) {
        visit(node);
      }
    }
    assert.deepEqual(cycles, []);
  });
});
