import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  fromFloat16Bits,
  roundToFloat16,
  toFloat16Bits,
} from "./float16.ts";

const isNaNBits = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe("float16", () => {
  it("round-trips every non-NaN bit pattern exactly", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (!isNaNBits(h) && float32ToFloat16Bits(float16BitsToFloat32(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it("decodes known values", () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });

  it("rounds to nearest, ties to even, at the edges", () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie between max and "65536" → Inf
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-1e10)).toBe(0xfc00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie → even (zero)
    expect(float32ToFloat16Bits(2 ** -25 * 1.5)).toBe(1);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(2); // tie between subnormals 1 and 2 → 2
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0);
    expect(float32ToFloat16Bits(-(2 ** -30))).toBe(0x8000);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the normals
    expect(isNaNBits(float32ToFloat16Bits(Number.NaN))).toBe(true);
  });

  it("picks the nearest float16 for any float32, ties to even", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
        const h = float32ToFloat16Bits(x);
        const v = float16BitsToFloat32(h);
        const err = Math.abs(x - v);
        for (const n of [h - 1, h + 1]) {
          if (n < 0 || n > 0xffff || isNaNBits(n) || (n & 0x7fff) === 0x7c00) continue;
          // Moving to a neighbour across ±0 is moving by one step too: compare distances only.
          const other = Math.abs(x - float16BitsToFloat32(n));
          if (other < err) return false;
          if (other === err && (h & 1) === 1 && (n & 0x7fff) !== 0) return false;
        }
        return true;
      }),
      { numRuns: 20000 },
    );
  });

  it("rounds arrays and is idempotent", () => {
    const xs = Float32Array.from([0.1, -2.71, 1e-8, 70000, 0]);
    const r = roundToFloat16(xs);
    expect(roundToFloat16(r)).toEqual(r);
    expect(fromFloat16Bits(toFloat16Bits(xs))).toEqual(r);
    expect(r[0]).toBe(0.0999755859375);
    expect(r[3]).toBe(Number.POSITIVE_INFINITY);
  });
});
