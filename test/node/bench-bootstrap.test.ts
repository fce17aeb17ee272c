import { describe, expect, it } from "vitest";
import { bootstrapPlotSvg } from "../../bench/bootstrap/plot.ts";
import { answerLookup, shuffledStream } from "../../bench/bootstrap/stream.ts";
import {
  type Outcome,
  pooled,
  targets,
  type WindowFigures,
  windowFigures,
} from "../../bench/bootstrap/windows.ts";
import { xmlErrors } from "../../src/distill/report/xml-check.ts";

/** `n` outcomes of which the first `calls` went to the teacher, `right` were served right, and so on. */
function outcomes(n: number, counts: { calls: number; right: number; teacherRight: number; agree: number }) {
  return Array.from(
    { length: n },
    (_, i): Outcome => ({
      gold: "g",
      served: i < counts.right ? "g" : i < counts.agree ? "t" : "x",
      teacher: i < counts.teacherRight ? "g" : "t",
      teacherCall: i < counts.calls,
    }),
  );
}

function window(
  n: number,
  version: string,
  rate: number,
  acc: number,
  teacherAcc: number,
  agreement: number,
) {
  return (before: { teacherCalls: number; texts: number }, index: number) =>
    windowFigures(
      index,
      0,
      version,
      outcomes(n, {
        calls: Math.round(rate * n),
        right: Math.round(acc * n),
        teacherRight: Math.round(teacherAcc * n),
        agree: Math.round(agreement * n),
      }),
      before,
    );
}

describe("bench:bootstrap window figures", () => {
  it("counts teacher rate, served and teacher-only accuracy, agreement and the running teacher calls", () => {
    const w = windowFigures(
      2,
      1000,
      "1.0.0",
      [
        { gold: "a", served: "a", teacher: "a", teacherCall: true },
        { gold: "a", served: "b", teacher: "b", teacherCall: false },
        { gold: "b", served: "a", teacher: "b", teacherCall: false },
        { gold: "b", served: "b", teacher: "a", teacherCall: false },
      ],
      { teacherCalls: 900, texts: 1000 },
    );
    expect(w).toEqual({
      window: 2,
      from: 1000,
      texts: 4,
      version: "1.0.0",
      teacherRate: 0.25,
      servedAccuracy: 0.5,
      teacherOnlyAccuracy: 0.5,
      agreement: 0.5,
      cumulativeTeacherCalls: 901,
      cumulativeTexts: 1004,
    });
  });

  it("an empty window is all zeros, not NaN", () => {
    const w = windowFigures(1, 0, "none", [], { teacherCalls: 0, texts: 0 });
    expect([w.teacherRate, w.servedAccuracy, w.teacherOnlyAccuracy, w.agreement]).toEqual([0, 0, 0, 0]);
  });

  it("pools windows weighted by their texts, retention against the teacher-only accuracy", () => {
    const a = window(1000, "none", 1, 0.96, 0.96, 1)({ teacherCalls: 0, texts: 0 }, 1);
    const b = window(500, "1.0.0", 0.4, 0.9, 0.96, 0.94)({ teacherCalls: 1000, texts: 1000 }, 2);
    const span = pooled([a, b]);
    expect(span.texts).toBe(1500);
    expect(span.teacherRate).toBeCloseTo(1200 / 1500, 10);
    expect(span.servedAccuracy).toBeCloseTo(1410 / 1500, 10);
    expect(span.retention).toBeCloseTo(1410 / 1440, 10);
    expect(b.cumulativeTeacherCalls).toBe(1200);
  });
});

describe("bench:bootstrap targets (reported, not asserted)", () => {
  /** Windows of 1,000 texts from their rates (what targets reads), the running calls summed. */
  const build = (specs: [string, number, number, number, number][]): WindowFigures[] => {
    let calls = 0;
    return specs.map(([version, teacherRate, servedAccuracy, teacherOnlyAccuracy, agreement], i) => {
      calls += teacherRate * 1000;
      return {
        window: i + 1,
        from: i * 1000,
        texts: 1000,
        version,
        teacherRate,
        servedAccuracy,
        teacherOnlyAccuracy,
        agreement,
        cumulativeTeacherCalls: calls,
        cumulativeTexts: (i + 1) * 1000,
      };
    });
  };

  it("met: half the calls or fewer, 98.5% of teacher-only accuracy, the last three windows cheap and close", () => {
    const t = targets(
      build([
        ["none", 1, 0.97, 0.97, 1],
        ["1.0.0", 0.3, 0.965, 0.97, 0.98],
        ["1.0.1", 0.3, 0.965, 0.97, 0.975],
        ["1.0.2", 0.3, 0.965, 0.97, 0.99],
      ]),
      0.98,
    );
    expect(t.whole.span.teacherRate).toBeCloseTo(0.475, 10);
    expect(t.whole.teacherCallsMet).toBe(true);
    expect(t.whole.accuracyMet).toBe(true);
    expect(t.lastThree?.teacherRateMet).toBe(true);
    expect(t.lastThree?.accuracyMet).toBe(true);
    expect(t.agreementOff).toEqual([]);
  });

  it("missed: too many calls, too little accuracy (2860 of 2910 = 98.3% < 98.5%), and the windows whose agreement is off by more than 1.5 points", () => {
    const t = targets(
      build([
        ["none", 1, 0.97, 0.97, 1],
        ["1.0.0", 0.8, 0.94, 0.97, 0.96],
        ["1.0.1", 0.5, 0.95, 0.97, 0.97],
      ]),
      0.98,
    );
    expect(t.whole.teacherCallsMet).toBe(false);
    expect(t.whole.accuracyMet).toBe(false);
    expect(t.lastThree?.teacherRateMet).toBe(false);
    expect(t.lastThree?.accuracyMet).toBe(false);
    // The first window has no student: its 100% agreement is not held against the target.
    expect(t.agreementOff).toEqual([2]);
  });

  it("fewer than three windows: no last-three figure", () => {
    expect(targets(build([["none", 1, 0.97, 0.97, 1]]), 0.98).lastThree).toBeNull();
  });
});

describe("bench:bootstrap stream", () => {
  const examples = Array.from({ length: 50 }, (_, i) => ({ text: `text ${i}`, label: `l${i % 3}` }));

  it("shuffles every example with a fixed seed: the same order each run, a different one per seed", () => {
    const a = shuffledStream(examples, 42);
    expect(shuffledStream(examples, 42)).toEqual(a);
    expect(shuffledStream(examples, 7)).not.toEqual(a);
    expect([...a].sort((x, y) => x.text.localeCompare(y.text))).toEqual(
      [...examples].sort((x, y) => x.text.localeCompare(y.text)),
    );
    expect(examples[0]!.text).toBe("text 0");
  });

  it("finds the teacher's answer under the featuriser's normalisation, and refuses a text it has none for", () => {
    const lookup = answerLookup([{ text: "What Is My Balance", label: "balance" }]);
    expect(lookup("what is my balance")).toBe("balance");
    expect(() => lookup("freeze my card")).toThrow(/no recorded teacher answer/);
  });

  it("plots teacher rate and accuracies as well-formed SVG", () => {
    const w = window(1000, "none", 1, 0.97, 0.97, 1)({ teacherCalls: 0, texts: 0 }, 1);
    const svg = bootstrapPlotSvg([w, { ...w, window: 2, teacherRate: 0.4 }]);
    expect(xmlErrors(svg)).toEqual([]);
    expect(svg).toContain("teacher-only accuracy");
    expect(svg).toContain("the last sent 40.0% to the teacher");
  });
});
