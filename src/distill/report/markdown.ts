/** Renders models/<name>/report.md and its charts. Pure: writing them is write.ts's job. */
import type { CurvePoint, EvalDetails, EvalSummary } from "../eval/types.ts";
import { bytes, count, MISSING, pct, threshold } from "./format.ts";
import { mdCode, mdImage, mdTable, mdText } from "./md.ts";
import { cascadeCurveSvg, reliabilitySvg, worstClassesSvg } from "./plots.ts";
import { worstClasses } from "./rank.ts";

/** Paths of the charts, relative to report.md. */
export const REPORT_FILES = {
  cascade: "report/cascade.svg",
  reliability: "report/reliability.svg",
  worstClasses: "report/worst-classes.svg",
} as const;

const WORST_K = 15;

export interface RenderedReport {
  markdown: string;
  /** Relative path (from report.md's folder) → file content. */
  files: Record<string, string>;
}

/**
 * The shipped operating point: the curve point the details point at, or else the summary's own cascade
 * figures, which describe the same threshold even when it fell between the curve's samples.
 */
export function chosenPoint(summary: EvalSummary, details: EvalDetails): CurvePoint | null {
  const fromCurve = details.chosenIndex >= 0 ? summary.curve[details.chosenIndex] : undefined;
  if (fromCurve) return fromCurve;
  const { threshold: t, teacher_rate, accuracy } = summary.cascade;
  return [t, teacher_rate, accuracy].every(Number.isFinite) ? { threshold: t, teacher_rate, accuracy } : null;
}

function headlineTable(s: EvalSummary): string {
  const pair = (teacher: number | null, student: number | null) => `${pct(teacher, 2)} / ${pct(student, 2)}`;
  const rows: [string, string][] = [
    ["Teacher accuracy", pct(s.teacher.accuracy, 2)],
    ["Student accuracy", pct(s.student.accuracy, 2)],
    ["Cascade accuracy", `**${pct(s.cascade.accuracy, 2)}**`],
    ["In-scope accuracy (teacher / student)", pair(s.teacher.in_scope_accuracy, s.student.in_scope_accuracy)],
    ["Out-of-scope recall (teacher / student)", pair(s.teacher.oos_recall, s.student.oos_recall)],
    [
      "Student ECE, uncalibrated → calibrated",
      `${pct(s.student.ece_uncalibrated, 2)} → ${pct(s.student.ece, 2)}`,
    ],
    ["Student ONNX size", bytes(s.student.onnx_bytes)],
    ["Cascade score", mdCode(s.cascade.score)],
    ["Threshold", threshold(s.cascade.threshold)],
    ["Teacher rate", pct(s.cascade.teacher_rate, 2)],
    ["Retention (cascade ÷ teacher accuracy)", pct(s.cascade.retention, 2)],
  ];
  return mdTable(["Figure", "Value"], rows, ["left", "right"]);
}

function worstTable(details: EvalDetails): string {
  const rows = worstClasses(details.classes, WORST_K).map((c) => [
    mdCode(c.label),
    count(c.support),
    pct(c.precision),
    pct(c.recall),
    pct(c.f1),
    c.confusedWith ? `${mdCode(c.confusedWith.label)} (${count(c.confusedWith.count)})` : MISSING,
  ]);
  if (rows.length === 0) return "_No per-class figures._";
  return mdTable(["Class", "Support", "Precision", "Recall", "F1", "Most confused with"], rows, [
    "left",
    "right",
    "right",
    "right",
    "right",
    "left",
  ]);
}

export function renderReport(
  summary: EvalSummary,
  details: EvalDetails,
  sections: readonly string[] = [],
): RenderedReport {
  const chosen = chosenPoint(summary, details);
  const files: Record<string, string> = {
    [REPORT_FILES.cascade]: cascadeCurveSvg(
      summary.curve,
      chosen,
      summary.teacher.accuracy,
      summary.student.accuracy,
    ),
    [REPORT_FILES.reliability]: reliabilitySvg(
      details.reliabilityBefore,
      details.reliabilityAfter,
      summary.student.ece_uncalibrated,
      summary.student.ece,
    ),
    [REPORT_FILES.worstClasses]: worstClassesSvg(details.classes, WORST_K),
  };
  const { cascade } = summary;
  const markdown = [
    `# ${mdText(details.modelName)} ${mdText(details.modelVersion)}: evaluation report`,
    "",
    `Student **${mdText(details.modelName)}** version ${mdText(details.modelVersion)}, evaluated on the test split ` +
      `of ${mdText(summary.dataset)} (${count(summary.n_test)} examples).`,
    "",
    "## Headline figures",
    "",
    headlineTable(summary),
    "",
    "## Cascade",
    "",
    `Requests whose ${mdCode(cascade.score, false)} score is below ${threshold(cascade.threshold)} go to the teacher: ` +
      `${pct(cascade.teacher_rate)} of them, for ${pct(cascade.accuracy)} accuracy ` +
      `(teacher alone ${pct(summary.teacher.accuracy)}, student alone ${pct(summary.student.accuracy)}).`,
    "",
    mdImage("Cascade accuracy against the share of requests sent to the teacher", REPORT_FILES.cascade),
    "",
    "## Calibration",
    "",
    `Expected calibration error of the student: ${pct(summary.student.ece_uncalibrated, 2)} before, ` +
      `${pct(summary.student.ece, 2)} after calibration. Points on the diagonal are perfectly calibrated.`,
    "",
    mdImage("Reliability diagram before and after calibration", REPORT_FILES.reliability),
    "",
    `## Worst ${WORST_K} classes`,
    "",
    mdImage("The student's worst classes by F1", REPORT_FILES.worstClasses),
    "",
    worstTable(details),
    "",
    ...sections,
  ].join("\n");
  return { markdown, files };
}
