import { describe, expect, it } from "vitest";
import { describeDataset, formatDescription } from "./describe.ts";
import type { Dataset } from "./types.ts";

const dataset: Dataset = {
  name: "toy",
  labels: ["a", "oos"],
  outOfScopeLabel: "oos",
  train: [
    { text: "1", label: "a" },
    { text: "2", label: "oos" },
    { text: "3", label: "a" },
  ],
  val: [{ text: "4", label: "a" }],
  test: [{ text: "5", label: "oos" }],
  source: "made up",
};

describe("describeDataset", () => {
  it("counts per split and per label", () => {
    const desc = describeDataset(dataset);
    expect(desc.counts).toEqual({ train: 3, val: 1, test: 1, total: 5 });
    expect(desc.perLabel).toEqual([
      { label: "a", train: 2, val: 1, test: 0 },
      { label: "oos", train: 1, val: 0, test: 1 },
    ]);
    expect(formatDescription(desc)).toBe(
      'toy: 5 examples, 2 labels (out-of-scope: "oos"); train 3, val 1, test 1\nsource: made up',
    );
  });
});
