import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { TEACHER_DIR } from "../distill/package/files.ts";
import {
  isFile,
  readTeacherPackage,
  TEACHER_MANIFEST,
  type TeacherPackage,
} from "../distill/package/teacher.ts";

/** Which teacher packages the server serves; each is read by the toolkit's package reader. */

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
    if (await isFile(join(dir, TEACHER_DIR, TEACHER_MANIFEST))) found.push(dir);
  }
  return found;
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
