import type { Dataset } from "./types.ts";

export interface LabelCounts {
  label: string;
  train: number;
  val: number;
  test: number;
}

/** Counts of a data set, per split and per label, in `labels` order. */
export interface DatasetDescription {
  name: string;
  source: string;
  labelCount: number;
  outOfScopeLabel: string | null;
  counts: { train: number; val: number; test: number; total: number };
  perLabel: LabelCounts[];
}

export function describeDataset(d: Dataset): DatasetDescription {
  const perLabel = new Map<string, LabelCounts>(
    d.labels.map((label) => [label, { label, train: 0, val: 0, test: 0 }]),
  );
  for (const split of ["train", "val", "test"] as const) {
    for (const example of d[split]) {
      const counts = perLabel.get(example.label);
      if (counts !== undefined) counts[split]++;
    }
  }
  return {
    name: d.name,
    source: d.source,
    labelCount: d.labels.length,
    outOfScopeLabel: d.outOfScopeLabel,
    counts: {
      train: d.train.length,
      val: d.val.length,
      test: d.test.length,
      total: d.train.length + d.val.length + d.test.length,
    },
    perLabel: [...perLabel.values()],
  };
}

/** A short human summary for the CLI: one line of totals, then the provenance. */
export function formatDescription(desc: DatasetDescription): string {
  const { train, val, test, total } = desc.counts;
  const oos = desc.outOfScopeLabel === null ? "" : ` (out-of-scope: "${desc.outOfScopeLabel}")`;
  return [
    `${desc.name}: ${total} examples, ${desc.labelCount} labels${oos}; train ${train}, val ${val}, test ${test}`,
    `source: ${desc.source}`,
  ].join("\n");
}
