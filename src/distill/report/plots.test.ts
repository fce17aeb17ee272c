import { describe, expect, it } from "vitest";
import type { ClassFigures, CurvePoint, ReliabilityBin } from "../eval/types.ts";
import { exampleEvaluation } from "./fixture.ts";
import { cascadeCurveSvg, reliabilitySvg, worstClassesSvg } from "./plots.ts";
import { xmlErrors } from "./xml-check.ts";

const NASTY = `a<b&"c"`;
const NASTY_ESCAPED = "a&lt;b&amp;&quot;c&quot;";
const { summary, details } = exampleEvaluation();

function cls(label: string, f1: number): ClassFigures {
  return { label, support: 10, recall: f1, precision: f1, f1, confusedWith: { label: NASTY, count: 2 } };
}

describe("cascadeCurveSvg", () => {
  const chosen = summary.curve[details.chosenIndex]!;
  const svg = cascadeCurveSvg(summary.curve, chosen, summary.teacher.accuracy, summary.student.accuracy);

  it("is well-formed", () => expect(xmlErrors(svg)).toEqual([]));

  it("marks and labels the chosen point", () => {
    expect(svg).toContain(`threshold ${chosen.threshold.toFixed(4)}`);
    expect(svg).toContain(`${(chosen.teacher_rate * 100).toFixed(1)}% to teacher`);
    expect(svg).toContain("Chosen threshold");
  });

  it("shows both reference accuracies", () => {
    expect(svg).toContain("Teacher only 96.2%");
    expect(svg).toContain("Student only 90.3%");
  });

  it("copes with no curve, no chosen point and non-finite values", () => {
    const odd: CurvePoint[] = [{ threshold: Number.NaN, teacher_rate: 0.5, accuracy: 0.9 }];
    for (const s of [cascadeCurveSvg([], null, 0.9, 0.8), cascadeCurveSvg(odd, odd[0]!, Number.NaN, 0.8)]) {
      expect(xmlErrors(s)).toEqual([]);
      expect(s).not.toContain("NaN");
      expect(s).not.toContain("Chosen threshold");
    }
  });
});

describe("reliabilitySvg", () => {
  const svg = reliabilitySvg(details.reliabilityBefore, details.reliabilityAfter, 0.0947, 0.0183);

  it("is well-formed and shows ECE as percentages", () => {
    expect(xmlErrors(svg)).toEqual([]);
    expect(svg).toContain("Uncalibrated (ECE 9.5%)");
    expect(svg).toContain("Calibrated (ECE 1.8%)");
  });

  it("draws one point per non-empty bin and series", () => {
    const nonEmpty = (bins: ReliabilityBin[]) => bins.filter((b) => b.count > 0).length;
    const expected = nonEmpty(details.reliabilityBefore) + nonEmpty(details.reliabilityAfter);
    expect(svg.match(/<circle /g)?.length).toBe(expected + 2); // + the two legend markers
  });

  it("handles empty bins", () => {
    const empty: ReliabilityBin = { lo: 0, hi: 1, count: 0, confidence: 0, accuracy: 0 };
    expect(xmlErrors(reliabilitySvg([empty], [], 0, 0))).toEqual([]);
  });
});

describe("worstClassesSvg", () => {
  it("shows the k worst by F1, worst first, with names escaped", () => {
    const classes = [cls("good", 0.95), cls(NASTY, 0.2), cls("meh", 0.6), cls("bad", 0.4)];
    const svg = worstClassesSvg(classes, 3);
    expect(xmlErrors(svg)).toEqual([]);
    expect(svg).toContain(`>${NASTY_ESCAPED}</text>`);
    expect(svg).not.toContain(NASTY);
    expect(svg).not.toContain(">good<");
    const order = [NASTY_ESCAPED, ">bad<", ">meh<"].map((s) => svg.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("grows taller for many classes and shortens very long names", () => {
    const many = Array.from({ length: 30 }, (_, i) => cls(`class_${i}_${"x".repeat(40)}`, i / 30));
    const svg = worstClassesSvg(many, 30);
    expect(xmlErrors(svg)).toEqual([]);
    expect(Number(svg.match(/height="(\d+)"/)?.[1])).toBeGreaterThan(400);
    expect(svg).toContain("…");
  });

  it("renders an empty chart", () => expect(xmlErrors(worstClassesSvg([]))).toEqual([]));
});
