import { describe, expect, it } from "vitest";
import { padBags, splitRows } from "./batch.ts";

describe("padBags", () => {
  it("pads to the longest bag with 1/len weights and zero-weight padding", () => {
    const b = padBags([Int32Array.from([5, 7]), Int32Array.from([1, 2, 3, 4]), new Int32Array(0)]);
    expect(b.rows).toBe(3);
    expect(b.length).toBe(4);
    expect(Array.from(b.ids)).toEqual([5, 7, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    expect(Array.from(b.weights)).toEqual([0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0]);
  });

  it("keeps duplicate ids (counts) and uses float32 1/len", () => {
    const b = padBags([Int32Array.from([9, 9, 9])]);
    expect(Array.from(b.ids)).toEqual([9, 9, 9]);
    expect(b.weights[0]).toBe(Math.fround(1 / 3));
  });

  it("gives length 1 when every bag is empty, and handles no bags", () => {
    const b = padBags([new Int32Array(0), new Int32Array(0)]);
    expect(b.length).toBe(1);
    expect(Array.from(b.weights)).toEqual([0, 0]);
    expect(padBags([])).toMatchObject({ rows: 0, length: 1 });
  });
});

describe("splitRows", () => {
  it("views each row without copying", () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const rows = splitRows(data, 2, 3);
    expect(rows.map((r) => Array.from(r))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(rows[1]!.buffer).toBe(data.buffer);
    expect(() => splitRows(data, 4, 2)).toThrow(/4×2/);
  });
});
