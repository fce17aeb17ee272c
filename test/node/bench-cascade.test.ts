import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CASCADE_MARKERS,
  type CascadeResults,
  costPerMillion,
  renderCascadeSection,
  writeCascadeReport,
} from "../../bench/cascade/report.ts";
import { BENCHMARKS_HEADER, sectionMarkers, spliceSection } from "../../bench/common/section.ts";

const results = (teacherRate: number): CascadeResults => ({
  command: "npm run bench:cascade",
  date: "2026-01-01",
  machine: { nproc: 2, cpu: "cpu", node: "v20", packages: { zod: "4" }, commit: null },
  prices: { teacherPer1k: 0.5, studentPerMillion: 0, teacherPriceAssumed: true },
  models: [
    {
      model: "m|x",
      dir: "models/m",
      version: "1.0.0",
      dataset: "d",
      nTest: 100,
      teacherAccuracy: 0.9,
      studentAccuracy: 0.8,
      cascade: { score: "margin", threshold: 0.25, teacherRate, accuracy: 0.89, retention: 0.89 / 0.9 },
      cost: costPerMillion({ teacherPer1k: 0.5, studentPerMillion: 0, teacherRate }),
    },
  ],
});

describe("bench:cascade cost maths", () => {
  it("prices teacher-only at 1e6 × the per-request price and the cascade at its teacher rate", () => {
    const cost = costPerMillion({ teacherPer1k: 0.5, studentPerMillion: 0, teacherRate: 0.2 });
    expect(cost.teacherOnlyPerMillion).toBeCloseTo(500, 10);
    expect(cost.cascadePerMillion).toBeCloseTo(100, 10);
    expect(cost.saving).toBeCloseTo(0.8, 10);
  });

  it("adds the student's cost per million requests to the cascade", () => {
    const cost = costPerMillion({ teacherPer1k: 2, studentPerMillion: 0.3, teacherRate: 0.1 });
    expect(cost.teacherOnlyPerMillion).toBeCloseTo(2000, 10);
    expect(cost.cascadePerMillion).toBeCloseTo(200.3, 10);
    expect(cost.saving).toBeCloseTo(1 - 200.3 / 2000, 10);
  });

  it("has no saving to state when the teacher is free, and rejects bad inputs", () => {
    expect(costPerMillion({ teacherPer1k: 0, studentPerMillion: 1, teacherRate: 0.5 }).saving).toBeNull();
    expect(() => costPerMillion({ teacherPer1k: -1, studentPerMillion: 0, teacherRate: 0.5 })).toThrow();
    expect(() => costPerMillion({ teacherPer1k: 1, studentPerMillion: 0, teacherRate: 1.5 })).toThrow();
    expect(() =>
      costPerMillion({ teacherPer1k: Number.NaN, studentPerMillion: 0, teacherRate: 0 }),
    ).toThrow();
  });
});

describe("bench:cascade section", () => {
  const loop = sectionMarkers("loop");
  const before = `# Benchmarks\n\nintro  \n\n${loop.start}\nloop body | keep\n${loop.end}\n\ntrailing text\n`;

  it("appends the section when absent and keeps the rest byte for byte", () => {
    const section = renderCascadeSection(results(0.2), { json: "bench/results/cascade.json" });
    const out = spliceSection(before, CASCADE_MARKERS, section);
    expect(out.startsWith(before.trimEnd())).toBe(true);
    expect(out.endsWith(`${CASCADE_MARKERS.end}\n`)).toBe(true);
    expect(out).toContain("$500.00");
    expect(out).toContain("$100.00");
    expect(out).toContain("80.0%");
    expect(out).toContain("**assumption**");
  });

  it("replaces only its own section on a rerun", () => {
    const first = spliceSection(
      before,
      CASCADE_MARKERS,
      renderCascadeSection(results(0.2), { json: "cascade.json" }),
    );
    const withMore = `${first}\nafter the cascade\n`;
    const second = spliceSection(
      withMore,
      CASCADE_MARKERS,
      renderCascadeSection(results(0.4), { json: "cascade.json" }),
    );
    const at = second.indexOf(CASCADE_MARKERS.start);
    const end = second.indexOf(CASCADE_MARKERS.end) + CASCADE_MARKERS.end.length;
    expect(second.slice(0, at)).toBe(withMore.slice(0, withMore.indexOf(CASCADE_MARKERS.start)));
    expect(second.slice(end)).toBe("\n\nafter the cascade\n");
    expect(second.match(/bench:cascade:start/g)).toHaveLength(1);
    expect(second).toContain("$200.00");
    expect(second).not.toContain("$100.00");
  });

  it("starts a new file with the header, and refuses a section without its markers", () => {
    expect(spliceSection(null, loop, `${loop.start}\nx\n${loop.end}`)).toBe(
      `${BENCHMARKS_HEADER.trimEnd()}\n\n${loop.start}\nx\n${loop.end}\n`,
    );
    expect(() => spliceSection(before, CASCADE_MARKERS, "no markers")).toThrow();
  });

  it("writes the JSON and splices the markdown on disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-cascade-"));
    try {
      const markdown = join(dir, "BENCHMARKS.md");
      const json = join(dir, "results", "cascade.json");
      await writeFile(markdown, before);
      await writeCascadeReport(results(0.2), { markdown, json });
      await writeCascadeReport(results(0.2), { markdown, json });
      const md = await readFile(markdown, "utf8");
      expect(md.startsWith(before.trimEnd())).toBe(true);
      expect(md.match(/bench:cascade:start/g)).toHaveLength(1);
      expect(md).toContain("](results/cascade.json)");
      expect(JSON.parse(await readFile(json, "utf8"))).toEqual(results(0.2));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
