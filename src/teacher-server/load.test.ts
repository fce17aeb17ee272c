import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTeacherPackage, resolveTeacherDir } from "../distill/package/teacher.ts";
import { writeTinyTeacher } from "./fixture.ts";
import { discoverPackages, readTeacherPackages } from "./load.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "apprentice-teacher-load-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, "teacher", "manifest.json");
  const manifest = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  edit(manifest);
  await writeFile(path, JSON.stringify(manifest));
}

describe("teacher package loading", () => {
  it("finds packages under a root in name order and accepts the package or its teacher dir", async () => {
    await writeTinyTeacher({ dir: join(root, "b"), name: "b" });
    await writeTinyTeacher({ dir: join(root, "a"), name: "a" });
    await writeFile(join(root, "README.md"), "not a package");
    expect(await discoverPackages(root)).toEqual([join(root, "a"), join(root, "b")]);
    expect(await resolveTeacherDir(join(root, "a"))).toBe(join(root, "a", "teacher"));
    expect(await resolveTeacherDir(join(root, "a", "teacher"))).toBe(join(root, "a", "teacher"));
    const pkg = await readTeacherPackage(join(root, "a", "teacher"));
    expect(pkg.manifest.name).toBe("a");
  });

  it("rejects an ONNX file whose SHA-256 or size differs from the manifest", async () => {
    const { dir, onnx } = await writeTinyTeacher({ dir: join(root, "x") });
    const tampered = Uint8Array.from(onnx);
    tampered[tampered.length - 1]! ^= 1;
    await writeFile(join(dir, "teacher", "teacher.onnx"), tampered);
    await expect(readTeacherPackage(dir)).rejects.toThrow(/SHA-256 does not match/);
    await writeFile(join(dir, "teacher", "teacher.onnx"), onnx.subarray(1));
    await expect(readTeacherPackage(dir)).rejects.toThrow(/bytes, manifest says/);
  });

  it("rejects an invalid manifest, a label list the graph disagrees with, and a path as file name", async () => {
    const { dir } = await writeTinyTeacher({ dir: join(root, "x") });
    await editManifest(dir, (m) => {
      m.role = "student";
    });
    await expect(readTeacherPackage(dir)).rejects.toThrow(/invalid manifest[\s\S]*role/);
    await writeTinyTeacher({ dir });
    await editManifest(dir, (m) => {
      m.labels = ["a", "b"];
    });
    await expect(readTeacherPackage(dir)).rejects.toThrow(/classes must equal labels\.length/);
    await writeTinyTeacher({ dir });
    await editManifest(dir, (m) => {
      (m.onnx as Record<string, unknown>).file = "../teacher/teacher.onnx";
    });
    await expect(readTeacherPackage(dir)).rejects.toThrow(/must be a file name/);
    await writeFile(join(dir, "teacher", "manifest.json"), "{");
    await expect(readTeacherPackage(dir)).rejects.toThrow(/cannot read JSON/);
  });

  it("refuses two packages with the same model name, and an empty root", async () => {
    await writeTinyTeacher({ dir: join(root, "one"), name: "same" });
    await writeTinyTeacher({ dir: join(root, "two"), name: "same" });
    await expect(readTeacherPackages(undefined, root)).rejects.toThrow(/"same" is served twice/);
    await rm(join(root, "one"), { recursive: true });
    await rm(join(root, "two"), { recursive: true });
    await expect(readTeacherPackages(undefined, root)).rejects.toThrow(/no teacher packages found/);
  });
});
