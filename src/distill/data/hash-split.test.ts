import { describe, expect, it } from "vitest";
import { hashSplit, normaliseForSplit, splitBucket } from "./hash-split.ts";

describe("hash split", () => {
  it("normalises case, width and white space before hashing", () => {
    expect(normaliseForSplit("  Free\tENTRY\n now ")).toBe("free entry now");
    expect(normaliseForSplit("ＦＲＥＥ")).toBe("free");
    expect(splitBucket("Call me  later")).toBe(splitBucket("call me later"));
  });

  it("sends duplicates to the same split and fills buckets roughly 70/10/20", () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `message number ${i}`);
    const examples = [...texts, ...texts.slice(0, 500)].map((text) => ({ text, label: "x" }));
    const splits = hashSplit(examples);
    const where = new Map<string, string>();
    for (const split of ["train", "val", "test"] as const) {
      for (const { text } of splits[split]) {
        expect(where.get(text) ?? split).toBe(split);
        where.set(text, split);
      }
    }
    const share = (n: number) => n / examples.length;
    expect(share(splits.train.length)).toBeCloseTo(0.7, 1);
    expect(share(splits.val.length)).toBeCloseTo(0.1, 1);
    expect(share(splits.test.length)).toBeCloseTo(0.2, 1);
  });
});
