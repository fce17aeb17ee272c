/** Number formatting shared by the charts, the markdown report and the terminal table, so they agree. */

/** Shown for figures that do not exist (no out-of-scope label) or are not finite. */
export const MISSING = "—";

/** A rate in [0, 1] as a percentage, e.g. 0.9123 → "91.2%". */
export function pct(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return `${(value * 100).toFixed(decimals)}%`;
}

/** Thresholds are compared against scores in [0, 1] that often bunch near 1, hence four decimals. */
export function threshold(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : MISSING;
}

/** Binary units, as the ONNX file size is what a Worker bundle limit counts. */
export function bytes(value: number): string {
  if (!Number.isFinite(value) || value < 0) return MISSING;
  if (value < 1024) return `${value} B`;
  const units = ["KiB", "MiB", "GiB"];
  let scaled = value / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Integers with thousands separators, independent of the machine's locale. */
export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : MISSING;
}
