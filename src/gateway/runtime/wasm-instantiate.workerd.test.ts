import { describe, expect, it, vi } from "vitest";
// 53 bytes: imports env.f () → i32 and exports answer() = f() + 1 (see test/fixtures/README.md).
import addOne from "../../../test/fixtures/add-one.wasm";
import {
  type Instantiate,
  installPrecompiledWasm,
  isMarker,
  WASM_MARKER,
  wrapInstantiate,
} from "./wasm-instantiate.ts";

const imports = { env: { f: () => 41 } };
const answer = (instance: WebAssembly.Instance): number => (instance.exports.answer as () => number)();

describe("isMarker", () => {
  it("recognises the marker by content, in any buffer or view", () => {
    expect(isMarker(WASM_MARKER)).toBe(true);
    expect(isMarker(WASM_MARKER.slice())).toBe(true); // a copy, as the emscripten glue makes
    expect(isMarker(WASM_MARKER.slice().buffer)).toBe(true);
    const padded = new Uint8Array(WASM_MARKER.length + 7);
    padded.set(WASM_MARKER, 3);
    expect(isMarker(padded.subarray(3, 3 + WASM_MARKER.length))).toBe(true);
    expect(isMarker(new DataView(padded.buffer, 3, WASM_MARKER.length))).toBe(true);
  });

  it("rejects other bytes", () => {
    const flipped = WASM_MARKER.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(isMarker(flipped)).toBe(false);
    expect(isMarker(WASM_MARKER.subarray(1))).toBe(false);
    expect(isMarker(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBe(false);
    expect(isMarker(new Uint8Array(0))).toBe(false);
    expect(isMarker(addOne)).toBe(false);
    expect(isMarker("apprentice:precompiled-wasm-marker:v1")).toBe(false);
  });
});

describe("wrapInstantiate", () => {
  it("instantiates the precompiled module for a copy of the marker", async () => {
    const original = vi.fn<Instantiate>((source, imp) =>
      WebAssembly.instantiate(source as WebAssembly.Module, imp),
    );
    const wrapped = wrapInstantiate(original, addOne);
    const result = await wrapped(WASM_MARKER.slice(), imports);
    expect("instance" in result).toBe(true);
    const { module, instance } = result as { module: WebAssembly.Module; instance: WebAssembly.Instance };
    expect(module).toBe(addOne);
    expect(answer(instance)).toBe(42);
    expect(original).toHaveBeenCalledWith(addOne, imports);
  });

  it("passes every other source through unchanged", async () => {
    const sentinel = { module: addOne, instance: new WebAssembly.Instance(addOne, imports) };
    const original = vi.fn<Instantiate>(async () => sentinel);
    const wrapped = wrapInstantiate(original, addOne);
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(await wrapped(bytes, imports)).toBe(sentinel);
    expect(original).toHaveBeenCalledWith(bytes, imports);
    expect(await wrapped(addOne, imports)).toBe(sentinel);
    expect(original).toHaveBeenLastCalledWith(addOne, imports);
  });
});

describe("installPrecompiledWasm", () => {
  it("workerd really refuses to compile bytes (the reason for all this)", async () => {
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); // the empty module
    await expect(WebAssembly.instantiate(bytes as unknown as WebAssembly.Module)).rejects.toThrow(
      /disallowed/i,
    );
  });

  it("patches the global so that marker bytes instantiate the module, and is idempotent", async () => {
    const marker = new TextEncoder().encode("test:add-one-marker");
    installPrecompiledWasm(addOne, marker);
    installPrecompiledWasm(addOne, marker);
    const instantiate = WebAssembly.instantiate as unknown as Instantiate;
    const result = (await instantiate(marker.slice(), imports)) as { instance: WebAssembly.Instance };
    expect(answer(result.instance)).toBe(42);
    // The module overload still works as before.
    expect(answer((await instantiate(addOne, imports)) as WebAssembly.Instance)).toBe(42);
    expect(() => installPrecompiledWasm({} as WebAssembly.Module, marker)).toThrow(/already bound/);
  });
});
