import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelManifest } from "../../src/core/manifest.ts";
import { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";
import { finished, spawnLoop as spawnLoopCli } from "../helpers/loop-cli.ts";

/**
 * `npm run loop` against the real stack (wrangler dev: queue → R2 + D1, registry in R2 + KV, leases in
 * D1; the local teacher over OpenAI chat completions). A model defined from its labels alone is
 * answered by its teacher and every answer is logged; two `--once` runs started together publish its
 * first student exactly once; a run killed while it uploads the next leaves the registry consistent,
 * and the next run, once the dead run's lease lapsed, publishes it as a canary; a run then waits on it.
 * With --shadow, a round publishes into shadow, and the next moves the shadow on its standing.
 */
const MODEL = "spam-loop";
// Tiny recipe and thresholds: the point is the loop, not the student's quality.
const RECIPE = ["--student-buckets", "2048", "--student-dim", "8", "--student-epochs", "4", "--augment", "0"];
const FIRST_BATCH = 160;
const SECOND_BATCH = 120;
const THIRD_BATCH = 80;
/** Texts the shadow must be compared on before a round may make it a canary. */
const SHADOW_MIN = 40;

describe("end to end: npm run loop", () => {
  let fresh: FreshStack;
  let stack: Stack;
  let client: GatewayClient;
  let texts: string[];
  const token = randomBytes(32).toString("base64url");

  const spawnLoop = (...args: string[]): ChildProcess =>
    spawnLoopCli(stack.gatewayUrl, token, MODEL, [
      ...["--runs", join(fresh.dir, "runs"), "--holdout", "0.25", ...RECIPE, ...args],
    ]);
  const loopOnce = (...args: string[]) => finished(spawnLoop(...args));

  /** Sends texts through /v1/classify and waits until the log indexed each of them. */
  const sendAndLog = async (batch: readonly string[]) => {
    const total = ((await client.hardExampleCount({ model: MODEL })) ?? 0) + batch.length;
    for (let i = 0; i < batch.length; i += 20) {
      const answer = await client.classify(MODEL, batch.slice(i, i + 20));
      expect(answer.results).toHaveLength(Math.min(20, batch.length - i));
    }
    let count = 0;
    for (let i = 0; i < 120 && count < total; i++) {
      count = (await client.hardExampleCount({ model: MODEL })) ?? 0;
      if (count < total) await new Promise((r) => setTimeout(r, 500));
    }
    expect(count).toBeGreaterThanOrEqual(total);
  };

  /** Every version the pointer names is stored whole: manifest and the graph it names by hash. */
  const expectConsistentRegistry = async () => {
    const state = (await client.adminModel(MODEL))!;
    const stored = new Map(state.versions.map((v) => [v.version, v]));
    const named = [state.live, state.canary?.version, state.shadow?.version, ...state.previous];
    for (const version of named.filter((v): v is string => typeof v === "string"))
      expect(stored.has(version), `${version} is named by the pointer but not stored`).toBe(true);
    for (const { version } of state.versions) {
      const manifest = ModelManifest.parse(
        JSON.parse(new TextDecoder().decode(await client.versionFile(MODEL, version, "manifest.json"))),
      );
      const graph = await client.versionFile(MODEL, version, "student.onnx");
      expect(createHash("sha256").update(graph).digest("hex")).toBe(manifest.onnx.sha256);
    }
    return state;
  };

  beforeAll(async () => {
    fresh = await startFreshStack("loop", {
      adminToken: token,
      // Every confident student answer audited, so each text sent is logged whoever answered it.
      vars: { REGISTRY_TTL_MS: "500", AUDIT_RATE: "1", TEACHER_CACHE_TTL_S: "0" },
      readyTimeoutMs: 120_000,
    });
    stack = fresh.stack;
    client = new GatewayClient(stack.gatewayUrl, token);
    await client.defineModel(MODEL, {
      labels: ["ham", "spam"],
      teacher: { protocol: "openai", url: stack.teacher.url, model: "sms-spam" },
    });
    // Every isolate sees the new model once it re-reads the registry (REGISTRY_TTL_MS).
    for (let i = 0; i < 60 && (await client.modelDetail(MODEL)) === null; i++)
      await new Promise((r) => setTimeout(r, 250));
    const rows = (await readFile("datasets/sms-spam/SMSSpamCollection.tsv", "utf8")).split("\n");
    // One text per record id: texts that differ only in case or spacing are one to the log.
    const byKey = new Map<string, string>();
    for (const row of rows) {
      const text = row.split("\t")[1]?.trim() ?? "";
      const key = text.toLowerCase().replace(/\s+/g, " ");
      if (text.length > 0 && !byKey.has(key)) byKey.set(key, text);
    }
    texts = [...byKey.values()];
  }, 150_000);
  afterAll(() => fresh?.stop());

  it("publishes the first student once when two runs start together", async () => {
    await sendAndLog(texts.slice(0, FIRST_BATCH));
    const started = Date.now();
    const runs = await Promise.all([loopOnce("--min-new", "100"), loopOnce("--min-new", "100")]);
    const seconds = (Date.now() - started) / 1000;
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const published = runs.filter((r) => /promote: spam-loop 1\.0\.0 is live/.test(r.stderr));
    expect(published, runs.map((r) => r.stderr).join("\n---\n")).toHaveLength(1);
    // The other was refused the lease, or came after and found nothing new since 1.0.0's data.
    const other = runs.find((r) => r !== published[0])!;
    expect(other.stderr).toMatch(/another run is at work: .*held by|0 new records since .*nothing to do/);
    const state = await expectConsistentRegistry();
    expect(state).toMatchObject({ live: "1.0.0", canary: null });
    expect(state.versions.map((v) => v.version)).toEqual(["1.0.0"]);
    expect(published[0]!.stderr).toMatch(/count: 160 new records in the log: re-distilling/);
    console.info(
      `loop e2e: first round (two runs at once) took ${seconds.toFixed(1)} s\n${published[0]!.stderr}`,
    );
  }, 240_000);

  it("answers with the published student", async () => {
    let version = "";
    for (let i = 0; i < 40 && version !== "1.0.0"; i++) {
      version = (await client.classify(MODEL, ["WINNER!! claim your prize now"], "never")).version;
      if (version !== "1.0.0") await new Promise((r) => setTimeout(r, 250));
    }
    expect(version).toBe("1.0.0");
  }, 30_000);

  it("a run killed while it uploads leaves the registry consistent; the next publishes a canary", async () => {
    await sendAndLog(texts.slice(FIRST_BATCH, FIRST_BATCH + SECOND_BATCH));
    const args = ["--min-new", "50", "--lease-ttl", "3s", "--gate-tolerance", "0.5"];
    const victim = spawnLoop(...args);
    const killed = finished(victim);
    await new Promise<void>((resolve) => {
      let seen = "";
      victim.stderr!.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (/upload: uploading/.test(seen) && victim.exitCode === null && !victim.killed) {
          victim.kill("SIGKILL");
          resolve();
        }
      });
    });
    expect((await killed).code).toBeNull();
    const afterKill = await expectConsistentRegistry();
    expect(afterKill.live).toBe("1.0.0");
    expect(afterKill.canary).toBeNull();
    expect((await client.classify(MODEL, ["see you at lunch"], "never")).version).toBe("1.0.0");

    // The dead run's lease lapses after its TTL; until then a run is refused it.
    await new Promise((r) => setTimeout(r, 3500));
    const started = Date.now();
    const next = await loopOnce(...args);
    const seconds = (Date.now() - started) / 1000;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/promote: spam-loop 1\.0\.\d is a 10% canary beside 1\.0\.0/);
    const state = await expectConsistentRegistry();
    expect(state.live).toBe("1.0.0");
    expect(state.canary).toMatchObject({ percent: 10 });
    console.info(
      `loop e2e: killed run\n${(await killed).stderr}\nthe next round took ${seconds.toFixed(1)} s\n${next.stderr}`,
    );

    const waiting = await loopOnce(...args);
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stderr).toMatch(
      /canary 1\.0\.\d \(10%\) is undecided since .*waiting for the gateway's decision/,
    );
    expect((await client.adminModel(MODEL))!.versions).toHaveLength(state.versions.length);
  }, 240_000);

  it("with --shadow publishes into shadow, and a later round moves the shadow on its standing", async () => {
    // The operator accepts the waiting canary by hand, so no candidate is running.
    const canary = (await client.adminModel(MODEL))!.canary!.version;
    await client.promote(MODEL, canary);
    const start = FIRST_BATCH + SECOND_BATCH;
    await sendAndLog(texts.slice(start, start + THIRD_BATCH));
    const args = ["--min-new", "50", "--gate-tolerance", "0.5", "--shadow", "100"];
    const published = await loopOnce(...args, "--shadow-min", String(SHADOW_MIN));
    expect(published.code, published.stderr).toBe(0);
    expect(published.stderr).toMatch(/promote: spam-loop 1\.0\.\d runs in shadow on 100% of /);
    const shadowed = await expectConsistentRegistry();
    expect(shadowed).toMatchObject({ live: canary, canary: null, shadow: { percent: 100 } });
    const shadow = shadowed.shadow!.version;

    // Too few compared texts yet: the round waits, and trains nothing.
    const early = await loopOnce(...args, "--shadow-min", "100000");
    expect(early.code, early.stderr).toBe(0);
    expect(early.stderr).toMatch(
      new RegExp(`shadow ${shadow.replaceAll(".", "\\.")} \\(100%\\) is undecided`),
    );
    expect((await client.adminModel(MODEL))!.versions).toHaveLength(shadowed.versions.length);

    // Every answer is audited, so the shadow runs beside live on each text the teacher labels.
    await sendAndLog(texts.slice(start + THIRD_BATCH, start + THIRD_BATCH + SHADOW_MIN));
    let standing = (await client.standings(MODEL)).find((s) => s.role === "shadow");
    for (let i = 0; i < 60 && (standing?.candidate.total ?? 0) < SHADOW_MIN; i++) {
      await new Promise((r) => setTimeout(r, 500));
      standing = (await client.standings(MODEL)).find((s) => s.role === "shadow");
    }
    expect(standing?.candidate).toMatchObject({ version: shadow });
    expect(standing!.candidate.total).toBeGreaterThanOrEqual(SHADOW_MIN);

    const moved = await loopOnce(...args, "--shadow-min", String(SHADOW_MIN));
    expect(moved.code, moved.stderr).toBe(0);
    const after = await expectConsistentRegistry();
    // The move follows the standing the gateway reports: worse is stopped, else a 10% canary.
    if (standing!.verdict === "worse") {
      expect(moved.stderr).toMatch(/shadow: stopped shadow .*: worse than live/);
      expect(after).toMatchObject({ live: canary, canary: null, shadow: null });
    } else {
      expect(moved.stderr).toMatch(/shadow: shadow .* is now a 10% canary: not worse than live/);
      expect(after).toMatchObject({ live: canary, canary: { version: shadow, percent: 10 }, shadow: null });
    }
    console.info(`loop e2e: through shadow\n${published.stderr}${early.stderr}${moved.stderr}`);
  }, 240_000);
});
