import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelManifest } from "../../src/core/manifest.ts";
import {
  type FakeGateway,
  record,
  startFakeGateway,
  TEST_TOKEN,
} from "../../src/distill/gateway-client/testing.ts";

const run = promisify(execFile);
const TINY = [
  "--student-buckets",
  "2048",
  "--student-dim",
  "8",
  "--student-epochs",
  "8",
  "--augment",
  "1",
  "--quiet",
];

const TOPICS = {
  a: ["what is my balance", "how much money do i have", "show my account balance"],
  b: ["freeze my card", "lock my card now", "block my card please"],
  c: ["how tall is everest", "sing me a song", "tell me a joke"],
};
const TAILS = ["now", "today", "please", "thanks", "ok", "quickly", "again", "for me"];
const exportBody = Object.entries(TOPICS)
  .flatMap(([label, texts]) =>
    texts.flatMap((text) => TAILS.map((tail) => record(`${text} ${tail}`, { label, student: null }))),
  )
  .map((r) => JSON.stringify(r))
  .join("\n");

describe("npm run distill -- --from-gateway with no local teacher and no data", () => {
  let dir: string;
  let gateway: FakeGateway | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apprentice-answers-cli-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  const distill = (...args: string[]) =>
    run(
      "node",
      [
        "--import",
        "tsx",
        "src/distill/cli/distill.ts",
        "--from-gateway",
        gateway!.url,
        "--name",
        "m",
        ...TINY,
        ...args,
      ],
      { env: { ...process.env, ADMIN_TOKEN: TEST_TOKEN } },
    );

  it("learns from the logged teacher answers and writes a package without a teacher", async () => {
    gateway = await startFakeGateway({ live: null, exportBody });
    const labels = join(dir, "labels.json");
    await writeFile(labels, JSON.stringify(["a", "b", "c"]));
    const out = join(dir, "answers-model");
    const { stdout, stderr } = await distill(
      "--labels",
      labels,
      "--holdout",
      "0.25",
      "--keep-agreement",
      "0.97",
      "--out",
      out,
    );
    expect(stdout).toMatch(/wrote .*answers-model \(m 1\.0\.0\)/);
    expect(stderr).toMatch(/no local teacher package/);
    expect(stderr).toMatch(/labels: 3 from the file/);
    expect(stderr).toMatch(/gate: pass: no live student/);
    // The routing fit of every score kind, side by side, against the teacher's answers.
    expect(stderr).toMatch(/routing fitted to the teacher's answers on the held-out slice: goal/);
    for (const kind of ["max_prob", "margin", "entropy"]) expect(stderr).toContain(`\`${kind}\``);
    const manifest = ModelManifest.parse(JSON.parse(await readFile(join(out, "manifest.json"), "utf8")));
    expect(manifest.routing.target).toEqual({ kind: "agreement", value: 0.97 });
    expect(manifest.evaluation.split).toBe("held-out");
    expect(manifest.training).toMatchObject({ labels: "file", hardExamples: { holdout: 0.25 } });
    await expect(readFile(join(out, "teacher", "manifest.json"))).rejects.toThrow();
    expect(gateway.state.uploads).toEqual([]);
  }, 120_000);

  it("says so when the gateway holds no records, or the labels are unknown", async () => {
    gateway = await startFakeGateway({ live: null, registryLabels: ["a", "b", "c"], exportBody: "" });
    await expect(distill("--out", join(dir, "none"))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no hard-example records for "m".*no teacher answers to learn from/),
    });
    await gateway.close();
    gateway = await startFakeGateway({
      live: null,
      exportBody: JSON.stringify(record("just one", { label: "a" })),
    });
    await expect(distill("--out", join(dir, "unknown"))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/labels of "m" are unknown.*give --labels FILE/),
    });
  }, 120_000);

  it("usage errors exit 2: a bad --holdout, --labels with a local teacher", async () => {
    gateway = await startFakeGateway({ live: null, exportBody });
    await expect(distill("--holdout", "1.5")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--holdout is a share in (0, 1)"),
    });
    await expect(distill("--teacher", "models/clinc150", "--labels", "x.txt")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--labels goes with learning from teacher answers alone"),
    });
    await expect(distill("--teacher", "models/clinc150", "--answers-only")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--answers-only and --teacher exclude each other"),
    });
  }, 120_000);

  it("usage errors exit 2: a routing target outside its range, both targets, a gold-label target", async () => {
    gateway = await startFakeGateway({ live: null, exportBody });
    const refused = async (args: string[], message: string) =>
      expect(distill(...args)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    await refused(["--keep-agreement", "0"], "--keep-agreement is a share in (0, 1], got 0");
    await refused(["--keep-agreement", "1.2"], "--keep-agreement is a share in (0, 1]");
    await refused(["--max-teacher-rate", "1.5"], "--max-teacher-rate is a share in [0, 1], got 1.5");
    await refused(
      ["--keep-agreement", "0.9", "--max-teacher-rate", "0.3"],
      "give --keep-agreement Q or --max-teacher-rate R, not both",
    );
    await refused(["--target-retention", "0.99"], "with the teacher's answers alone give --keep-agreement Q");
    await refused(
      ["--teacher", "models/clinc150", "--keep-agreement", "0.9"],
      "--keep-agreement goes with learning from teacher answers alone",
    );
  }, 120_000);
});
