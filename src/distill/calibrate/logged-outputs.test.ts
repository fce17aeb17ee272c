import { describe, expect, it } from "vitest";
import { checkAligned, type LoggedOutputs, scoresOf, studentAgrees } from "./logged-outputs.ts";

const outputs = (): LoggedOutputs => ({
  probs: [Float64Array.of(0.7, 0.2, 0.1), Float64Array.of(0.1, 0.3, 0.6), Float64Array.of(0.4, 0.5, 0.1)],
  teacherLabel: Int32Array.of(0, 0, 1),
  weight: Float64Array.of(1, 2.5, 10),
});

describe("logged outputs", () => {
  it("the student agrees where its own answer is the teacher's label", () => {
    expect([...studentAgrees(outputs())]).toEqual([1, 0, 1]);
  });

  it("scores each record with the routing rule", () => {
    expect([...scoresOf(outputs(), { score: "max_prob" })]).toEqual([0.7, 0.6, 0.5]);
  });

  it("counts aligned records, and names the field that disagrees in length", () => {
    expect(checkAligned(outputs(), "fit")).toBe(3);
    const fewerLabels = { ...outputs(), teacherLabel: Int32Array.of(0, 0) };
    expect(() => checkAligned(fewerLabels, "fit")).toThrow(
      new RangeError("fit: 3 probability vectors, 2 teacher labels, 3 weights"),
    );
    const fewerWeights = { ...outputs(), weight: Float64Array.of(1, 1) };
    expect(() => checkAligned(fewerWeights, "fit")).toThrow(
      new RangeError("fit: 3 probability vectors, 3 teacher labels, 2 weights"),
    );
  });

  it("refuses a weight that is not a positive finite number", () => {
    for (const bad of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
      const weighted = { ...outputs(), weight: Float64Array.of(1, bad, 1) };
      expect(() => checkAligned(weighted, "fit")).toThrow(
        new RangeError(`fit: weight 1 is ${bad}, not a positive number`),
      );
    }
  });
});
