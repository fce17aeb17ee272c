export { type MetricsConfig, MetricsEnvSchema, metricsConfig } from "./config.ts";
export { ANSWER_SOURCES, type AnsweredBatch, type AnswerSource, ENDPOINTS, type Endpoint } from "./events.ts";
export { CONTENT_TYPE, writeExposition } from "./exposition.ts";
export { ISOLATE_NOTE } from "./gateway-metrics.ts";
export { metricsPaths, metricsSecuritySchemes } from "./openapi.ts";
export { metricsRoutes } from "./route.ts";
export {
  INFERENCE_PATHS,
  IsolateTelemetry,
  reportAnswers,
  type TelemetryVariables,
  telemetry,
} from "./telemetry.ts";
export { isUsageKind, UsageMessage } from "./usage-schema.ts";
export { storeUsage, type UsageDelivery } from "./usage-store.ts";
