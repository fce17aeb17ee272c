import { describe, expect, it } from "vitest";
import type { EvalSummary } from "../eval/types.ts";
import { exampleEvaluation } from "./fixture.ts";
import { alignColumns, formatSummaryTable, sampleCurve } from "./table.ts";

const { summary } = exampleEvaluation();

describe("formatSummaryTable", () => {
  const table = formatSummaryTable(summary);

  it("contains the key numbers", () => {
    for (const figure of [
      "clinc150",
      "5,500",
      "96.20%",
      "90.30%",
      `${(summary.cascade.accuracy * 100).toFixed(2)}%`,
      "97.10%",
      "77.40%",
      "9.47% uncalibrated → 1.83% calibrated",
      "2.56 MiB",
      "max_prob",
      summary.cascade.threshold.toFixed(4),
      `${(summary.cascade.teacher_rate * 100).toFixed(2)}%`,
      `${(summary.cascade.retention * 100).toFixed(2)}%`,
    ]) {
      expect(table).toContain(figure);
    }
  });

  it("aligns the figures in columns", () => {
    const lines = table.split("\n");
    const header = lines.find((l) => l.includes("Teacher") && l.includes("Cascade"))!;
    const accuracy = lines.find((l) => l.startsWith("Accuracy"))!;
    expect(accuracy.length).toBe(header.length);
  });

  it("marks the chosen curve point", () => {
    const marked = table.split("\n").find((l) => l.includes("← chosen"))!;
    expect(marked).toContain(summary.cascade.threshold.toFixed(4));
  });

  it("shows a dash for a missing out-of-scope recall", () => {
    const noOos: EvalSummary = {
      ...summary,
      teacher: { ...summary.teacher, oos_recall: null },
      student: { ...summary.student, oos_recall: null },
    };
    expect(formatSummaryTable(noOos)).toMatch(/Out-of-scope recall\s+—\s+—\s+—/);
  });
});

describe("helpers", () => {
  it("pads by code points", () => {
    expect(
      alignColumns(
        [
          ["—", "1"],
          ["ab", "22"],
        ],
        ["left", "right"],
        1,
      ),
    ).toEqual(["—   1", "ab 22"]);
  });

  it("samples a few curve points including the chosen one", () => {
    const { points, chosenAt } = sampleCurve(summary.curve, summary.cascade.threshold, 5);
    expect(points.length).toBeLessThanOrEqual(6);
    expect(points[chosenAt]?.threshold).toBe(summary.cascade.threshold);
    expect(points[0]?.threshold).toBe(0);
    expect(points.at(-1)?.threshold).toBe(1);
    expect(sampleCurve([], 0.5)).toEqual({ points: [], chosenAt: -1 });
  });
});
