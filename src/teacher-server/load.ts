import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { TeacherManifest } from "../core/manifest.ts";
import { readJson, readOnnx, TEACHER_DIR } from "../distill/package/files.ts";

/**
 * Reads the teacher half of model packages from disk: models/<name>/teacher/{manifest.json,teacher.onnx}.
 * Only the teacher is needed here, so a package without a student (or with a student manifest of a
 * newer shape) still serves.
 */
export interface TeacherPackage {
  /** The teacher directory the files were read from. */
  dir: string;
  manifest: TeacherManifest;
  onnx: Uint8Array;
}

const MANIFEST = "manifest.json";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * A package dir (models/x) or its teacher dir (models/x/teacher) → the teacher dir. Accepting both
 * lets `--models` take whatever path a user tab-completes to.
 */
export async function resolveTeacherDir(dir: string): Promise<string> {
  const nested = join(dir, TEACHER_DIR);
  if (await isFile(join(nested, MANIFEST))) return nested;
  if (await isFile(join(dir, MANIFEST))) return dir;
  throw new Error(`${dir}: no ${TEACHER_DIR}/${MANIFEST} (is it a model package?)`);
}

/** Every `<root>/*` that holds a teacher manifest, sorted so the serving order is stable. */
export async function discoverPackages(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    throw new Error(`${root}: cannot list model packages (${(error as Error).message})`);
  }
  const found: string[] = [];
  for (const entry of entries.sort()) {
    const dir = join(root, entry);
    if (await isFile(join(dir, TEACHER_DIR, MANIFEST))) found.push(dir);
  }
  return found;
}

/** Reads and verifies one teacher: manifest schema, ONNX file size and SHA-256. */
export async function readTeacherPackage(dir: string): Promise<TeacherPackage> {
  const teacherDir = await resolveTeacherDir(dir);
  const manifest = await readJson(join(teacherDir, MANIFEST), TeacherManifest);
  const onnx = await readOnnx(teacherDir, manifest.onnx.file, manifest.onnx);
  return { dir: teacherDir, manifest, onnx };
}

/** The packages to serve: the given dirs, or every package under `root` when none are given. */
export async function readTeacherPackages(dirs: readonly string[] | undefined, root: string) {
  const chosen = dirs && dirs.length > 0 ? [...dirs] : await discoverPackages(root);
  if (chosen.length === 0) throw new Error(`no teacher packages found under ${root}/*/${TEACHER_DIR}/`);
  const packages: TeacherPackage[] = [];
  for (const dir of chosen) packages.push(await readTeacherPackage(dir));
  const seen = new Set<string>();
  for (const { manifest, dir } of packages) {
    if (seen.has(manifest.name)) throw new Error(`${dir}: model name "${manifest.name}" is served twice`);
    seen.add(manifest.name);
  }
  return packages;
}
