/**
 * Tiny string builders for static SVG charts. The charts end up as files embedded in a markdown report
 * (rendered by GitHub, editors, browsers), so everything is inline: no CSS files, web fonts or scripts.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Stroke {
  color: string;
  width?: number;
  /** SVG dash pattern such as "6 4"; solid when absent. */
  dash?: string;
}

export interface TextStyle {
  anchor?: "start" | "middle" | "end";
  size?: number;
  weight?: "normal" | "bold";
  color?: string;
  /** Degrees around (x, y); used for the vertical y-axis label. */
  rotate?: number;
  /** Shown as a tooltip: carries the full text when the visible one is shortened. */
  tooltip?: string;
  /** A white outline that keeps a label readable where it crosses grid or data lines. */
  halo?: boolean;
}

/** A colour-blind-safe palette (Okabe–Ito), so series stay distinguishable for everyone. */
export const COLORS = {
  blue: "#0072B2",
  orange: "#E69F00",
  vermillion: "#D55E00",
  green: "#009E73",
  grey: "#6b7280",
  ink: "#1f2937",
  grid: "#e5e7eb",
} as const;

export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";

// Characters that XML 1.0 forbids outright; escaping cannot save them, so they are dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for both element content and double- or single-quoted attribute values. */
export function escapeXml(value: string): string {
  return value
    .replace(INVALID_XML_CHARS, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Coordinates rounded to 0.01 px: keeps files small and diffs stable without visible loss. */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? "0" : String(rounded);
}

/** Maps a numeric domain onto pixels; a degenerate domain maps everything to the range's middle. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

export interface DocumentSpec {
  width: number;
  height: number;
  /** Visible heading, also the accessible name. */
  title: string;
  /** Longer accessible description for screen readers. */
  description: string;
}

/** Wraps chart elements in a standalone, accessible SVG document with a white background and a title. */
export function svgDocument(spec: DocumentSpec, body: readonly string[]): string {
  const { width, height } = spec;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" font-family="${FONT_FAMILY}" font-size="13" fill="${COLORS.ink}">`,
    `<title id="chart-title">${escapeXml(spec.title)}</title>`,
    `<desc id="chart-desc">${escapeXml(spec.description)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 26, spec.title, { anchor: "middle", size: 16, weight: "bold" }),
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

export function text(x: number, y: number, content: string, style: TextStyle = {}): string {
  const attrs = [`x="${num(x)}"`, `y="${num(y)}"`];
  if (style.anchor && style.anchor !== "start") attrs.push(`text-anchor="${style.anchor}"`);
  if (style.size !== undefined) attrs.push(`font-size="${style.size}"`);
  if (style.weight === "bold") attrs.push(`font-weight="bold"`);
  if (style.color) attrs.push(`fill="${escapeXml(style.color)}"`);
  if (style.halo)
    attrs.push(`stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"`);
  if (style.rotate) attrs.push(`transform="rotate(${style.rotate} ${num(x)} ${num(y)})"`);
  const tooltip = style.tooltip ? `<title>${escapeXml(style.tooltip)}</title>` : "";
  return `<text ${attrs.join(" ")}>${tooltip}${escapeXml(content)}</text>`;
}

function strokeAttrs(stroke: Stroke): string {
  const dash = stroke.dash ? ` stroke-dasharray="${escapeXml(stroke.dash)}"` : "";
  return `stroke="${escapeXml(stroke.color)}" stroke-width="${stroke.width ?? 1}"${dash}`;
}

export function line(from: Point, to: Point, stroke: Stroke): string {
  return `<line x1="${num(from.x)}" y1="${num(from.y)}" x2="${num(to.x)}" y2="${num(to.y)}" ${strokeAttrs(stroke)}/>`;
}

/** An open path through the points in order; nothing when fewer than two. */
export function polyline(points: readonly Point[], stroke: Stroke): string {
  if (points.length < 2) return "";
  const coords = points.map((p) => `${num(p.x)},${num(p.y)}`).join(" ");
  return `<polyline points="${coords}" fill="none" stroke-linejoin="round" ${strokeAttrs(stroke)}/>`;
}

export interface DotStyle {
  radius: number;
  fill: string;
  stroke?: Stroke;
}

export function dot(at: Point, style: DotStyle, tooltip?: string): string {
  const outline = style.stroke ? ` ${strokeAttrs(style.stroke)}` : "";
  const open = `<circle cx="${num(at.x)}" cy="${num(at.y)}" r="${style.radius}" fill="${escapeXml(style.fill)}"${outline}`;
  return tooltip ? `${open}><title>${escapeXml(tooltip)}</title></circle>` : `${open}/>`;
}

export function rect(
  x: number,
  y: number,
  width: number,
  height: number,
  fill: string,
  tooltip?: string,
): string {
  const open = `<rect x="${num(x)}" y="${num(y)}" width="${num(Math.max(0, width))}" height="${num(Math.max(0, height))}" fill="${escapeXml(fill)}"`;
  return tooltip ? `${open}><title>${escapeXml(tooltip)}</title></rect>` : `${open}/>`;
}

/** Shortens long labels so they fit a fixed margin; the caller keeps the full text as a tooltip. */
export function truncate(value: string, maxChars: number): string {
  const chars = [...value];
  return chars.length <= maxChars ? value : `${chars.slice(0, maxChars - 1).join("")}…`;
}
