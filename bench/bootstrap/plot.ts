import { axes, niceTicks, percentTick, plotIn } from "../../src/distill/report/axes.ts";
import { pct } from "../../src/distill/report/format.ts";
import { centredLegend, FRAME, HEIGHT, WIDTH } from "../../src/distill/report/layout.ts";
import type { LegendItem } from "../../src/distill/report/legend.ts";
import { COLORS, polyline, type Stroke, svgDocument } from "../../src/distill/report/svg.ts";
import type { WindowFigures } from "./windows.ts";

const SERIES: { label: string; of: (w: WindowFigures) => number; stroke: Stroke }[] = [
  { label: "teacher rate", of: (w) => w.teacherRate, stroke: { color: COLORS.orange, width: 2 } },
  { label: "served accuracy", of: (w) => w.servedAccuracy, stroke: { color: COLORS.blue, width: 2 } },
  {
    label: "teacher-only accuracy",
    of: (w) => w.teacherOnlyAccuracy,
    stroke: { color: COLORS.grey, width: 1.5, dash: "6 4" },
  },
];

/** Teacher rate and accuracy per window of the stream: the student takes over as the windows go by. */
export function bootstrapPlotSvg(windows: readonly WindowFigures[]): string {
  const last = Math.max(2, windows.length);
  const plot = plotIn(FRAME, [1, last], [0, 1]);
  const body = axes(
    plot,
    {
      domain: [1, last],
      ticks: niceTicks(1, last, 8).filter((t) => Number.isInteger(t)),
      format: String,
      label: "Window of the stream",
    },
    { domain: [0, 1], ticks: niceTicks(0, 1, 5), format: percentTick, label: "Share of the window" },
  );
  const legend: LegendItem[] = [];
  for (const s of SERIES) {
    body.push(
      polyline(
        windows.map((w) => ({ x: plot.x(w.window), y: plot.y(s.of(w)) })),
        s.stroke,
      ),
    );
    legend.push({ kind: "line", label: s.label, stroke: s.stroke });
  }
  body.push(...centredLegend(legend));
  const final = windows.at(-1);
  return svgDocument(
    {
      width: WIDTH,
      height: HEIGHT,
      title: "Bootstrap from a teacher alone: teacher rate and accuracy per window",
      description: final
        ? `${windows.length} windows; the last sent ${pct(final.teacherRate)} to the teacher at ${pct(final.servedAccuracy)} served accuracy (teacher alone ${pct(final.teacherOnlyAccuracy)}).`
        : "no windows",
    },
    body,
  );
}
