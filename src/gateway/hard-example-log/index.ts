export type { HardLogBindings } from "./bindings.ts";
export { type HardLogConfig, HardLogEnvSchema } from "./config.ts";
export { backoffSeconds, type ConsumeReport, consumeHardExamples } from "./consumer.ts";
export { hardExampleOptions } from "./producer.ts";
export { buildRecord, hardExampleId, type RecordInput } from "./record.ts";
export { batchId, PREFIX } from "./storage.ts";
