import { describe, expect, it } from "vitest";
import { stratifiedSplit } from "./split.ts";
import type { Example } from "./types.ts";

/** `counts[label]` examples per label, texts unique. */
function make(counts: Record<string, number>): Example[] {
  return Object.entries(counts).flatMap(([label, n]) =>
    Array.from({ length: n }, (_, i) => ({ text: `${label} ${i}`, label })),
  );
}

const countBy = (examples: Example[]) =>
  examples.reduce<Record<string, number>>((acc, e) => {
    acc[e.label] = (acc[e.label] ?? 0) + 1;
    return acc;
  }, {});

describe("stratifiedSplit", () => {
  const data = make({ a: 100, b: 50, c: 10, d: 3, e: 2, f: 1 });

  it("holds out each label in proportion, at least one per side for labels with two or more", () => {
    const { keep, held } = stratifiedSplit(data, 0.2, 1);
    expect(countBy(held)).toEqual({ a: 20, b: 10, c: 2, d: 1, e: 1 });
    expect(countBy(keep)).toEqual({ a: 80, b: 40, c: 8, d: 2, e: 1, f: 1 });
    expect(keep.length + held.length).toBe(data.length);
    expect(new Set([...keep, ...held]).size).toBe(data.length);
  });

  it("never empties a side of a label, even at extreme fractions", () => {
    const small = stratifiedSplit(data, 0.001, 1);
    const large = stratifiedSplit(data, 0.999, 1);
    expect(countBy(small.held)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(countBy(large.keep)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 });
  });

  it("is deterministic for a seed and changes with the seed", () => {
    const texts = (seed: number) => stratifiedSplit(data, 0.3, seed).held.map((e) => e.text);
    expect(texts(7)).toEqual(texts(7));
    expect(texts(7)).not.toEqual(texts(8));
  });

  it("does not depend on the order of labels in the input", () => {
    const reordered = [...data].sort((x, y) => (x.label < y.label ? 1 : x.label > y.label ? -1 : 0));
    const heldTexts = (examples: Example[]) =>
      stratifiedSplit(examples, 0.3, 3)
        .held.map((e) => e.text)
        .sort();
    expect(heldTexts(reordered)).toEqual(heldTexts(data));
  });

  it("keeps the input order on both sides", () => {
    const { keep } = stratifiedSplit(data, 0.5, 2);
    const positions = keep.map((e) => data.indexOf(e));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
  });

  it("rejects fractions outside (0, 1)", () => {
    expect(() => stratifiedSplit(data, 0, 1)).toThrow(RangeError);
    expect(() => stratifiedSplit(data, 1, 1)).toThrow(RangeError);
    expect(() => stratifiedSplit(data, Number.NaN, 1)).toThrow(RangeError);
  });
});
