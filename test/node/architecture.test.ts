import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import madge, { type MadgeResult } from "madge";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The import graph of src/ as madge reads it (TypeScript, with our tsconfig; type-only imports count: they
 * tie modules together as much as value imports do). No module may import itself through others, and
 * the layers hold: core is runtime-neutral (zod only), the Worker takes nothing from the Node toolkit,
 * the local teacher server or Node's builtins.
 */
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../../tsconfig.json", import.meta.url));

let graph: MadgeResult;
beforeAll(async () => {
  graph = await madge(SRC, {
    fileExtensions: ["ts"],
    tsConfig: TSCONFIG,
    includeNpm: true,
    detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
  });
}, 120_000);

/** Shipped source files (not tests) under a folder of src/, with what each imports (madge's paths). */
function modulesUnder(folder: string): [file: string, imports: string[]][] {
  return Object.entries(graph.obj()).filter(
    ([file]) => file.startsWith(`${folder}/`) && !file.endsWith(".test.ts"),
  );
}

/**
 * Node builtins a file imports. madge drops them before they reach its graph, so they are read from the
 * source with TypeScript's own import scanner.
 */
function builtinsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(`${SRC}${file}`, "utf8"), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith("node:") || builtinModules.includes(name));
}

describe("the import graph of src/", () => {
  it("is the real graph: every relative import resolved, type-only imports included", () => {
    // An unresolved import is a missing edge, and a missing edge can hide a cycle.
    expect(graph.warnings().skipped.filter((name) => name.startsWith("."))).toEqual([]);
    const app = graph.obj()["gateway/app.ts"];
    expect(app).toContain("gateway/context.ts"); // `import type { AppEnv, … }` only
    expect(app).toContain("gateway/cascade/port.ts"); // `import type { TeacherPort }` only
  });

  it("has no import cycle", () => {
    expect(graph.circular()).toEqual([]);
  });

  it("core imports nothing outside core but zod", () => {
    const core = modulesUnder("core");
    expect(core.length).toBeGreaterThan(10);
    const outside = core.flatMap(([file, imports]) =>
      [...imports, ...builtinsOf(file)]
        .filter((to) => !to.startsWith("core/") && !to.startsWith("../node_modules/zod/"))
        .map((to) => `${file} → ${to}`),
    );
    expect(outside).toEqual([]);
  });

  it("the Worker imports nothing from the toolkit, the teacher server or Node's builtins", () => {
    const worker = modulesUnder("gateway");
    expect(worker.length).toBeGreaterThan(50);
    const forbidden = worker.flatMap(([file, imports]) =>
      [...imports.filter((to) => /^(distill|teacher-server)\//.test(to)), ...builtinsOf(file)].map(
        (to) => `${file} → ${to}`,
      ),
    );
    expect(forbidden).toEqual([]);
  });
});
