/**
 * Turns bags of feature ids into the two dense inputs of the student/teacher ONNX graphs (see
 * OnnxSpec in manifest.ts): ids int32 [n, L] and weights float32 [n, L]. Runtime-neutral so the
 * Worker (onnxruntime-web) and the Node teacher server (onnxruntime-node) pad identically.
 */
export interface PaddedBatch {
  /** Number of rows (bags). */
  rows: number;
  /** Padded length L: the longest bag, at least 1 so no tensor has a zero dimension. */
  length: number;
  /** [rows × length], padding is id 0 (a valid row of the embedding; its weight is 0). */
  ids: Int32Array;
  /** [rows × length], 1/len for each real id (mean pooling), 0 for padding. An empty bag is all 0. */
  weights: Float32Array;
}

export function padBags(bags: readonly Int32Array[]): PaddedBatch {
  let length = 1;
  for (const bag of bags) if (bag.length > length) length = bag.length;
  const rows = bags.length;
  const ids = new Int32Array(rows * length);
  const weights = new Float32Array(rows * length);
  for (let r = 0; r < rows; r++) {
    const bag = bags[r]!;
    const offset = r * length;
    ids.set(bag, offset);
    if (bag.length > 0) weights.fill(1 / bag.length, offset, offset + bag.length);
  }
  return { rows, length, ids, weights };
}

/** Splits a row-major [rows × cols] output into one view per row (no copies). */
export function splitRows(data: Float32Array, rows: number, cols: number): Float32Array[] {
  if (data.length !== rows * cols) throw new Error(`expected ${rows}×${cols} values, got ${data.length}`);
  const out: Float32Array[] = [];
  for (let r = 0; r < rows; r++) out.push(data.subarray(r * cols, (r + 1) * cols));
  return out;
}
