/**
 * Symmetric per-row int8 quantisation of an embedding table: row r is stored as int8 values q and one
 * float32 scale s_r = max|row| / 127, and read back as fround(q · s_r). A quarter of float32's bytes;
 * the exported graph dequantises exactly this way, so the TypeScript forward pass matches it.
 */
export interface QuantizedRows {
  values: Int8Array;
  scales: Float32Array;
}

export function quantizeRows(table: Float32Array, rows: number, dim: number): QuantizedRows {
  const values = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const offset = r * dim;
    let maxAbs = 0;
    for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(table[offset + j]!));
    const scale = Math.fround(maxAbs / 127);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let j = 0; j < dim; j++)
      values[offset + j] = Math.max(-127, Math.min(127, Math.round(table[offset + j]! / scale)));
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
