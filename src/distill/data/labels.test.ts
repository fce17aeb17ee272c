import { describe, expect, it } from "vitest";
import { DataError } from "./errors.ts";
import { checkHeldOutLabels, labelList } from "./labels.ts";

const ex = (label: string) => ({ text: `t ${label}`, label });

describe("labelList", () => {
  it("sorts by code unit and puts the out-of-scope label last", () => {
    expect(labelList(["b", "oos", "B", "a", "b"].map(ex), "oos")).toEqual(["B", "a", "b", "oos"]);
    expect(labelList(["b", "a"].map(ex), "oos")).toEqual(["a", "b"]);
    expect(labelList(["oos", "a"].map(ex), null)).toEqual(["a", "oos"]);
  });
});

describe("checkHeldOutLabels", () => {
  it("accepts held-out labels seen in train", () => {
    const splits = { train: ["a", "b"].map(ex), val: [ex("a")], test: [ex("b")] };
    expect(() => checkHeldOutLabels(splits, { val: "v.csv", test: "t.csv" })).not.toThrow();
  });

  it("names the file and the unseen labels", () => {
    const splits = { train: [ex("a")], val: [ex("a")], test: [ex("zz"), ex("c")] };
    expect(() => checkHeldOutLabels(splits, { val: "v.csv", test: "t.csv" })).toThrow(
      new DataError("t.csv", null, 'test has label(s) "c", "zz" that never occur in train'),
    );
  });
});
