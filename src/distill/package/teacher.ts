import { stat } from "node:fs/promises";
import { join } from "node:path";
import { TeacherManifest } from "../../core/manifest.ts";
import { readJson, readOnnx, TEACHER_DIR } from "./files.ts";

/**
 * The teacher half of a model package: models/<name>/teacher/{manifest.json,teacher.onnx}. Read by the
 * teacher server (to serve it) and by the toolkit (to re-distil a student from it). Only the teacher is
 * read, so a package without a student (or with a student manifest of a newer shape) still serves.
 */
export interface TeacherPackage {
  /** The teacher directory the files were read from. */
  dir: string;
  manifest: TeacherManifest;
  onnx: Uint8Array;
}

export const TEACHER_MANIFEST = "manifest.json";

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * A package dir (models/x) or its teacher dir (models/x/teacher) → the teacher dir. Accepting both
 * lets a flag take whatever path a user tab-completes to.
 */
export async function resolveTeacherDir(dir: string): Promise<string> {
  const nested = join(dir, TEACHER_DIR);
  if (await isFile(join(nested, TEACHER_MANIFEST))) return nested;
  if (await isFile(join(dir, TEACHER_MANIFEST))) return dir;
  throw new Error(`${dir}: no ${TEACHER_DIR}/${TEACHER_MANIFEST} (is it a model package?)`);
}

/** Reads and verifies one teacher: manifest schema, ONNX file size and SHA-256. */
export async function readTeacherPackage(dir: string): Promise<TeacherPackage> {
  const teacherDir = await resolveTeacherDir(dir);
  const manifest = await readJson(join(teacherDir, TEACHER_MANIFEST), TeacherManifest);
  const onnx = await readOnnx(teacherDir, manifest.onnx.file, manifest.onnx);
  return { dir: teacherDir, manifest, onnx };
}
