/** The data toolkit's public surface: the CLI and the trainer import from here. */
export { BUNDLED_DATASETS, dataFileOf } from "./bundled.ts";
export { parseClinc } from "./clinc.ts";
export { type DatasetDescription, describeDataset, formatDescription } from "./describe.ts";
export { DataError } from "./errors.ts";
export { hashSplit, splitBucket } from "./hash-split.ts";
export { type JsonlRecord, parseJsonl, parseJsonlRows, stringField } from "./jsonl.ts";
export { loadDataset } from "./load.ts";
export type { LoadOptions } from "./options.ts";
export { stratifiedSplit } from "./split.ts";
export type { DataFormat, Dataset, Example } from "./types.ts";
