import { axes, niceTicks, percentTick, plotIn, rateDomain } from "../../src/distill/report/axes.ts";
import { pct } from "../../src/distill/report/format.ts";
import { centredLegend, FRAME, HEIGHT, WIDTH } from "../../src/distill/report/layout.ts";
import type { LegendItem } from "../../src/distill/report/legend.ts";
import { COLORS, dot, line, polyline, svgDocument } from "../../src/distill/report/svg.ts";
import type { TestFigures } from "./measure.ts";

/** One colour per round, round 0 in grey: the eye follows the curve moving left as rounds go by. */
const ROUND_COLORS = [COLORS.grey, COLORS.orange, COLORS.green, COLORS.blue, COLORS.vermillion];

export interface PlottedRound {
  round: number;
  figures: TestFigures;
  /** Refused by the gate: drawn dashed, it never served. */
  promoted: boolean;
}

/**
 * The cascade curve of each round's student on the test split (accuracy against the share sent to the
 * teacher), the target accuracy (retention × teacher accuracy) as a dashed line, and on each curve the
 * least teacher rate that reaches it: the points move left as the loop makes the student better.
 */
export function loopPlotSvg(rounds: readonly PlottedRound[]): string {
  const first = rounds[0]?.figures;
  const teacherAccuracy = first?.teacherAccuracy ?? 0;
  const retention = first?.atRetention.retention ?? 0.99;
  const target = retention * teacherAccuracy;
  const { domain, ticks } = rateDomain([...rounds.map((r) => r.figures.studentAccuracy), teacherAccuracy]);
  const plot = plotIn(FRAME, [0, 1], domain);
  const xAxis = { domain: [0, 1] as const, ticks: niceTicks(0, 1, 5), format: percentTick };
  const body = axes(
    plot,
    { ...xAxis, label: "Share of test texts sent to the teacher" },
    { domain, ticks, format: percentTick, label: "Cascade accuracy (test)" },
  );
  const left = FRAME.left;
  const right = FRAME.left + FRAME.width;
  const targetStroke = { color: COLORS.ink, width: 1.5, dash: "6 4" };
  body.push(line({ x: left, y: plot.y(target) }, { x: right, y: plot.y(target) }, targetStroke));
  const legend: LegendItem[] = [];
  rounds.forEach(({ round, figures, promoted }) => {
    const color = ROUND_COLORS[round % ROUND_COLORS.length]!;
    const stroke = promoted ? { color, width: 2 } : { color, width: 2, dash: "3 3" };
    const inView = figures.curve.filter((p) => p.accuracy >= domain[0]);
    body.push(
      polyline(
        inView.map((p) => ({ x: plot.x(p.teacher_rate), y: plot.y(p.accuracy) })),
        stroke,
      ),
    );
    const at = figures.atRetention;
    if (at.teacherRate !== null && at.accuracy !== null)
      body.push(
        dot(
          { x: plot.x(at.teacherRate), y: plot.y(at.accuracy) },
          { radius: 5, fill: color, stroke: { color: "#ffffff", width: 1.5 } },
          `round ${round}: ${pct(at.teacherRate)} to the teacher reaches ${pct(retention, 0)} retention`,
        ),
      );
    legend.push({ kind: "line", label: promoted ? `round ${round}` : `round ${round} (refused)`, stroke });
  });
  legend.push({ kind: "line", label: `${pct(retention, 0)} of teacher accuracy`, stroke: targetStroke });
  body.push(...centredLegend(legend));
  const described = rounds
    .map(
      (r) =>
        `round ${r.round}: ${r.figures.atRetention.teacherRate === null ? "not reached" : pct(r.figures.atRetention.teacherRate)}`,
    )
    .join("; ");
  return svgDocument(
    {
      width: WIDTH,
      height: HEIGHT,
      title: "Re-distillation loop: cascade curve per round",
      description: `Teacher rate needed for ${pct(retention, 0)} of the teacher's test accuracy, ${described}.`,
    },
    body,
  );
}
