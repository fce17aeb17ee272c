import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelManifest, TeacherManifest } from "../../src/core/manifest.ts";

const run = promisify(execFile);
const CLI = (name: string) => ["--import", "tsx", `src/distill/cli/${name}.ts`];
const TINY = [
  "--teacher-members",
  "2",
  "--teacher-buckets",
  "4096",
  "--teacher-dim",
  "8",
  "--teacher-epochs",
  "4",
  "--student-buckets",
  "2048",
  "--student-dim",
  "4",
  "--student-epochs",
  "4",
  "--seed",
  "7",
  "--quiet",
];

/** A small slice of CLINC150 (12 intents + oos) as JSONL, so the whole CLI runs in seconds. */
async function writeSlice(dir: string): Promise<string> {
  const raw = JSON.parse(await readFile("datasets/clinc150/data_full.json", "utf8")) as Record<
    string,
    [string, string][]
  >;
  const keep = new Set([...new Set(raw.train!.map((r) => r[1]))].slice(0, 12));
  const rows = (key: string, oosKey: string) => [
    ...raw[key]!.filter((r) => keep.has(r[1])),
    ...raw[oosKey]!.slice(0, 30),
  ];
  const lines = (rs: [string, string][]) =>
    rs.map(([text, label]) => JSON.stringify({ text, label })).join("\n");
  await writeFile(join(dir, "train.jsonl"), lines(rows("train", "oos_train")));
  await writeFile(join(dir, "test.jsonl"), lines(rows("test", "oos_test")));
  return dir;
}

// Each case starts node, tsx and onnxruntime-node: seconds each, more on a loaded machine.
describe("distill and eval CLIs, end to end on a small slice", { timeout: 60_000 }, () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = await writeSlice(await mkdtemp(join(tmpdir(), "apprentice-cli-")));
    out = join(dir, "model");
    await run("node", [
      ...CLI("distill"),
      "--train",
      join(dir, "train.jsonl"),
      "--test",
      join(dir, "test.jsonl"),
      "--name",
      "slice",
      "--out",
      out,
      ...TINY,
    ]);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes a valid package: manifest, student, teacher and report", async () => {
    const manifest = ModelManifest.parse(JSON.parse(await readFile(join(out, "manifest.json"), "utf8")));
    const teacher = TeacherManifest.parse(
      JSON.parse(await readFile(join(out, "teacher/manifest.json"), "utf8")),
    );
    expect(manifest.labels).toHaveLength(13);
    expect(manifest.labels.at(-1)).toBe("oos");
    expect(manifest.outOfScopeLabel).toBe("oos");
    expect(teacher.labels).toEqual(manifest.labels);
    expect(manifest.onnx.architecture).toMatchObject({ buckets: 2048, dim: 4, members: 1 });
    expect(teacher.onnx.architecture).toMatchObject({ buckets: 4096, dim: 8, members: 2 });
    expect(manifest.calibration.temperature).toBeGreaterThan(0);
    expect(manifest.routing.target).toEqual({ kind: "teacher_rate", value: 0.25 });
    expect(manifest.routing.validation.teacher_rate).toBeLessThanOrEqual(0.25);
    const report = await readFile(join(out, "report.md"), "utf8");
    for (const svg of ["cascade", "reliability", "worst-classes"]) {
      expect(report).toContain(`report/${svg}.svg`);
      expect(await readFile(join(out, `report/${svg}.svg`), "utf8")).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
    }
  });

  it("eval --json prints the contract object, matching the figures in the manifest, and writes nothing", async () => {
    // A mark a rewrite would drop (the report is deterministic, so equal contents prove nothing).
    const marked = `${await readFile(join(out, "report.md"), "utf8")}\n<!-- not rewritten -->\n`;
    await writeFile(join(out, "report.md"), marked);
    const { stdout } = await run("node", [...CLI("eval"), "--model", out, "--json"]);
    expect(await readFile(join(out, "report.md"), "utf8")).toBe(marked);
    const summary = JSON.parse(stdout);
    expect(Object.keys(summary).sort()).toEqual([
      "cascade",
      "curve",
      "dataset",
      "n_test",
      "student",
      "teacher",
    ]);
    expect(Object.keys(summary.student).sort()).toEqual(
      ["accuracy", "ece", "ece_uncalibrated", "in_scope_accuracy", "onnx_bytes", "oos_recall"].sort(),
    );
    expect(Object.keys(summary.cascade).sort()).toEqual([
      "accuracy",
      "retention",
      "score",
      "teacher_rate",
      "threshold",
    ]);
    const manifest = ModelManifest.parse(JSON.parse(await readFile(join(out, "manifest.json"), "utf8")));
    expect(summary.n_test).toBe(manifest.evaluation.n);
    expect(summary.cascade.accuracy).toBeCloseTo(manifest.evaluation.cascade.accuracy, 10);
    expect(summary.teacher.accuracy).toBeGreaterThan(0.6);
    expect(summary.curve[0].teacher_rate).toBe(0);
    expect(summary.curve.at(-1).teacher_rate).toBe(1);
  });

  it("eval --data evaluates the package on another data set, named by its folder, leaving its report alone", async () => {
    await mkdir(join(dir, "holdout"));
    const other = join(dir, "holdout", "test.jsonl");
    const rows = (await readFile(join(dir, "test.jsonl"), "utf8")).split("\n").slice(0, 40);
    await writeFile(other, rows.join("\n"));
    const before = await readFile(join(out, "report.md"), "utf8");
    const { stdout } = await run("node", [
      ...CLI("eval"),
      "--model",
      out,
      "--json",
      "--data",
      other,
      "--format",
      "jsonl",
    ]);
    const summary = JSON.parse(stdout);
    expect(summary.dataset).toBe("holdout");
    expect(summary.n_test).toBeGreaterThan(0);
    expect(summary.n_test).toBeLessThan(40);
    expect(await readFile(join(out, "report.md"), "utf8")).toBe(before);
  });

  it("eval --report DIR writes that data set's report there, and refuses the package's own folder", async () => {
    const other = join(dir, "holdout-report.jsonl");
    await writeFile(
      other,
      (await readFile(join(dir, "test.jsonl"), "utf8")).split("\n").slice(0, 40).join("\n"),
    );
    const before = await readFile(join(out, "report.md"), "utf8");
    const data = ["--data", other, "--format", "jsonl", "--dataset-name", "tickets"];
    const reportDir = join(dir, "tickets-report");
    await run("node", [...CLI("eval"), "--model", out, ...data, "--report", reportDir]);
    expect(await readFile(join(reportDir, "report.md"), "utf8")).toContain("tickets");
    expect(await readFile(join(reportDir, "report/cascade.svg"), "utf8")).toMatch(/<svg/);
    const refused = run("node", [...CLI("eval"), "--model", out, ...data, "--report", out]);
    await expect(refused).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("own data set"),
    });
    expect(await readFile(join(out, "report.md"), "utf8")).toBe(before);
  });

  it("eval --report <model> on its own data set rewrites the package's report", async () => {
    await rm(join(out, "report.md"));
    await run("node", [...CLI("eval"), "--model", out, "--report", out]);
    expect(await readFile(join(out, "report.md"), "utf8")).toContain("report/cascade.svg");
  });

  it("eval without --json prints a readable table", async () => {
    const { stdout } = await run("node", [...CLI("eval"), "--model", out]);
    expect(stdout).toMatch(/Teacher\s+Student\s+Cascade/);
  });

  it("a malformed data file fails with its name and line, and writes nothing", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"text":"hi","label":"a"}\n{"text": 3, "label":"b"}\n');
    const failed = run("node", [
      ...CLI("distill"),
      "--train",
      bad,
      "--name",
      "bad",
      "--out",
      join(dir, "bad-model"),
      ...TINY,
    ]);
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/bad\.jsonl:2/) });
    await expect(readFile(join(dir, "bad-model/manifest.json"))).rejects.toThrow();
  });

  it("usage errors exit 2 and say what is wrong", async () => {
    const failed = run("node", [...CLI("distill"), "--data", "x.json"]);
    await expect(failed).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--name is required"),
    });
  });
});
