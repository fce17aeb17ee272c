import { join } from "node:path";
import { TeacherManifest } from "../../core/manifest.ts";
import type { Dataset } from "../data/index.ts";
import { fileExists, readJson, readOnnx, TEACHER_DIR } from "../package/files.ts";

/** An existing, already trained teacher: what a student-only re-distillation learns from. */
export interface TeacherPackage {
  dir: string;
  manifest: TeacherManifest;
  onnx: Uint8Array;
}

/**
 * Reads a teacher from a model package (`models/clinc150`, whose teacher is in `teacher/`) or from the
 * teacher directory itself (`models/clinc150/teacher`); size and SHA-256 are checked against the manifest.
 */
export async function loadTeacherPackage(path: string): Promise<TeacherPackage> {
  const nested = join(path, TEACHER_DIR);
  const dir = (await fileExists(join(nested, "manifest.json"))) ? nested : path;
  const manifest = await readJson(join(dir, "manifest.json"), TeacherManifest);
  return { dir, manifest, onnx: await readOnnx(dir, manifest.onnx.file, manifest.onnx) };
}

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
