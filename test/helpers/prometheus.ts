/**
 * A strict reader of the Prometheus text exposition format 0.0.4, written for the tests from the
 * format's description (https://prometheus.io/docs/instrumenting/exposition_formats/), independently of
 * the gateway's writer, so a test can check that what /metrics says parses back to what was counted.
 * It throws on anything the format does not allow, and checks histograms for consistency.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function unescapeText(text: string, allowQuote: boolean): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && allowQuote) return '"';
    throw new Error(`bad escape \\${c}`);
  });
}

function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/** `{a="x",b="y"}` at the start of `rest`: the labels and what follows. */
function parseLabels(rest: string): { labels: Record<string, string>; after: string } {
  const labels: Record<string, string> = {};
  let s = rest.slice(1);
  while (!s.startsWith("}")) {
    const name = LABEL.exec(s)?.[0];
    if (!name) throw new Error(`bad label name at ${s}`);
    if (name in labels) throw new Error(`repeated label ${name}`);
    s = s.slice(name.length);
    if (!s.startsWith('="')) throw new Error(`expected =" after ${name}`);
    s = s.slice(2);
    let i = 0;
    while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
    if (i >= s.length) throw new Error("unterminated label value");
    const raw = s.slice(0, i);
    if (raw.includes("\n")) throw new Error("raw line feed in a label value");
    labels[name] = unescapeText(raw, true);
    s = s.slice(i + 1);
    if (s.startsWith(",")) s = s.slice(1);
    else if (!s.startsWith("}")) throw new Error(`expected , or } at ${s}`);
  }
  return { labels, after: s.slice(1) };
}

function parseSample(line: string): ParsedSample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`bad sample line: ${line}`);
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) ({ labels, after: rest } = parseLabels(rest));
  const fields = rest.trim().split(/ +/);
  if (!rest.startsWith(" ") || fields.length < 1 || fields.length > 2) throw new Error(`bad sample: ${line}`);
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp: ${line}`);
  return { name, labels, value: parseValue(fields[0]!) };
}

const familyOf = (sample: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined => {
  for (const suffix of ["", "_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, sample.length - suffix.length));
    if (family && (suffix === "" || family.type === "histogram" || family.type === "summary")) return family;
  }
  return undefined;
};

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | undefined;
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([^ ]+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, body] = meta as unknown as [string, "HELP" | "TYPE", string, string];
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) throw new Error(`bad metric name ${name}`);
      let family = families.get(name);
      if (family && family !== current) throw new Error(`${name}: its lines are not together`);
      if (!family) {
        family = { name, help: "", type: "untyped", samples: [] };
        families.set(name, family);
      }
      if (family.samples.length > 0) throw new Error(`${name}: ${kind} after its samples`);
      if (kind === "HELP") family.help = unescapeText(body, false);
      else if (TYPES.has(body)) family.type = body as ParsedFamily["type"];
      else throw new Error(`${name}: bad type ${body}`);
      current = family;
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = parseSample(line);
    const family = familyOf(sample.name, families);
    if (!family || family !== current) throw new Error(`${sample.name}: sample outside its family`);
    const key = JSON.stringify([sample.name, Object.entries(sample.labels).sort()]);
    if (seen.has(key)) throw new Error(`duplicate sample ${key}`);
    seen.add(key);
    family.samples.push(sample);
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** Buckets cumulative and ending in le="+Inf", which equals _count, per label set. */
function checkHistogram(family: ParsedFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le), s.value]);
    } else if (s.name.endsWith("_count")) entry.count = s.value;
    else if (s.name.endsWith("_sum")) entry.sum = s.value;
  }
  for (const [key, { buckets, count, sum }] of series) {
    const where = `${family.name}${key}`;
    if (count === undefined || sum === undefined) throw new Error(`${where}: _count or _sum missing`);
    if (buckets.at(-1)?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`);
    buckets.forEach(([le, n], i) => {
      if (i > 0 && (le <= buckets[i - 1]![0] || n < buckets[i - 1]![1]))
        throw new Error(`${where}: buckets not increasing`);
    });
    if (buckets.at(-1)![1] !== count) throw new Error(`${where}: +Inf bucket differs from _count`);
  }
}

/** The sum of the samples with this name whose labels include these; 0 when there are none. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matches = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matches.reduce((sum, s) => sum + s.value, 0);
}
