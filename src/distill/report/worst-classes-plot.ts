/** Horizontal bars of the student's worst classes by F1, names on the left. */
import type { ClassFigures } from "../eval/types.ts";
import { axes, niceTicks, percentTick, plotIn } from "./axes.ts";
import { pct } from "./format.ts";
import { centredLegend, HEIGHT, WIDTH } from "./layout.ts";
import { CHAR_WIDTH } from "./legend.ts";
import { worstClasses } from "./rank.ts";
import { COLORS, rect, svgDocument, text, truncate } from "./svg.ts";

const ROW = 22;
const MAX_LABEL_CHARS = 30;
const TOP = 72;
const BOTTOM = 58;
/** Room right of the 100% line for "100.0% (recall 100.0%)" at 12 px. */
const VALUE_ROOM = 150;

export function worstClassesSvg(classes: readonly ClassFigures[], k = 15): string {
  const rows = worstClasses(classes, k);
  const labels = rows.map((c) => truncate(c.label, MAX_LABEL_CHARS));
  // The left margin follows the longest shown name, within bounds, so short names do not waste width.
  const longest = Math.max(0, ...labels.map((l) => [...l].length));
  const left = Math.min(250, Math.max(90, 16 + longest * CHAR_WIDTH));
  // The canvas grows with k instead of squeezing rows below a readable height.
  const height = Math.max(HEIGHT, TOP + BOTTOM + rows.length * ROW);
  // The right margin always holds the value labels, so they sit after every bar in the same style.
  const frame = { left, top: TOP, width: WIDTH - left - VALUE_ROOM, height: height - TOP - BOTTOM };
  const plot = plotIn(frame, [0, 1], [0, 1]);
  const body = axes(
    plot,
    { domain: [0, 1], ticks: niceTicks(0, 1, 5), format: percentTick, label: "F1 on the test split" },
    { domain: [0, 1], ticks: [], format: percentTick, label: "" },
  );

  const rowHeight = rows.length > 0 ? frame.height / rows.length : 0;
  const barHeight = Math.min(16, rowHeight * 0.7);
  rows.forEach((c, i) => {
    const mid = frame.top + rowHeight * (i + 0.5);
    const f1 = Number.isFinite(c.f1) ? Math.min(1, Math.max(0, c.f1)) : 0;
    const end = plot.x(f1);
    const summary = `${c.label}: F1 ${pct(c.f1)}, recall ${pct(c.recall)}, precision ${pct(c.precision)}, ${c.support} examples`;
    body.push(text(left - 8, mid + 4, labels[i]!, { anchor: "end", size: 12, tooltip: c.label }));
    body.push(rect(left, mid - barHeight / 2, end - left, barHeight, COLORS.blue, summary));
    const value = `${pct(c.f1)} (recall ${pct(c.recall)})`;
    body.push(text(end + 6, mid + 4, value, { size: 12, halo: true }));
  });
  if (rows.length === 0) {
    body.push(text(left + frame.width / 2, frame.top + frame.height / 2, "No classes", { anchor: "middle" }));
  }
  body.push(...centredLegend([{ kind: "bar", label: "F1 (recall in brackets)", color: COLORS.blue }]));

  return svgDocument(
    {
      width: WIDTH,
      height,
      title: `The student's ${rows.length} worst classes by F1`,
      description: rows.length
        ? `Lowest F1 first: ${rows.map((c) => `${c.label} ${pct(c.f1)}`).join("; ")}.`
        : "No classes to show.",
    },
    body,
  );
}
