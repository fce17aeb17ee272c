import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { featurize } from "../../core/featurizer.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { ensembleLogits } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import { argmax } from "../../core/softmax.ts";
import type { Dataset } from "../data/index.ts";
import { sha256 } from "../package/files.ts";
import { readTeacherPackage, type TeacherPackage } from "../package/teacher.ts";
import { type DistillOptions, STUDENT_RECIPE, TEACHER_RECIPE } from "../pipeline/config.ts";
import { distill } from "../pipeline/distill.ts";
import { SILENT } from "../pipeline/progress.ts";
import { distillFromGateway, type FromGatewayOptions, GateRefused } from "./from-gateway.ts";
import { type FakeGateway, feedbackRecord, record, startFakeGateway, TEST_TOKEN } from "./testing.ts";

/** Three intents of a few templated texts each: a teacher and student train on them in a second. */
function tinyDataset(): Dataset {
  const topics = {
    a: ["what is my balance", "how much money do i have", "show my account balance", "balance please"],
    b: ["freeze my card", "lock my account", "block my card now", "please freeze it"],
    oos: ["how tall is everest", "sing me a song", "who won the cup", "tell me a joke"],
  };
  const make = (variant: (t: string, i: number) => string, count: number) =>
    Object.entries(topics).flatMap(([label, texts]) =>
      Array.from({ length: count }, (_, i) => ({ text: variant(texts[i % texts.length]!, i), label })),
    );
  return {
    name: "tiny",
    labels: ["a", "b", "oos"],
    outOfScopeLabel: "oos",
    train: make((t, i) => (i < 4 ? t : `${t} ${["now", "today", "thanks", "ok"][i % 4]}`), 8),
    val: make((t, i) => `hey ${t}${i > 3 ? "!" : ""}`, 3),
    test: make((t, i) => `${t} please ${i}`, 4),
    source: "test",
  };
}

const tiny = { buckets: 1024, dim: 8, epochs: 20, members: 1 };
const options = (out: string): DistillOptions => ({
  name: "m",
  out,
  seed: 3,
  teacher: { ...TEACHER_RECIPE, ...tiny, labelSmoothing: 0 },
  student: { ...STUDENT_RECIPE, ...tiny },
  kd: { temperature: 2, alpha: 0.3 },
  augment: 1,
  oosMaxInScopeDrop: 0.003,
  target: { kind: "teacher_rate", value: 0.25 },
  quiet: true,
});

// Phrases no base text has: the student can only learn their labels from the logged teacher answers.
const NOVEL = {
  b: ["purple elephant dance", "purple elephant dance party", "dance purple elephant"],
  oos: ["green giraffe song", "green giraffe song loud", "song green giraffe"],
};

describe("distillFromGateway: pull, merge, student-only re-distillation, gate, publish", () => {
  let dir: string;
  let teacher: TeacherPackage;
  let gateway: FakeGateway;
  const dataset = tinyDataset();
  const exportBody = [
    ...NOVEL.b.map((text) => record(text, { label: "b", probs: [0.02, 0.96, 0.02] })),
    ...NOVEL.oos.map((text) => record(text, { label: "oos", probs: [0.03, 0.02, 0.95] })),
    record("a degraded text", { route: "degraded", label: null }),
    record("audited balance question", { route: "audit", label: "a", probs: [0.9, 0.05, 0.05] }),
  ]
    .map((r) => JSON.stringify(r))
    .join("\n");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apprentice-fromgw-"));
    await distill(dataset, options(join(dir, "base")), SILENT, { version: "1.0.0" });
    teacher = await readTeacherPackage(join(dir, "base"));
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => gateway?.close());

  const run = (overrides: Partial<FromGatewayOptions>) =>
    distillFromGateway(
      {
        url: gateway.url,
        token: TEST_TOKEN,
        teacher,
        dataset,
        distill: options(""),
        out: join(dir, `run-${Math.random().toString(36).slice(2)}`),
        publish: true,
        force: false,
        gateTolerance: 0.002,
        provenance: {},
        ...overrides,
      },
      SILENT,
      () => {},
    );

  it("publishes a student that is not worse, learning the logged teacher answers", async () => {
    gateway = await startFakeGateway({ exportBody, versions: ["1.0.1"], live: liveAt(0) });
    const result = await run({});
    expect(result.version).toBe("1.0.2");
    expect(result.merge).toMatchObject({ records: 8, used: 7, noTeacher: 1 });
    expect(result.verdict).toMatchObject({ pass: true, forced: false });
    const [upload] = gateway.state.uploads;
    const manifest = ModelManifest.parse(JSON.parse(upload!.manifest));
    expect(manifest.version).toBe("1.0.2");
    expect(manifest.onnx.sha256).toBe(sha256(upload!.onnx));
    expect(manifest.training).toMatchObject({ logged: 7, teacher: { sha256: teacher.manifest.onnx.sha256 } });
    expect(gateway.state.promotions).toEqual([{ version: "1.0.2" }]);
    // The logged distributions were the targets: the new student answers as the teacher did.
    const student = readEnsembleWeights(upload!.onnx);
    const label = (text: string) => {
      const z = new Float32Array(3);
      ensembleLogits(student, featurize(text, manifest.featurizer), z);
      return manifest.labels[argmax(z)];
    };
    expect(NOVEL.b.map(label)).toEqual(["b", "b", "b"]);
    expect(NOVEL.oos.map(label)).toEqual(["oos", "oos", "oos"]);
  }, 60_000);

  it("trains on the clients' feedback labels over the teacher's", async () => {
    // Clients say the texts the teacher called "oos" are "a".
    const feedbackBody = NOVEL.oos.map((text) => JSON.stringify(feedbackRecord(text, "a"))).join("\n");
    gateway = await startFakeGateway({ exportBody, feedbackBody, versions: ["1.0.1"], live: liveAt(0) });
    const result = await run({ force: true });
    expect(result.merge.feedback).toEqual({ records: 3, relabelled: 3, overruled: 3, added: 0, skipped: 0 });
    const [upload] = gateway.state.uploads;
    const manifest = ModelManifest.parse(JSON.parse(upload!.manifest));
    const student = readEnsembleWeights(upload!.onnx);
    const label = (text: string) => {
      const z = new Float32Array(3);
      ensembleLogits(student, featurize(text, manifest.featurizer), z);
      return manifest.labels[argmax(z)];
    };
    expect(NOVEL.oos.map(label)).toEqual(["a", "a", "a"]);
  }, 60_000);

  it("refuses a student worse than the live one: nothing uploaded or promoted", async () => {
    gateway = await startFakeGateway({ exportBody, live: liveAt(1) });
    const error = await run({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateRefused);
    expect((error as GateRefused).verdict.reason).toMatch(/worse cascade accuracy/);
    expect(gateway.state.uploads).toEqual([]);
    expect(gateway.state.promotions).toEqual([]);
  }, 60_000);

  it("publishes a refused student with --force, here as a canary", async () => {
    gateway = await startFakeGateway({ exportBody, live: liveAt(1) });
    const result = await run({ force: true, canaryPercent: 10, version: "2.0.0" });
    expect(result.verdict).toMatchObject({ pass: true, forced: true });
    expect(gateway.state.uploads.map((u) => u.path)).toEqual(["/admin/models/m/versions/2.0.0"]);
    expect(gateway.state.promotions).toEqual([{ version: "2.0.0", canary_percent: 10 }]);
  }, 60_000);

  it("refuses a --version the registry already holds before training anything", async () => {
    gateway = await startFakeGateway({ exportBody, versions: ["1.0.1"] });
    await expect(run({ version: "1.0.1" })).rejects.toThrow(/already exists/);
    expect(gateway.state.exportQueries).toEqual([]);
  });
});

/** Live figures on the same test split (12 texts) with the given cascade accuracy. */
function liveAt(accuracy: number) {
  return { version: "1.0.0", n: 12, accuracy, teacherRate: 0.2 };
}
