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

/**
 * Labelled counters and histograms held in memory: an isolate's own figures, rendered as above.
 * Label values are given in the order of the instrument's label names.
 */
type Values = readonly string[];

abstract class Instrument<S> {
  private readonly series = new Map<string, { values: Values; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    checkName(name, "metric");
    for (const label of labelNames) checkName(label, "label");
  }

  protected stateOf(values: Values, fresh: () => S): S {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.name}: ${values.length} label values for ${this.labelNames.length} labels`);
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values: [...values], state: fresh() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected labels(values: Values): [string, string][] {
    return this.labelNames.map((name, i) => [name, values[i]!]);
  }

  protected entries(): { values: Values; state: S }[] {
    return [...this.series.values()];
  }
}

export class Counter extends Instrument<{ value: number }> {
  inc(values: Values, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (got ${by})`);
    this.stateOf(values, () => ({ value: 0 })).value += by;
  }

  family(): MetricFamily {
    const samples = this.entries().map(
      ({ values, state }): Sample => ({ suffix: "", labels: this.labels(values), value: state.value }),
    );
    return { name: this.name, help: this.help, type: "counter", samples };
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Instrument<HistogramState> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    if (labelNames.includes("le")) throw new Error(`${name}: "le" is the bucket label`);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(values: Values, value: number): void {
    this.observeAll(values, [value]);
  }

  /** Many observations of one series: its key is built once, not once per observation. */
  observeAll(values: Values, observations: Iterable<number>): void {
    const state = this.stateOf(values, () => ({
      counts: new Array<number>(this.buckets.length + 1).fill(0),
      sum: 0,
      count: 0,
    }));
    for (const value of observations) {
      const index = this.buckets.findIndex((upper) => value <= upper);
      state.counts[index === -1 ? this.buckets.length : index]!++;
      state.sum += value;
      state.count++;
    }
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    for (const { values, state } of this.entries()) {
      const labels: Labels = this.labels(values);
      let cumulative = 0;
      [...this.buckets, Number.POSITIVE_INFINITY].forEach((upper, i) => {
        cumulative += state.counts[i]!;
        samples.push({
          suffix: "_bucket",
          labels: [...labels, ["le", formatValue(upper)]],
          value: cumulative,
        });
      });
      samples.push({ suffix: "_sum", labels, value: state.sum });
      samples.push({ suffix: "_count", labels, value: state.count });
    }
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}
