/** Plot frames, tick choice and axes for the report charts (see svg.ts for the primitives). */
import { COLORS, line, linearScale, type Point, text } from "./svg.ts";

/** The plot area inside a chart, in pixels. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface AxisSpec {
  domain: readonly [number, number];
  ticks: readonly number[];
  format: (value: number) => string;
  label: string;
}

export interface Plot {
  frame: Frame;
  x: (value: number) => number;
  y: (value: number) => number;
}

/** Pixel scales for a frame; y grows upwards like in any chart a reader expects. */
export function plotIn(
  frame: Frame,
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
): Plot {
  return {
    frame,
    x: linearScale(xDomain, [frame.left, frame.left + frame.width]),
    y: linearScale(yDomain, [frame.top + frame.height, frame.top]),
  };
}

/** 1, 2 or 5 times a power of ten: tick steps people read without effort. */
function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

/** Round numbers from lo to hi inclusive, at most about maxTicks of them. */
export function niceTicks(lo: number, hi: number, maxTicks = 6): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, maxTicks);
  // Rounding to the step's decimals avoids labels like 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
    ticks.push(Number((i * step).toFixed(decimals)));
  }
  return ticks;
}

/**
 * A domain inside [0, 1] that covers the values with a little room and starts and ends on ticks, so
 * differences of a point or two in accuracy stay visible instead of being squashed near the top.
 */
export function rateDomain(
  values: readonly number[],
  maxTicks = 6,
): { domain: [number, number]; ticks: number[] } {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { domain: [0, 1], ticks: niceTicks(0, 1, maxTicks) };
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const pad = Math.max((hi - lo) * 0.1, 0.01);
  lo = Math.max(0, lo - pad);
  hi = Math.min(1, hi + pad);
  const step = niceStep(hi - lo, maxTicks);
  lo = Math.max(0, Math.floor(lo / step) * step);
  hi = Math.min(1, Math.ceil(hi / step) * step);
  return { domain: [lo, hi], ticks: niceTicks(lo, hi, maxTicks) };
}

/** Light grid lines, tick labels and axis titles; drawn first so data sits on top. */
export function axes(plot: Plot, xAxis: AxisSpec, yAxis: AxisSpec): string[] {
  const { left, top, width, height } = plot.frame;
  const bottom = top + height;
  const right = left + width;
  const out: string[] = [];
  for (const t of yAxis.ticks) {
    const y = plot.y(t);
    out.push(line({ x: left, y }, { x: right, y }, { color: COLORS.grid }));
    out.push(text(left - 8, y + 4, yAxis.format(t), { anchor: "end", size: 12, color: COLORS.grey }));
  }
  for (const t of xAxis.ticks) {
    const x = plot.x(t);
    out.push(line({ x, y: top }, { x, y: bottom }, { color: COLORS.grid }));
    out.push(text(x, bottom + 18, xAxis.format(t), { anchor: "middle", size: 12, color: COLORS.grey }));
  }
  const axisStroke = { color: COLORS.grey, width: 1 };
  out.push(line({ x: left, y: bottom }, { x: right, y: bottom }, axisStroke));
  out.push(line({ x: left, y: top }, { x: left, y: bottom }, axisStroke));
  if (xAxis.label) out.push(text(left + width / 2, bottom + 40, xAxis.label, { anchor: "middle" }));
  const yLabelAt: Point = { x: 18, y: top + height / 2 };
  if (yAxis.label) out.push(text(yLabelAt.x, yLabelAt.y, yAxis.label, { anchor: "middle", rotate: -90 }));
  return out;
}

export function percentTick(value: number): string {
  const pct = value * 100;
  return `${Number.isInteger(Math.round(pct * 1e6) / 1e6) ? Math.round(pct) : pct.toFixed(1)}%`;
}
