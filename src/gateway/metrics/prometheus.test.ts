import { describe, expect, it } from "vitest";
import { parseExposition, sampleValue } from "../../../test/helpers/prometheus.ts";
import {
  Counter,
  escapeLabelValue,
  formatValue,
  Histogram,
  type MetricFamily,
  writeExposition,
} from "./prometheus.ts";

/** The hand-written Prometheus writer, read back by an independent strict parser (test/helpers). */
describe("Prometheus text exposition 0.0.4", () => {
  it("writes HELP, TYPE and samples that parse back to the same values", () => {
    const requests = new Counter("demo_requests_total", "Requests.", ["model", "source"]);
    requests.inc(["m", "student"], 3);
    requests.inc(["m", "teacher"]);
    requests.inc(["m", "student"]);
    const text = writeExposition([requests.family()]);
    expect(text).toBe(
      [
        "# HELP demo_requests_total Requests.",
        "# TYPE demo_requests_total counter",
        'demo_requests_total{model="m",source="student"} 4',
        'demo_requests_total{model="m",source="teacher"} 1',
        "",
      ].join("\n"),
    );
    const parsed = parseExposition(text);
    expect(parsed.get("demo_requests_total")).toMatchObject({ type: "counter", help: "Requests." });
    expect(sampleValue(parsed, "demo_requests_total", { source: "student" })).toBe(4);
  });

  it("escapes label values (backslash, double quote, line feed) and HELP text, and they read back", () => {
    const nasty = 'a "quoted" \\ path\nand a second line, {braces}=, commas';
    expect(escapeLabelValue('x"y\\z\n')).toBe('x\\"y\\\\z\\n');
    const family: MetricFamily = {
      name: "demo_info",
      help: "Help with a \\ backslash\nand a line feed.",
      type: "gauge",
      samples: [{ suffix: "", labels: [["model", nasty]], value: 1 }],
    };
    const text = writeExposition([family]);
    expect(text.split("\n")).toHaveLength(4); // nothing raw leaked a line feed
    const parsed = parseExposition(text).get("demo_info")!;
    expect(parsed.help).toBe(family.help);
    expect(parsed.samples[0]!.labels.model).toBe(nasty);
  });

  it("spells infinities and NaN as Go does, and other numbers as JavaScript does", () => {
    expect([Infinity, -Infinity, Number.NaN, 0.25, 1e-7, 3].map(formatValue)).toEqual([
      "+Inf",
      "-Inf",
      "NaN",
      "0.25",
      "1e-7",
      "3",
    ]);
  });

  it("histograms: cumulative buckets up to +Inf, _sum and _count per label set", () => {
    const h = new Histogram("demo_seconds", "Time.", ["model"], [0.5, 0.1, 1]);
    for (const v of [0.05, 0.1, 0.3, 2, 0.7]) h.observe(["a"], v);
    h.observe(["b"], 0.2);
    const parsed = parseExposition(writeExposition([h.family()]));
    const le = (model: string, bound: string) =>
      sampleValue(parsed, "demo_seconds_bucket", { model, le: bound });
    expect(["0.1", "0.5", "1", "+Inf"].map((b) => le("a", b))).toEqual([2, 3, 4, 5]); // 0.1 counts in le="0.1"
    expect(sampleValue(parsed, "demo_seconds_count", { model: "a" })).toBe(5);
    expect(sampleValue(parsed, "demo_seconds_sum", { model: "a" })).toBeCloseTo(3.15, 12);
    expect(le("b", "+Inf")).toBe(1);
  });

  it("families without samples still say what they are; an empty exposition is empty", () => {
    const c = new Counter("demo_total", "Nothing yet.", ["model"]);
    expect(parseExposition(writeExposition([c.family()])).get("demo_total")).toMatchObject({
      type: "counter",
      samples: [],
    });
    expect(writeExposition([])).toBe("");
  });

  it("refuses what the format does not allow: bad names, wrong label counts, counters going down", () => {
    expect(() => new Counter("bad-name", "x", [])).toThrow(/metric name/);
    expect(() => new Counter("ok_total", "x", ["bad label"])).toThrow(/label name/);
    expect(() => new Counter("ok_total", "x", ["__reserved"])).toThrow(/label name/);
    expect(() => new Histogram("ok", "x", ["le"], [1])).toThrow(/le/);
    const c = new Counter("ok_total", "x", ["a"]);
    expect(() => c.inc(["1", "2"])).toThrow(/label values/);
    expect(() => c.inc(["1"], -1)).toThrow(/only goes up/);
  });

  it("the test parser is strict: it rejects malformed expositions", () => {
    for (const bad of [
      "x 1", // no trailing line feed
      'x{a="1} 1\n', // unterminated value
      'x{a="\\q"} 1\n', // unknown escape
      "x one\n",
      "# TYPE x counter\n# TYPE y counter\nx 1\n", // x's sample outside its family
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ])
      expect(() => parseExposition(bad), bad).toThrow();
  });
});
