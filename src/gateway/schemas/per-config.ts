import type { GatewayConfig } from "../config.ts";

/**
 * `build` memoised per configuration object: request schemas built from a deployment's limits are made
 * once per configuration (once per isolate) and shared by the route that validates and /openapi.json.
 */
export function perConfig<T>(build: (config: GatewayConfig) => T): (config: GatewayConfig) => T {
  const built = new WeakMap<GatewayConfig, T>();
  return (config) => {
    let value = built.get(config);
    if (value === undefined) {
      value = build(config);
      built.set(config, value);
    }
    return value;
  };
}
