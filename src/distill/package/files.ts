import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ModelManifest, TeacherManifest } from "../../core/manifest.ts";

/**
 * A model package on disk (contract, docs/architecture.md "The model package"):
 *   models/<name>/manifest.json, student.onnx, report.md, teacher/manifest.json, teacher/teacher.onnx
 */
export const STUDENT_FILE = "student.onnx";
export const TEACHER_DIR = "teacher";
export const TEACHER_FILE = "teacher.onnx";

export interface LoadedPackage {
  dir: string;
  manifest: ModelManifest;
  student: Uint8Array;
  teacher: { manifest: TeacherManifest; onnx: Uint8Array };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads a JSON file through a zod schema; errors name the file. */
export async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: cannot read JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: invalid manifest\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Reads the ONNX file a manifest names (beside the manifest) and checks its size and SHA-256. */
export async function readOnnx(
  dir: string,
  file: string,
  expected: { bytes: number; sha256: string },
): Promise<Uint8Array> {
  // The file is named relative to the manifest; a path would let a manifest point anywhere on disk.
  if (basename(file) !== file) throw new Error(`${dir}: onnx.file must be a file name, got "${file}"`);
  const path = join(dir, file);
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.length !== expected.bytes)
    throw new Error(`${path}: ${bytes.length} bytes, manifest says ${expected.bytes}`);
  if (sha256(bytes) !== expected.sha256) throw new Error(`${path}: SHA-256 does not match its manifest`);
  return bytes;
}

export async function loadPackage(dir: string): Promise<LoadedPackage> {
  const manifest = await readJson(join(dir, "manifest.json"), ModelManifest);
  const teacherDir = join(dir, TEACHER_DIR);
  const teacherManifest = await readJson(join(teacherDir, "manifest.json"), TeacherManifest);
  return {
    dir,
    manifest,
    student: await readOnnx(dir, manifest.onnx.file, manifest.onnx),
    teacher: {
      manifest: teacherManifest,
      onnx: await readOnnx(teacherDir, teacherManifest.onnx.file, teacherManifest.onnx),
    },
  };
}

async function writeFileIn(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

export async function writePackage(pkg: LoadedPackage): Promise<void> {
  ModelManifest.parse(pkg.manifest);
  TeacherManifest.parse(pkg.teacher.manifest);
  await writeFileIn(join(pkg.dir, pkg.manifest.onnx.file), pkg.student);
  await writeFileIn(join(pkg.dir, TEACHER_DIR, pkg.teacher.manifest.onnx.file), pkg.teacher.onnx);
  await writeFileIn(join(pkg.dir, "manifest.json"), `${JSON.stringify(pkg.manifest, null, 2)}\n`);
  await writeFileIn(
    join(pkg.dir, TEACHER_DIR, "manifest.json"),
    `${JSON.stringify(pkg.teacher.manifest, null, 2)}\n`,
  );
}
