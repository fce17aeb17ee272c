/** One labelled text, the unit every loader produces. */
export interface Example {
  text: string;
  label: string;
}

/** A data set ready for training and evaluation, whatever file layout it came from. */
export interface Dataset {
  name: string;
  /** Every label of the train split, sorted by code unit; the out-of-scope label, if any, last. */
  labels: string[];
  /** The label that means "none of the intents" (CLINC150's "oos"), or null. */
  outOfScopeLabel: string | null;
  train: Example[];
  val: Example[];
  test: Example[];
  /** Human-readable provenance: files, layout, and how the splits were made. */
  source: string;
}

/** The three splits, before labels are derived and checked. */
export interface Splits {
  train: Example[];
  val: Example[];
  test: Example[];
}

export type DataFormat = "clinc" | "jsonl" | "csv" | "tsv";
