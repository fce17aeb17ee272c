/** The plain-text summary `npm run eval` prints without --json. */
import type { CurvePoint, EvalSummary } from "../eval/types.ts";
import { bytes, count, MISSING, pct, threshold } from "./format.ts";

type Align = "left" | "right";

/** Pads cells to column widths; widths count code points so "—" and "→" take one column like a letter. */
export function alignColumns(
  rows: readonly (readonly string[])[],
  align: readonly Align[],
  gap = 3,
): string[] {
  const width = (s: string) => [...s].length;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(cell));
        return align[i] === "right" ? pad + cell : cell + pad;
      })
      .join(" ".repeat(gap))
      .trimEnd(),
  );
}

/**
 * Up to `max` curve points spread evenly over the thresholds, always including the one nearest the
 * shipped threshold so the reader sees the operating point among its neighbours.
 */
export function sampleCurve(
  curve: readonly CurvePoint[],
  chosen: number,
  max = 7,
): { points: CurvePoint[]; chosenAt: number } {
  const sorted = curve.filter((p) => Number.isFinite(p.threshold)).sort((a, b) => a.threshold - b.threshold);
  if (sorted.length === 0) return { points: [], chosenAt: -1 };
  let nearest = 0;
  sorted.forEach((p, i) => {
    if (Math.abs(p.threshold - chosen) < Math.abs(sorted[nearest]!.threshold - chosen)) nearest = i;
  });
  const picked = new Set<number>([nearest]);
  const n = Math.min(max, sorted.length);
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (sorted.length - 1)) / Math.max(1, n - 1)));
  const indices = [...picked].sort((a, b) => a - b);
  return { points: indices.map((i) => sorted[i]!), chosenAt: indices.indexOf(nearest) };
}

export function formatSummaryTable(summary: EvalSummary): string {
  const { teacher, student, cascade } = summary;
  const figures = alignColumns(
    [
      ["", "Teacher", "Student", "Cascade"],
      ["Accuracy", pct(teacher.accuracy, 2), pct(student.accuracy, 2), pct(cascade.accuracy, 2)],
      ["In-scope accuracy", pct(teacher.in_scope_accuracy, 2), pct(student.in_scope_accuracy, 2), MISSING],
      ["Out-of-scope recall", pct(teacher.oos_recall, 2), pct(student.oos_recall, 2), MISSING],
    ],
    ["left", "right", "right", "right"],
  );
  const settings = alignColumns(
    [
      [
        "Student",
        "ECE",
        `${pct(student.ece_uncalibrated, 2)} uncalibrated → ${pct(student.ece, 2)} calibrated`,
      ],
      ["", "ONNX size", bytes(student.onnx_bytes)],
      ["Cascade", "Score", cascade.score],
      ["", "Threshold", threshold(cascade.threshold)],
      ["", "Teacher rate", pct(cascade.teacher_rate, 2)],
      ["", "Retention", `${pct(cascade.retention, 2)} of teacher accuracy`],
    ],
    ["left", "left", "left"],
  );
  const { points, chosenAt } = sampleCurve(summary.curve, cascade.threshold);
  const curveRows = points.map((p, i) => [
    threshold(p.threshold),
    pct(p.teacher_rate),
    pct(p.accuracy, 2),
    i === chosenAt ? "← chosen" : "",
  ]);
  const curve = alignColumns(
    [["Threshold", "To teacher", "Accuracy", ""], ...curveRows],
    ["right", "right", "right", "left"],
  );

  return [
    `Evaluation on ${summary.dataset} (${count(summary.n_test)} test examples)`,
    "",
    ...figures,
    "",
    ...settings,
    "",
    `Cascade curve (${summary.curve.length} thresholds, ${points.length} shown)`,
    ...(points.length ? curve.map((l) => `  ${l}`) : ["  (empty)"]),
    "",
  ].join("\n");
}
