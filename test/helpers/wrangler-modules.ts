import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

/**
 * wrangler.toml's module rules for Node: the gateway imports its graphs (Data), onnxruntime's WASM
 * (CompiledWasm) and the dashboard's files (Text) as modules, which only wrangler knows how to load.
 * With this plugin a node test can import the gateway's app itself (e.g. to build its OpenAPI document).
 */
const RULES: { type: "Data" | "CompiledWasm" | "Text"; test: RegExp }[] = [
  { type: "CompiledWasm", test: /\.wasm$/ },
  { type: "Data", test: /\.onnx$/ },
  {
    type: "Text",
    test: /\/src\/gateway\/dashboard\/ui\/[^/]+$|\/uplot\/dist\/uPlot\.(iife\.min\.js|min\.css)$/,
  },
  { type: "Text", test: /\.html$/ },
];
// A virtual id outside node_modules and ending in .js, so vitest inlines it instead of handing it to Node.
const PREFIX = "/@wrangler-rule/";

function moduleSource(type: string, path: string): string {
  const file = JSON.stringify(path);
  const read = `(await import("node:fs")).readFileSync(${file})`;
  if (type === "Text") return `export default ${JSON.stringify(readFileSync(path, "utf8"))};`;
  if (type === "Data")
    return `const b = ${read}; export default b.buffer.slice(b.byteOffset, b.byteOffset + b.length);`;
  return `export default new WebAssembly.Module(${read});`;
}

export function wranglerModules(): Plugin {
  return {
    name: "wrangler-module-rules",
    enforce: "pre",
    async resolveId(source, importer) {
      if (source.startsWith(PREFIX) || !importer) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      const path = resolved?.id.split("?")[0];
      const rule = path && RULES.find((r) => r.test.test(path));
      return rule ? `${PREFIX}${rule.type}:${path}.js` : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const rest = id.slice(PREFIX.length);
      const colon = rest.indexOf(":");
      return moduleSource(rest.slice(0, colon), rest.slice(colon + 1, -".js".length));
    },
  };
}
