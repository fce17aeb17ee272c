/** Reliability diagram: how often the student is right against how sure it says it is, per confidence bin. */
import type { ReliabilityBin } from "../eval/types.ts";
import { axes, niceTicks, type Plot, percentTick, plotIn } from "./axes.ts";
import { pct } from "./format.ts";
import { centredLegend, FRAME, HEIGHT, WIDTH } from "./layout.ts";
import { COLORS, type DotStyle, dot, line, type Point, polyline, type Stroke, svgDocument } from "./svg.ts";

interface Series {
  name: string;
  bins: readonly ReliabilityBin[];
  stroke: Stroke;
  marker: DotStyle;
}

/** Empty bins carry no information (their figures are 0 by convention), so they are not drawn. */
function usable(bins: readonly ReliabilityBin[]): ReliabilityBin[] {
  return bins
    .filter((b) => b.count > 0 && Number.isFinite(b.confidence) && Number.isFinite(b.accuracy))
    .sort((a, b) => a.confidence - b.confidence);
}

function drawSeries(plot: Plot, series: Series): string[] {
  const bins = usable(series.bins);
  const pixels: Point[] = bins.map((b) => ({ x: plot.x(b.confidence), y: plot.y(b.accuracy) }));
  return [
    polyline(pixels, series.stroke),
    ...bins.map((b, i) =>
      dot(
        pixels[i]!,
        series.marker,
        `${series.name}, confidence ${b.lo.toFixed(2)}–${b.hi.toFixed(2)}: ` +
          `${pct(b.accuracy)} right at ${pct(b.confidence)} mean confidence (${b.count} answers)`,
      ),
    ),
  ];
}

export function reliabilitySvg(
  before: readonly ReliabilityBin[],
  after: readonly ReliabilityBin[],
  eceBefore: number,
  eceAfter: number,
): string {
  // Both axes span [0, 1] so the diagonal is the true 45° line of perfect calibration.
  const plot = plotIn(FRAME, [0, 1], [0, 1]);
  const ticks = niceTicks(0, 1, 5);
  const body = axes(
    plot,
    { domain: [0, 1], ticks, format: percentTick, label: "Confidence (mean per bin)" },
    { domain: [0, 1], ticks, format: percentTick, label: "Accuracy" },
  );
  const diagonal = { color: COLORS.grey, width: 1.5, dash: "5 4" };
  body.push(line({ x: plot.x(0), y: plot.y(0) }, { x: plot.x(1), y: plot.y(1) }, diagonal));

  // Uncalibrated is drawn first and hollow so the calibrated series, the one shipped, stays on top.
  const uncalibrated: Series = {
    name: "Uncalibrated",
    bins: before,
    stroke: { color: COLORS.orange, width: 2, dash: "7 3" },
    marker: { radius: 4.5, fill: "#ffffff", stroke: { color: COLORS.orange, width: 2 } },
  };
  const calibrated: Series = {
    name: "Calibrated",
    bins: after,
    stroke: { color: COLORS.blue, width: 2.5 },
    marker: { radius: 4, fill: COLORS.blue },
  };
  body.push(...drawSeries(plot, uncalibrated), ...drawSeries(plot, calibrated));

  body.push(
    ...centredLegend([
      {
        kind: "line",
        label: `Uncalibrated (ECE ${pct(eceBefore)})`,
        stroke: uncalibrated.stroke,
        marker: uncalibrated.marker,
      },
      {
        kind: "line",
        label: `Calibrated (ECE ${pct(eceAfter)})`,
        stroke: calibrated.stroke,
        marker: calibrated.marker,
      },
      { kind: "line", label: "Perfect calibration", stroke: diagonal },
    ]),
  );

  return svgDocument(
    {
      width: WIDTH,
      height: HEIGHT,
      title: "Reliability of the student's confidence",
      description:
        `Accuracy against mean confidence per bin, before and after calibration. ` +
        `Expected calibration error: ${pct(eceBefore)} uncalibrated, ${pct(eceAfter)} calibrated.`,
    },
    body,
  );
}
