/**
 * A cursor over protobuf wire format, enough to read ONNX files (core/onnx-weights.ts, core/onnx-graph.ts)
 * without protobufjs: it runs in workerd and Node alike and costs the Worker bundle a few hundred bytes.
 */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

/** A cursor over protobuf wire format. Numbers stay below 2^53, which is all an ONNX file of ours needs. */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("onnx: truncated varint");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new Error("onnx: malformed varint");
  }

  /** The bounds of a length-delimited field's payload, advancing past it. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Error("onnx: truncated field");
    this.pos = start + len;
    return [start, start + len];
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.pos += 8;
    else if (wire === WIRE_BYTES) this.bytes();
    else if (wire === WIRE_FIXED32) this.pos += 4;
    else throw new Error(`onnx: unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error("onnx: truncated field");
  }

  /** Calls `onField` for each field; the callback must consume the field or return false to skip it. */
  fields(onField: (field: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (!onField(field, wire)) this.skip(wire);
    }
  }
}
