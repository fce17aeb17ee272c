import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isHeldOut } from "../../core/holdout.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { ModelState } from "../../gateway/admin/models/schemas.ts";
import { ModelDetail, ModelList, summarize } from "../../gateway/schemas/models.ts";
import { sha256 } from "../package/files.ts";
import { type DistillOptions, STUDENT_RECIPE, TEACHER_RECIPE } from "../pipeline/config.ts";
import { SILENT } from "../pipeline/progress.ts";
import { distillFromTeacherAnswers, type FromAnswersOptions } from "./from-answers.ts";
import { GateRefused } from "./from-gateway.ts";
import { type FakeGateway, record, startFakeGateway, TEST_TOKEN } from "./testing.ts";

const tiny = { buckets: 2048, dim: 8, epochs: 15, members: 1 };
const distill: Omit<DistillOptions, "out"> = {
  name: "m",
  seed: 3,
  teacher: { ...TEACHER_RECIPE, ...tiny },
  student: { ...STUDENT_RECIPE, ...tiny },
  kd: { temperature: 2, alpha: 0.3 },
  augment: 1,
  oosMaxInScopeDrop: 0.003,
  target: { kind: "teacher_rate", value: 0.25 },
  quiet: true,
};

/** Three topics the remote teacher answered: templated texts, so a tiny student learns them in a second. */
const TOPICS = {
  a: ["what is my balance", "how much money do i have", "show my account balance"],
  b: ["freeze my card", "lock my card now", "block my card please"],
  c: ["how tall is everest", "sing me a song", "tell me a joke"],
};
const TAILS = ["now", "today", "please", "thanks", "ok", "quickly", "again", "for me", "right away", "soon"];
const answered = Object.entries(TOPICS).flatMap(([label, texts]) =>
  texts.flatMap((text, t) =>
    TAILS.map((tail, i) =>
      record(`${text} ${tail}`, {
        label,
        student: null,
        protocol: "openai",
        // Half the answers came with the teacher's probabilities (logprobs), half with a label only.
        ...((i + t) % 2 === 0
          ? {
              probs:
                label === "a" ? [0.9, 0.05, 0.05] : label === "b" ? [0.05, 0.9, 0.05] : [0.05, 0.05, 0.9],
            }
          : {}),
      }),
    ),
  ),
);
const body = (records: ReturnType<typeof record>[]) => records.map((r) => JSON.stringify(r)).join("\n");

describe("distillFromTeacherAnswers: a student from a remote teacher's logged answers alone", () => {
  let dir: string;
  let gateway: FakeGateway | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apprentice-answers-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  const run = (overrides: Partial<FromAnswersOptions> = {}) =>
    distillFromTeacherAnswers(
      {
        url: gateway!.url,
        token: TEST_TOKEN,
        distill,
        holdout: 0.2,
        labels: null,
        labelled: [],
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

  it("the fake gateway answers with the bodies the real gateway's schemas describe", async () => {
    gateway = await startFakeGateway({ registryLabels: null });
    const get = async (path: string, admin = false) =>
      (
        await fetch(
          `${gateway!.url}${path}`,
          admin ? { headers: { authorization: `Bearer ${TEST_TOKEN}` } } : {},
        )
      ).json();
    expect(ModelList.safeParse(await get("/v1/models")).success).toBe(true);
    expect(ModelDetail.safeParse(await get("/v1/models/m")).success).toBe(true);
    const state = ModelState.safeParse(await get("/admin/models/m", true));
    expect(state.success).toBe(true);
  });

  it("bootstraps a model with no student: trains on the answers, passes the gate, uploads a teacher-less package", async () => {
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const result = await run();
    expect(result.version).toBe("1.0.0");
    expect(result.live).toBeNull();
    // The gateway serves a defined model (version "none", its teacher answering) before it has a student.
    expect(result.labelSource).toBe("live model");
    expect(result.verdict).toMatchObject({ pass: true, forced: false });
    expect(result.verdict.reason).toMatch(/no live student/);
    const held = answered.filter((r) => isHeldOut(r.id, 0.2)).length;
    expect(result.answers).toMatchObject({ records: 90, used: 90, heldOutSlice: held, trained: 90 - held });
    expect(result.answers.trainedSoft).toBeGreaterThan(0);

    const [upload] = gateway.state.uploads;
    expect(upload!.path).toBe("/admin/models/m/versions/1.0.0");
    const manifest = ModelManifest.parse(JSON.parse(upload!.manifest));
    expect(manifest.onnx.sha256).toBe(sha256(upload!.onnx));
    expect(manifest.labels).toEqual(["a", "b", "c"]);
    expect(manifest.calibration.fittedOn).toBe("held-out");
    expect(manifest.evaluation).toMatchObject({ split: "held-out", n: held });
    // Agreement with the teacher on the held-out slice, which was never trained on.
    expect(manifest.evaluation.student.accuracy).toBeGreaterThan(0.8);
    expect(manifest.training).toMatchObject({
      teacher: { remote: true, protocols: { openai: 90 }, answers: 90 },
      logged: 90 - held,
      heldOut: held,
    });
    expect(gateway.state.promotions).toEqual([{ version: "1.0.0" }]);
    // No local teacher: the package is the student and its manifest, nothing under teacher/.
    await expect(access(join(result.result.pkg.dir, "teacher"))).rejects.toThrow();
    await access(join(result.result.pkg.dir, "report.md"));
  }, 60_000);

  it("takes the labels from the records when the gateway knows none, and --labels over everything", async () => {
    gateway = await startFakeGateway({ live: null, exportBody: body(answered) });
    const fromRecords = await run({ publish: false });
    expect(fromRecords.labelSource).toBe("records");
    expect(fromRecords.result.pkg.manifest.labels).toEqual(["a", "b", "c"]);
    // Their probabilities follow an order the toolkit cannot know: labels only.
    expect(fromRecords.answers.trainedSoft).toBe(0);
    const fromFile = await run({ publish: false, labels: { path: "labels.txt", labels: ["c", "b", "a"] } });
    expect(fromFile.labelSource).toBe("file");
    expect(fromFile.result.pkg.manifest.labels).toEqual(["c", "b", "a"]);
  }, 60_000);

  it("adds the user's labelled data with its gold labels", async () => {
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const labelled = [
      { text: "what money is in my account", label: "a" },
      { text: "stop my card from working", label: "b" },
    ];
    const result = await run({ publish: false, labelled });
    expect(result.answers).toMatchObject({ labelled: 2, labelledHeldOut: 0 });
    expect(result.result.pkg.manifest.training.sizes.train).toBe(2);
  }, 60_000);

  it("gates against the live student on the same slice at equal teacher rate", async () => {
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const first = await run();
    const livePkg = first.result.pkg;
    await gateway.close();
    const live = { version: "1.0.0", n: livePkg.manifest.evaluation.n, accuracy: 0.9, teacherRate: 0.2 };
    gateway = await startFakeGateway({
      live: { ...live, sha256: livePkg.manifest.onnx.sha256 },
      exportBody: body(answered),
    });
    const second = await run({ livePackage: livePkg.dir, force: false, gateTolerance: 0.5 });
    expect(second.version).toBe("1.0.1");
    expect(second.labelSource).toBe("live model");
    expect(second.gate.live).not.toBeNull();
    expect(second.gate.live!.teacherRate).toBe(second.gate.candidate.teacherRate);
    expect(second.gate.live!.n).toBe(second.gate.candidate.n);
    expect(second.gate.candidate.split).toBe("held-out");
    expect(second.verdict.pass).toBe(true);
  }, 60_000);

  it("weights every estimate by 1 / P(logged): audit records speak for the confident traffic", async () => {
    // The first tail of each text was answered confidently and logged at the audit rate only.
    const audited = answered.map((r, i) =>
      i % 10 === 0 ? { ...r, route: "audit" as const, logged_p: 0.1 } : r,
    );
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(audited),
    });
    const lines: string[] = [];
    const result = await distillFromTeacherAnswers(
      {
        url: gateway.url,
        token: TEST_TOKEN,
        distill,
        holdout: 0.2,
        goal: { keepAgreement: 0.95 },
        labels: null,
        labelled: [],
        out: join(dir, "weighted"),
        publish: false,
        force: false,
        gateTolerance: 0.002,
        provenance: {},
      },
      SILENT,
      (line) => lines.push(line),
    );
    const held = audited.filter((r) => isHeldOut(r.id, 0.2));
    const heldWeight = held.map((r) => 1 / (r.logged_p ?? 1));
    const total = heldWeight.reduce((a, b) => a + b, 0);
    const squares = heldWeight.reduce((a, b) => a + b * b, 0);
    expect(held.some((r) => r.logged_p === 0.1)).toBe(true);
    const fit = result.result.routingFit!;
    expect(fit.n).toBe(held.length);
    // The Kish effective size of the slice's weights: the weights reached the fit.
    expect(fit.effectiveN).toBeCloseTo((total * total) / squares, 9);
    expect(fit.rows.map((r) => r.score)).toEqual(expect.arrayContaining(["max_prob", "margin", "entropy"]));
    const manifest = result.result.pkg.manifest;
    expect(manifest.routing.target).toEqual({ kind: "agreement", value: 0.95 });
    // The gateway's /v1/models describes such a package.
    const detail = { ...summarize(manifest, true, false), labels: manifest.labels };
    expect(ModelDetail.parse(detail).routing?.target).toEqual({ kind: "agreement", value: 0.95 });
    expect(manifest.routing.score).toBe(fit.best!.score);
    expect(manifest.training.routingFit).toMatchObject({ shipped: fit.best!.score, n: held.length });
    // The side-by-side table is in the log and in report.md.
    expect(lines.join("\n")).toMatch(/\| Score \| Threshold \| Agreement \[95% CI\] \| Teacher rate/);
    expect(lines.join("\n")).toMatch(/\| \*?\*?`max_prob`/);
    const report = await readFile(join(result.result.pkg.dir, "report.md"), "utf8");
    expect(report).toMatch(/## Routing fitted to the teacher's answers/);
    expect(report).toMatch(/`entropy`/);
  }, 60_000);

  it("gates at equal teacher rate: refuses a worse candidate, passes a better one, and prints the comparison", async () => {
    // At a teacher budget of 0 both students answer everything: the comparison is of the students alone.
    const goal = { maxTeacherRate: 0 };
    // 8-bit levels: at 4 bits the near-initial random table gives some texts exactly tied top classes,
    // which routing must send to the teacher, so the untrained student could not ship at rate 0.
    const untrained = { ...distill, student: { ...distill.student, epochs: 1, lr: 1e-9, embeddingBits: 8 } };
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const good = (await run({ goal, publish: false })).result.pkg;
    const bad = (await run({ goal, publish: false, distill: untrained })).result.pkg;
    await gateway.close();

    const against = async (live: typeof good, candidate: Omit<DistillOptions, "out">) => {
      await gateway?.close();
      gateway = await startFakeGateway({
        live: { version: "1.0.0", n: 10, accuracy: 0.9, teacherRate: 0.2, sha256: live.manifest.onnx.sha256 },
        exportBody: body(answered),
      });
      const lines: string[] = [];
      const options = { url: gateway.url, token: TEST_TOKEN, distill: candidate, holdout: 0.2, goal };
      const outcome = await distillFromTeacherAnswers(
        {
          ...options,
          labels: null,
          labelled: [],
          livePackage: live.dir,
          out: join(dir, `gate-${Math.random().toString(36).slice(2)}`),
          publish: true,
          force: false,
          gateTolerance: 0.002,
          provenance: {},
        },
        SILENT,
        (line) => lines.push(line),
      ).catch((e: unknown) => e);
      return { outcome, log: lines.join("\n") };
    };

    const worse = await against(good, untrained);
    expect(worse.outcome).toBeInstanceOf(GateRefused);
    const refused = (worse.outcome as GateRefused).verdict;
    expect(refused.reason).toMatch(/new agrees less with the teacher.*at teacher rate 0\.00%/);
    expect(worse.log).toMatch(
      /\| Teacher rate \| Agreement, new 1\.0\.1 \| Agreement, live 1\.0\.0 \| Difference/,
    );
    expect(gateway!.state.uploads).toEqual([]);

    const better = await against(bad, distill);
    expect(better.outcome).not.toBeInstanceOf(Error);
    const passed = better.outcome as Awaited<ReturnType<typeof distillFromTeacherAnswers>>;
    expect(passed.verdict).toMatchObject({ pass: true, forced: false });
    expect(passed.gate.candidate.accuracy).toBeGreaterThan(passed.gate.live!.accuracy);
    expect(passed.gate.live!.teacherRate).toBe(passed.gate.candidate.teacherRate);
    expect(better.log).toMatch(/gate: pass: new agrees more with the teacher/);
    expect(gateway!.state.uploads).toHaveLength(1);
  }, 120_000);

  it("scores a live student with its labels in another order by label name", async () => {
    const goal = { maxTeacherRate: 0 };
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const reordered = await run({
      goal,
      publish: false,
      labels: { path: "labels.txt", labels: ["c", "b", "a"] },
    });
    const live = reordered.result.pkg;
    await gateway.close();
    gateway = await startFakeGateway({
      live: { version: "1.0.0", n: 10, accuracy: 0.9, teacherRate: 0.2, sha256: live.manifest.onnx.sha256 },
      labels: ["c", "b", "a"],
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const second = await run({
      goal,
      publish: false,
      livePackage: live.dir,
      labels: { path: "l", labels: ["a", "b", "c"] },
    });
    expect(second.result.pkg.manifest.labels).toEqual(["a", "b", "c"]);
    // Both students learnt the topics: compared by label name, the live one agrees as well.
    expect(second.gate.live!.accuracy).toBeGreaterThan(0.8);
    expect(second.gate.live!.accuracy).toBeCloseTo(reordered.result.routingFit!.best!.agreement.value, 1);
  }, 60_000);

  it("downloads the live student from the registry when no copy is on this machine", async () => {
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body(answered),
    });
    const livePkg = (await run()).result.pkg;
    await gateway.close();
    gateway = await startFakeGateway({
      live: {
        version: "1.0.0",
        n: 10,
        accuracy: 0.9,
        teacherRate: 0.2,
        sha256: livePkg.manifest.onnx.sha256,
      },
      stored: {
        version: "1.0.0",
        manifest: JSON.stringify(livePkg.manifest),
        onnx: await readFile(join(livePkg.dir, livePkg.manifest.onnx.file)),
      },
      exportBody: body(answered),
    });
    const out = join(dir, "downloaded", "1.0.1");
    const second = await run({ out, gateTolerance: 0.5 });
    expect(second.gate.live).not.toBeNull();
    expect(second.gate.live!.version).toBe("1.0.0");
    const copy = join(dir, "downloaded", "1.0.0", livePkg.manifest.onnx.file);
    expect(new Uint8Array(await readFile(copy))).toEqual(
      new Uint8Array(await readFile(join(livePkg.dir, livePkg.manifest.onnx.file))),
    );
  }, 60_000);

  it("refuses when the live student's graph is not on this machine, unless forced", async () => {
    gateway = await startFakeGateway({
      live: { version: "7.0.0", n: 10, accuracy: 0.9, teacherRate: 0.2 },
      exportBody: body(answered),
    });
    const error = await run({ livePackage: join(dir, "nowhere") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateRefused);
    expect((error as GateRefused).verdict.reason).toMatch(/--live-package/);
    expect(gateway.state.uploads).toEqual([]);
    const forced = await run({ livePackage: join(dir, "nowhere"), force: true });
    expect(forced.verdict).toMatchObject({ pass: true, forced: true });
  }, 60_000);

  it("says clearly when there is nothing to learn from", async () => {
    gateway = await startFakeGateway({ live: null, registryLabels: ["a", "b", "c"], exportBody: "" });
    await expect(run()).rejects.toThrow(/no hard-example records for "m".*no teacher answers to learn from/);
    await gateway.close();
    gateway = await startFakeGateway({
      live: null,
      exportBody: body([record("only one label", { label: "a" })]),
    });
    await expect(run()).rejects.toThrow(/labels of "m" are unknown.*--labels FILE/);
    await gateway.close();
    gateway = await startFakeGateway({
      live: null,
      registryLabels: ["a", "b", "c"],
      exportBody: body([
        record("failed", { label: null, route: "degraded" }),
        record("odd", { label: "zzz" }),
      ]),
    });
    await expect(run()).rejects.toThrow(/none of the 2 records has a teacher answer in the label set/);
    await expect(run({ labelled: [{ text: "x y", label: "q" }] })).rejects.toThrow(
      /outside the model's label set/,
    );
  }, 60_000);
});
