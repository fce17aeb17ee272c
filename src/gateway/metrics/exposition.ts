/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Hand-written because prom-client, the
 * usual library, is built on Node APIs and does not run in workerd; the format itself is a few lines.
 */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

export type Labels = readonly (readonly [name: string, value: string])[];

export interface Sample {
  /** Appended to the family name: "_bucket", "_sum", "_count" for histograms, "" otherwise. */
  suffix: string;
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws on a name the format does not allow: names are ours, so a bad one is a bug worth failing on. */
export function checkName(name: string, kind: "metric" | "label"): string {
  const valid = kind === "metric" ? METRIC_NAME.test(name) : LABEL_NAME.test(name) && !name.startsWith("__");
  if (!valid) throw new Error(`invalid Prometheus ${kind} name: ${JSON.stringify(name)}`);
  return name;
}

/** HELP text: backslash and line feed are escaped. */
const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** Label values: backslash, double quote and line feed are escaped. */
export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Go's ParseFloat reads what JavaScript writes, except the infinities and NaN, spelt here its way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function sampleLine(name: string, sample: Sample): string {
  const labels = sample.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
  return `${name}${sample.suffix}${labels ? `{${labels}}` : ""} ${formatValue(sample.value)}`;
}

export function writeExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(sampleLine(family.name, sample));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
