// Module types for the wrangler `rules` in wrangler.toml (and the matching rules of the workerd test pool).

/** CompiledWasm rule: the binary arrives precompiled, because workerd cannot compile WASM at run time. */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

/** Data rule: a model file as raw bytes. */
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
