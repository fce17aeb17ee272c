import { z } from "zod";
import type { HardExampleRecord } from "../../core/hard-example.ts";
import type { AdminModel, ModelDetail } from "./schemas.ts";

/** Where a student learnt from teacher answers gets its label set, in the order its outputs follow. */
export type LabelSource = "file" | "live model" | "registry" | "records";

export interface LabelSet {
  labels: string[];
  outOfScopeLabel: string | null;
  source: LabelSource;
}

/**
 * The label set, first found of: the user's --labels file; the live model (GET /v1/models/{name}: the
 * order the gateway logs probabilities in); the registry entry of a model created from a label set
 * alone; the teacher labels the records name (sorted by code unit, so their logged probabilities, whose
 * order is unknown, are not used).
 */
export function resolveLabels(
  name: string,
  sources: {
    file: { path: string; labels: string[] } | null;
    live: ModelDetail | null;
    registry: AdminModel | null;
    records: readonly HardExampleRecord[];
  },
): LabelSet {
  const oos = sources.live?.out_of_scope_label ?? sources.registry?.definition?.outOfScopeLabel ?? null;
  const withOos = (labels: string[], source: LabelSource): LabelSet => ({
    labels,
    outOfScopeLabel: oos !== null && labels.includes(oos) ? oos : null,
    source,
  });
  if (sources.file) return withOos(distinct(sources.file.labels, sources.file.path), "file");
  if (sources.live) return withOos(sources.live.labels, "live model");
  if (sources.registry?.definition) return withOos(sources.registry.definition.labels, "registry");
  const answered = [...new Set(sources.records.flatMap((r) => (r.teacher ? [r.teacher.label] : [])))].sort();
  if (answered.length < 2)
    throw new Error(
      `the labels of "${name}" are unknown: the gateway serves no such model, its registry entry names no labels, and its records name ${answered.length} teacher label(s); give --labels FILE`,
    );
  return withOos(answered, "records");
}

function distinct(labels: string[], path: string): string[] {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new Error(`${path}: label "${label}" is listed twice`);
    seen.add(label);
  }
  if (labels.length < 2)
    throw new Error(`${path}: a label set needs at least 2 labels, found ${labels.length}`);
  return labels;
}

const LabelArray = z.array(z.string().min(1));

/** A --labels file: a JSON array of strings, or one label per line (blank lines skipped). */
export function parseLabelFile(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const parsed = LabelArray.safeParse(JSON.parse(trimmed));
    if (!parsed.success) throw new Error("a JSON label file is an array of non-empty strings");
    return parsed.data;
  }
  return trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}
