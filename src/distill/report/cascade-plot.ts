/** Cascade accuracy against the share of requests escalated to the teacher. */
import type { CurvePoint } from "../eval/types.ts";
import { axes, niceTicks, percentTick, plotIn, rateDomain } from "./axes.ts";
import { pct, threshold } from "./format.ts";
import { centredLegend, FRAME, HEIGHT, WIDTH } from "./layout.ts";
import { CHAR_WIDTH } from "./legend.ts";
import { COLORS, dot, line, polyline, svgDocument, text } from "./svg.ts";

const isFinitePoint = (p: CurvePoint) =>
  Number.isFinite(p.teacher_rate) && Number.isFinite(p.accuracy) && Number.isFinite(p.threshold);

export function cascadeCurveSvg(
  curve: readonly CurvePoint[],
  chosen: CurvePoint | null,
  teacherAccuracy: number,
  studentAccuracy: number,
): string {
  // Sorting by teacher rate draws the curve left to right whatever order the thresholds came in.
  const points = curve.filter(isFinitePoint).sort((a, b) => a.teacher_rate - b.teacher_rate);
  const shown = chosen && isFinitePoint(chosen) ? chosen : null;
  const { domain, ticks } = rateDomain([
    ...points.map((p) => p.accuracy),
    teacherAccuracy,
    studentAccuracy,
    ...(shown ? [shown.accuracy] : []),
  ]);
  const plot = plotIn(FRAME, [0, 1], domain);
  const { left, width } = FRAME;
  const right = left + width;
  const body = axes(
    plot,
    {
      domain: [0, 1],
      ticks: niceTicks(0, 1, 5),
      format: percentTick,
      label: "Share of requests sent to the teacher",
    },
    { domain, ticks, format: percentTick, label: "Accuracy" },
  );

  const teacherStroke = { color: COLORS.vermillion, width: 1.5, dash: "6 4" };
  const studentStroke = { color: COLORS.green, width: 1.5, dash: "2 3" };
  for (const [value, stroke] of [
    [teacherAccuracy, teacherStroke],
    [studentAccuracy, studentStroke],
  ] as const) {
    if (Number.isFinite(value))
      body.push(line({ x: left, y: plot.y(value) }, { x: right, y: plot.y(value) }, stroke));
  }

  const curveStroke = { color: COLORS.blue, width: 2.5 };
  const pixels = points.map((p) => ({ x: plot.x(p.teacher_rate), y: plot.y(p.accuracy) }));
  body.push(polyline(pixels, curveStroke));
  // A lone point would otherwise be invisible, and a sparse curve reads better with its samples shown.
  if (pixels.length <= 25) for (const p of pixels) body.push(dot(p, { radius: 2.5, fill: COLORS.blue }));
  if (points.length === 0) {
    body.push(text(left + width / 2, FRAME.top + FRAME.height / 2, "No curve points", { anchor: "middle" }));
  }

  const chosenStyle = { radius: 6, fill: "#ffffff", stroke: { color: COLORS.ink, width: 2.5 } };
  if (shown)
    body.push(...chosenMarker(plot.x(shown.teacher_rate), plot.y(shown.accuracy), shown, chosenStyle));

  body.push(
    ...centredLegend([
      { kind: "line", label: "Cascade", stroke: curveStroke },
      { kind: "line", label: `Teacher only ${pct(teacherAccuracy)}`, stroke: teacherStroke },
      { kind: "line", label: `Student only ${pct(studentAccuracy)}`, stroke: studentStroke },
      ...(shown ? [{ kind: "dot" as const, label: "Chosen threshold", style: chosenStyle }] : []),
    ]),
  );

  const chosenText = shown
    ? ` The chosen threshold ${threshold(shown.threshold)} sends ${pct(shown.teacher_rate)} of requests to the teacher for ${pct(shown.accuracy)} accuracy.`
    : " No threshold was chosen.";
  return svgDocument(
    {
      width: WIDTH,
      height: HEIGHT,
      title: "Cascade accuracy vs. teacher rate",
      description:
        `Accuracy of the cascade as more requests go to the teacher, from ${points.length} thresholds. ` +
        `Teacher alone: ${pct(teacherAccuracy)}; student alone: ${pct(studentAccuracy)}.${chosenText}`,
    },
    body,
  );
}

/** The marked point with a two-line label placed where the curve is not: below-right, or mirrored near edges. */
function chosenMarker(x: number, y: number, point: CurvePoint, style: Parameters<typeof dot>[1]): string[] {
  const lines = [
    `threshold ${threshold(point.threshold)}`,
    `${pct(point.teacher_rate)} to teacher, ${pct(point.accuracy)}`,
  ];
  const labelWidth = Math.max(...lines.map((l) => [...l].length)) * CHAR_WIDTH;
  const toLeft = x + 12 + labelWidth > FRAME.left + FRAME.width;
  const above = y + 44 > FRAME.top + FRAME.height;
  const tx = toLeft ? x - 12 : x + 12;
  const ty = above ? y - 28 : y + 20;
  const anchor = toLeft ? "end" : "start";
  return [
    dot({ x, y }, style, lines.join(", ")),
    text(tx, ty, lines[0]!, { anchor, size: 12, weight: "bold", halo: true }),
    text(tx, ty + 15, lines[1]!, { anchor, size: 12, halo: true }),
  ];
}
