import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLoopReport } from "../../bench/loop/report.ts";
import type { LoopResults, RoundResult } from "../../bench/loop/results.ts";
import { outcomeOf } from "../../bench/loop/run.ts";
import { xmlErrors } from "../../src/distill/report/xml-check.ts";

function round(n: number, rate: number, promoted: boolean): RoundResult {
  return {
    round: n,
    version: `1.0.${n + 1}`,
    promoted,
    gate: { pass: promoted, forced: n === 0, reason: promoted ? "ok" : "worse cascade accuracy" },
    hardExamples: { pulled: n * 1000, used: n * 990 },
    streamBefore: n === 0 ? null : { texts: 5000, escalated: 1000, degraded: 0, escalationRate: 0.2 },
    partial: false,
    distillSeconds: 12,
    swapSeconds: promoted ? 0.5 : null,
    test: {
      n: 100,
      teacherAccuracy: 0.85,
      studentAccuracy: 0.7 + n * 0.04,
      shipped: { teacherRate: 0.3, accuracy: 0.84, retention: 0.99 },
      atRetention: { retention: 0.99, teacherRate: rate, accuracy: 0.842 },
      curve: [
        { threshold: 0, teacher_rate: 0, accuracy: 0.7 + n * 0.04 },
        { threshold: 1, teacher_rate: 1, accuracy: 0.85 },
      ],
    },
  };
}

function results(rounds: RoundResult[]): LoopResults {
  return {
    command: "npm run bench:loop",
    date: "2026-01-01",
    machine: { nproc: 2, cpu: "cpu", node: "v20", packages: { zod: "4" }, commit: null },
    config: {
      baseFraction: 0.1,
      every: 1000,
      maxRounds: 3,
      batch: 64,
      retention: 0.99,
      routing: { kind: "teacher_rate", value: 0.25 },
      studentEpochs: 10,
      augment: 2,
      auditRate: 0.02,
      streamTexts: 13590,
    },
    rounds,
    outcome: outcomeOf(rounds, 0.4),
    wallSeconds: 100,
  };
}

describe("bench:loop report", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apprentice-loop-report-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("judges the target on the live student, not on a refused candidate", () => {
    const o = outcomeOf([round(0, 0.5, true), round(1, 0.35, true), round(2, 0.1, false)], 0.4);
    expect(o.live).toMatchObject({ round: 1, teacherRate: 0.35 });
    expect(o.candidate).toMatchObject({ round: 2, teacherRate: 0.1 });
    expect(o.relativeReduction).toBeCloseTo(0.3);
    expect(o.candidateReduction).toBeCloseTo(0.8);
    expect(o.met).toBe(false);
  });

  it("rewrites only its own section of BENCHMARKS.md, and writes a well-formed plot and the JSON", async () => {
    const paths = {
      markdown: join(dir, "B.md"),
      json: join(dir, "r/loop.json"),
      svg: join(dir, "r/loop.svg"),
    };
    await writeFile(paths.markdown, "# Benchmarks\n\n## Latency\n\nkept\n");
    const rounds = [round(0, 0.5, true), round(1, 0.25, true), round(2, 0.2, false)];
    await writeLoopReport(results(rounds), paths);
    await writeLoopReport(results(rounds), paths);
    const md = await readFile(paths.markdown, "utf8");
    expect(md.match(/bench:loop:start/g)).toHaveLength(1);
    expect(md).toContain("## Latency\n\nkept");
    expect(md).toMatch(/\| 2 \| `1\.0\.3` \| refused \|/);
    expect(md).toMatch(/live student \(`1\.0\.2`, round 1\) needs 25\.0% .* 50% lower .*\*\*met\*\*/);
    expect(md).toContain("](r/loop.svg)");
    expect(xmlErrors(await readFile(paths.svg, "utf8"))).toEqual([]);
    expect(JSON.parse(await readFile(paths.json, "utf8")).outcome.live.version).toBe("1.0.2");
  });
});
