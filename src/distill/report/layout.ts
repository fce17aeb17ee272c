/** The fixed canvas shared by the report charts, so they line up when shown one after another. */
import type { Frame } from "./axes.ts";
import { type LegendItem, legend, legendWidth } from "./legend.ts";

export const WIDTH = 640;
export const HEIGHT = 400;

/** Room for the title and legend above, tick labels and the axis title below, the y title on the left. */
export const FRAME: Frame = { left: 68, top: 72, width: WIDTH - 68 - 28, height: HEIGHT - 72 - 58 };

/** The legend row centred under the title. */
export function centredLegend(items: readonly LegendItem[], width = WIDTH): string[] {
  return legend(items, Math.max(8, (width - legendWidth(items)) / 2), 50);
}
