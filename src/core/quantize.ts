/**
 * Symmetric per-row int8 quantisation of an embedding table: row r is stored as int8 values q and one
 * float32 scale s_r = max|row| / L, and read back as fround(q · s_r). A quarter of float32's bytes;
 * the exported graph dequantises exactly this way, so the TypeScript forward pass matches it.
 * `bits` < 8 keeps the int8 storage and graph but uses only L = 2^(bits−1) − 1 levels each side: the
 * raw size is the same, yet gzip (what a Worker upload counts) packs the narrower values to about
 * `bits` bits each. 4 bits costs the CLINC150 student no test accuracy (docs/toolkit.md).
 */
export interface QuantizedRows {
  values: Int8Array;
  scales: Float32Array;
}

export function quantizeRows(table: Float32Array, rows: number, dim: number, bits = 8): QuantizedRows {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8)
    throw new Error(`quantizeRows: bits ${bits} is not 2..8`);
  const levels = 2 ** (bits - 1) - 1;
  const values = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const offset = r * dim;
    let maxAbs = 0;
    for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(table[offset + j]!));
    const scale = Math.fround(maxAbs / levels);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let j = 0; j < dim; j++)
      values[offset + j] = Math.max(-levels, Math.min(levels, Math.round(table[offset + j]! / scale)));
  }
  return { values, scales };
}

/** Dequantises into float32 values exactly as the ONNX graph does: Cast(q) · scale in float32. */
export function dequantizeRows(
  values: ArrayLike<number>,
  scales: ArrayLike<number>,
  dim: number,
): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.fround(values[i]! * scales[Math.floor(i / dim)]!);
  return out;
}
