export { CONTENT_TYPE } from "./exposition.ts";
export { ISOLATE_NOTE } from "./gateway-metrics.ts";
export { metricsRoutes } from "./route.ts";
export { INFERENCE_PATHS, IsolateTelemetry, telemetry } from "./telemetry.ts";
