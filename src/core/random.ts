/**
 * Seeded randomness for everything that must be reproducible from a seed (data splits, trainer
 * shuffles, initialisation). Math.random cannot be seeded, and a run must be repeatable from the
 * seed written in its manifest.
 */

/**
 * mulberry32: a 32-bit state PRNG, fast and good enough for shuffling and sampling (not for
 * cryptography). Returns floats in [0, 1). The same seed always yields the same sequence.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Anything indexable and writable: plain arrays and typed arrays (the trainer shuffles an Int32Array). */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/** Fisher–Yates shuffle of `array` in place, driven by `rng`; returns the same array. */
export function shuffleInPlace<T, A extends MutableArrayLike<T>>(
  array: A & MutableArrayLike<T>,
  rng: () => number,
): A {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = array[i]!;
    array[i] = array[j]!;
    array[j] = tmp;
  }
  return array;
}
