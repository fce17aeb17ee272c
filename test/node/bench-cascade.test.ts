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
import { retentionPoints, type SplitOutcomes } from "../../bench/cascade/retention.ts";
import { RETENTION_TARGETS, runStrongTeacher } from "../../bench/cascade/strong-teacher.ts";
import { BENCHMARKS_HEADER, sectionMarkers, spliceSection } from "../../bench/common/section.ts";
import { loadDataset } from "../../src/distill/data/index.ts";
import { LoadOptionsSchema } from "../../src/distill/data/options.ts";
import { loadPackage } from "../../src/distill/package/files.ts";

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
      strongTeacher: {
        targetAccuracy: 0.97,
        seed: 1,
        fitSplit: "test-hash-half",
        nFit: 52,
        nTest: 48,
        teacherAccuracy: { fit: 0.97, test: 0.9792 },
        studentAccuracy: 0.8333,
        points: [
          {
            target: 0.99,
            threshold: 0.6689,
            fit: { teacherRate: 0.258, retention: 0.9901 },
            test: {
              teacherRate: { value: 0.244, lo: 0.228, hi: 0.2605 },
              accuracy: 0.954,
              retention: { value: 0.9836, lo: 0.9742, hi: 0.9924 },
            },
            oracle: { threshold: 0.7468, teacherRate: 0.2692, retention: 0.9901 },
            cost: costPerMillion({ teacherPer1k: 0.5, studentPerMillion: 0, teacherRate: 0.244 }),
          },
          {
            target: 0.995,
            threshold: 0.9,
            fit: { teacherRate: 1, retention: 0.99 },
            test: {
              teacherRate: { value: 1, lo: 0.93, hi: 1 },
              accuracy: 0.9792,
              retention: { value: 1, lo: 1, hi: 1 },
            },
            oracle: { threshold: 0.95, teacherRate: 1, retention: 1 },
            cost: costPerMillion({ teacherPer1k: 0.5, studentPerMillion: 0, teacherRate: 1 }),
          },
        ],
      },
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

/** Outcomes from rows of [score, student right, teacher right]. */
const split = (rows: readonly [number, 0 | 1, 0 | 1][]): SplitOutcomes => ({
  scores: Float64Array.from(rows, (r) => r[0]),
  studentCorrect: Uint8Array.from(rows, (r) => r[1]),
  teacherCorrect: Uint8Array.from(rows, (r) => r[2]),
});

describe("bench:cascade retention against a strong teacher", () => {
  // 10 examples; the teacher is right on all. The student is wrong on the two least confident.
  const fit = split([
    [0.1, 0, 1],
    [0.2, 0, 1],
    [0.3, 1, 1],
    [0.4, 1, 1],
    [0.5, 1, 1],
    [0.6, 1, 1],
    [0.7, 1, 1],
    [0.8, 1, 1],
    [0.9, 1, 1],
    [0.95, 1, 1],
  ]);

  it("fits the cheapest threshold on the fit split and measures it on the other", () => {
    // On test the student is wrong at 0.35 too, which the threshold fitted on `fit` does not escalate.
    const test = split([
      [0.12, 0, 1],
      [0.18, 0, 1],
      [0.35, 0, 1],
      [0.45, 1, 1],
      [0.55, 1, 1],
      [0.65, 1, 1],
      [0.75, 1, 1],
      [0.85, 1, 1],
      [0.9, 1, 1],
      [0.99, 1, 1],
    ]);
    const [point] = retentionPoints(fit, test, [0.99]);
    expect(point!.fit).toEqual({ teacherRate: 0.2, retention: 1 });
    expect(point!.threshold).toBeGreaterThan(0.2);
    expect(point!.threshold).toBeLessThanOrEqual(0.3);
    expect(point!.test.teacherRate.value).toBeCloseTo(0.2, 12);
    expect(point!.test.retention.value).toBeCloseTo(0.9, 12);
    expect(point!.test.accuracy).toBeCloseTo(0.9, 12);
    // The oracle fits on test itself: three escalations are needed there.
    expect(point!.oracle.teacherRate).toBeCloseTo(0.3, 12);
    expect(point!.oracle.retention).toBeCloseTo(1, 12);
  });

  it("gives 95% intervals around the measured figures", () => {
    const [point] = retentionPoints(fit, fit, [0.99]);
    const { teacherRate, retention } = point!.test;
    expect(teacherRate.lo).toBeLessThan(0.2);
    expect(teacherRate.hi).toBeGreaterThan(0.2);
    expect(retention.lo).toBeLessThanOrEqual(retention.value);
    expect(retention.hi).toBeGreaterThanOrEqual(retention.value);
    const wrongOnce = split(Array.from({ length: 10 }, (_, i) => [i / 10, i === 5 ? 0 : 1, 1] as const));
    const [leaky] = retentionPoints(fit, wrongOnce, [0.99]);
    expect(leaky!.test.retention.value).toBeCloseTo(0.9, 12);
    expect(leaky!.test.retention.lo).toBeLessThan(0.9);
    expect(leaky!.test.retention.hi).toBeCloseTo(1, 12);
  });

  it("is reproducible: the bootstrap is seeded", () => {
    const test = split(
      Array.from({ length: 40 }, (_, i) => [i / 40, i % 7 === 0 ? 0 : 1, i % 11 === 0 ? 0 : 1] as const),
    );
    expect(retentionPoints(fit, test, [0.99, 0.995])).toEqual(retentionPoints(fit, test, [0.99, 0.995]));
  });

  it("asks nothing of the teacher where the student alone keeps its accuracy", () => {
    // The teacher is wrong where the student is right: retention 2 at teacher rate 0.
    const weakTeacher = split([
      [0.1, 0, 0],
      [0.2, 1, 0],
      [0.3, 1, 1],
    ]);
    const [point] = retentionPoints(weakTeacher, weakTeacher, [0.99]);
    expect(point!.fit).toEqual({ teacherRate: 0, retention: 2 });
    expect(point!.test.teacherRate.value).toBe(0);
    expect(point!.oracle.teacherRate).toBe(0);
  });
});

describe("bench:cascade against the 97% teacher, on the shipped sms-spam package", () => {
  const shipped = async () => {
    const pkg = await loadPackage("models/sms-spam");
    return { pkg, dataset: await loadDataset(LoadOptionsSchema.parse(pkg.manifest.training.data)) };
  };

  it("fits on one hash half of test when the package calibrated on val, and measures on the other", {
    timeout: 60_000,
  }, async () => {
    const { pkg, dataset } = await shipped();
    expect(pkg.manifest.calibration.fittedOn).toBe("val");
    const run = await runStrongTeacher(pkg, dataset);
    expect(run.fitSplit).toBe("test-hash-half");
    expect(run.nFit + run.nTest).toBe(dataset.test.length);
    expect(Math.min(run.nFit, run.nTest)).toBeGreaterThan(dataset.test.length / 3);
    for (const accuracy of [run.teacherAccuracy.fit, run.teacherAccuracy.test])
      expect(Math.abs(accuracy - 0.97)).toBeLessThan(0.01);
    expect(run.points.map((p) => p.target)).toEqual([...RETENTION_TARGETS]);
    for (const p of run.points) {
      expect(p.fit.retention).toBeGreaterThanOrEqual(p.target);
      expect(p.test.retention.lo).toBeLessThanOrEqual(p.test.retention.value);
      expect(p.test.retention.hi).toBeGreaterThanOrEqual(p.test.retention.value);
    }
    expect(await runStrongTeacher(pkg, dataset)).toEqual(run);
  });

  it("fits on val when the package left val alone", { timeout: 60_000 }, async () => {
    const { pkg, dataset } = await shipped();
    const calibration = { ...pkg.manifest.calibration, fittedOn: "held-out slice" };
    const run = await runStrongTeacher({ ...pkg, manifest: { ...pkg.manifest, calibration } }, dataset);
    expect(run.fitSplit).toBe("val");
    expect(run.nFit).toBe(dataset.val.length);
    expect(run.nTest).toBe(dataset.test.length);
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

  it("shows the strong-teacher rows with their intervals, oracle and cost, and keeps the shipped rows", () => {
    const section = renderCascadeSection(results(0.2), { json: "cascade.json" });
    expect(section).toContain("| cascade (shipped) |");
    expect(section).toContain("Against a 97%-accurate teacher (synthesised answers, seed 1)");
    expect(section).toContain("one half of the test split");
    expect(section).toContain("(n = 52)");
    expect(section).toContain(
      "| 99.0% | 0.6689 | 24.4% (22.8%–26.1%) | 98.4% (97.4%–99.2%) | 26.9% | 99.0% | $122.00 | 75.6% |",
    );
    expect(section).toContain("| 99.5% | 0.9000 | 100.0% (93.0%–100.0%) |");
    expect(section).toContain("2,000 resamples");
    expect(section).toContain("Not on val");
    expect(section).toContain("| oracle: teacher rate | oracle: retention |");
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
