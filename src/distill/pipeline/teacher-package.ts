import type { TeacherManifest } from "../../core/manifest.ts";
import type { Dataset } from "../data/index.ts";

/**
 * The data set re-indexed by the teacher's label order, which the student must share (the gateway maps
 * logged probabilities by it). Labels the teacher does not know cannot be learnt from it: an error.
 */
export function alignToTeacher(dataset: Dataset, teacher: TeacherManifest): Dataset {
  const known = new Set(teacher.labels);
  for (const split of ["train", "val", "test"] as const) {
    const unknown = [...new Set(dataset[split].map((e) => e.label))].filter((l) => !known.has(l));
    if (unknown.length > 0)
      throw new Error(
        `${split} has labels the teacher does not know: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`,
      );
  }
  const oos = dataset.outOfScopeLabel;
  return {
    ...dataset,
    labels: [...teacher.labels],
    outOfScopeLabel: oos !== null && known.has(oos) ? oos : null,
  };
}
