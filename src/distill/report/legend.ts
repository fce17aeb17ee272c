/** A one-row legend placed under the chart title, outside the plot, so it can never hide data. */
import { type DotStyle, dot, line, rect, type Stroke, text } from "./svg.ts";

export type LegendItem =
  | { kind: "line"; label: string; stroke: Stroke; marker?: DotStyle }
  | { kind: "dot"; label: string; style: DotStyle }
  | { kind: "bar"; label: string; color: string };

const SWATCH = 24;
const GAP = 20;
/** Rough width of a 12 px sans-serif character; SVG cannot measure text, so layout estimates it. */
export const CHAR_WIDTH = 6.8;

function swatch(item: LegendItem, x: number, y: number): string {
  const mid = { x: x + SWATCH / 2, y };
  switch (item.kind) {
    case "line": {
      const drawn = line({ x, y }, { x: x + SWATCH, y }, item.stroke);
      return item.marker ? drawn + dot(mid, item.marker) : drawn;
    }
    case "dot":
      return dot(mid, item.style);
    case "bar":
      return rect(x + 4, y - 6, SWATCH - 8, 12, item.color);
  }
}

/** Lays the items out left to right starting at (x, y), where y is the swatches' vertical middle. */
export function legend(items: readonly LegendItem[], x: number, y: number): string[] {
  const out: string[] = [];
  let cursor = x;
  for (const item of items) {
    out.push(swatch(item, cursor, y));
    out.push(text(cursor + SWATCH + 6, y + 4, item.label, { size: 12 }));
    cursor += SWATCH + 6 + [...item.label].length * CHAR_WIDTH + GAP;
  }
  return out;
}

/** The estimated width legend() will take, to centre it. */
export function legendWidth(items: readonly LegendItem[]): number {
  const total = items.reduce((sum, item) => sum + SWATCH + 6 + [...item.label].length * CHAR_WIDTH + GAP, 0);
  return Math.max(0, total - GAP);
}
