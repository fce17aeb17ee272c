/**
 * workerd refuses to compile WebAssembly from bytes at run time ("Wasm code generation disallowed by
 * embedder"), but onnxruntime-web's emscripten glue always calls `WebAssembly.instantiate(bytes, imports)`.
 * So we hand the glue a small marker as its `wasmBinary`, and wrap `WebAssembly.instantiate` so that,
 * when it sees those marker bytes, it instantiates the module wrangler precompiled for us (CompiledWasm
 * rule) instead. The glue copies `wasmBinary` before passing it on, so the marker is recognised by
 * content, never by identity. Every other call goes to the original function untouched.
 */

/** Not a WebAssembly binary (those start with "\0asm"), so no real module can be mistaken for it. */
export const WASM_MARKER: Uint8Array = new TextEncoder().encode("apprentice:precompiled-wasm-marker:v1");

/** What the bytes overload resolves to (workers-types only declares the module overload). */
export interface InstantiatedSource {
  module: WebAssembly.Module;
  instance: WebAssembly.Instance;
}

/** Both overloads of WebAssembly.instantiate as one signature. */
export type Instantiate = (
  source: BufferSource | WebAssembly.Module,
  imports?: WebAssembly.Imports,
) => Promise<InstantiatedSource | WebAssembly.Instance>;

function asBytes(source: unknown): Uint8Array | null {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return null;
}

/** True when `source` holds exactly the bytes of `marker` (whatever the buffer or view type). */
export function isMarker(source: unknown, marker: Uint8Array = WASM_MARKER): boolean {
  const bytes = asBytes(source);
  if (!bytes || bytes.length !== marker.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== marker[i]) return false;
  return true;
}

/** `original`, except that sources `lookup` knows instantiate the module it returns. */
function wrapWithLookup(
  original: Instantiate,
  lookup: (source: unknown) => WebAssembly.Module | undefined,
): Instantiate {
  return async (source, imports) => {
    const module = lookup(source);
    if (!module) return original(source, imports);
    // Answer in the shape of the bytes overload, which is what the caller used.
    const instance = (await original(module, imports)) as WebAssembly.Instance;
    return { module, instance };
  };
}

/** `original` with one change: `marker` bytes instantiate `module`. */
export function wrapInstantiate(
  original: Instantiate,
  module: WebAssembly.Module,
  marker: Uint8Array = WASM_MARKER,
): Instantiate {
  return wrapWithLookup(original, (source) => (isMarker(source, marker) ? module : undefined));
}

/** Precompiled modules installed on the global WebAssembly.instantiate, each under its own marker. */
const registry: { marker: Uint8Array; module: WebAssembly.Module }[] = [];

/**
 * Makes the global `WebAssembly.instantiate` answer `marker` bytes with `module` (idempotent). The
 * global is wrapped once per isolate; further modules need distinct markers, and binding a marker to a
 * second module is an error because one would silently shadow the other.
 */
export function installPrecompiledWasm(module: WebAssembly.Module, marker: Uint8Array = WASM_MARKER): void {
  const existing = registry.find((entry) => isMarker(entry.marker, marker));
  if (existing) {
    if (existing.module !== module)
      throw new Error("installPrecompiledWasm: marker already bound to another module");
    return;
  }
  if (registry.length === 0) {
    const original = WebAssembly.instantiate.bind(WebAssembly) as Instantiate;
    const wrapped = wrapWithLookup(
      original,
      (source) => registry.find((e) => isMarker(source, e.marker))?.module,
    );
    WebAssembly.instantiate = wrapped as typeof WebAssembly.instantiate;
  }
  registry.push({ marker: marker.slice(), module });
}
