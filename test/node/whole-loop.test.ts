import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Decisions, ModelState } from "../../src/gateway/admin/models/schemas.ts";
import { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import { canaryBucket } from "../../src/gateway/registry/canary.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";
import { finished, spawnLoop } from "../helpers/loop-cli.ts";
import { uploadClincVersion } from "../helpers/stack-traffic.ts";
import { shuffledOutputs } from "../workerd/registry-helpers.ts";

/**
 * Issue 13's "Done when" on the local stack (`npm start`: wrangler dev with its queue, R2, D1, KV and
 * Durable Object, the local teacher, the cron through /__scheduled), one stage after another:
 * 1. a permuted student (the shipped graph with its output columns shuffled, nearly always wrong) runs
 *    in shadow beside live, never answers, is found worse than live, and `npm run loop --shadow`
 *    stops it;
 * 2. the same version as a canary, with clients' feedback (CLINC150's true labels, by x-request-id) on
 *    both arms: the cron rolls it back on the feedback;
 * 3. the permuted version put live by hand, then the shipped student in shadow: the loop makes it a
 *    canary once it was compared on enough texts, and the cron promotes it on its agreement with the
 *    teacher;
 * 4. a teacher budget on the model: it runs out and the student answers degraded with reason `budget`.
 * Each decision is printed with its figures, for the issue's closing note.
 */
const MODEL = "clinc150";
const LIVE = "1.0.0";
const PERMUTED = "2.0.0-permuted";
const BETTER = "3.0.0";
/** Texts per arm and stage; feedback decides a canary once each arm has this many. */
const PER_ARM = 40;
const BATCH = 10;
const BUDGET = 25;
const CRON = "*/5+*+*+*+*";

type Labelled = { text: string; label: string };
type Answered = ClassifyResponse & { requestId: string; rows: Labelled[] };

describe("the whole loop on the local stack", () => {
  let fresh: FreshStack;
  let stack: Stack;
  let labels: string[];
  let pool: Labelled[];
  let taken = 0;
  const printed: string[] = [];

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${stack.gatewayUrl}/admin/models/${MODEL}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${stack.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const adminOk = async (method: string, path: string, body?: unknown) => {
    const res = await admin(method, path, body);
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return res;
  };
  const state = async () => ModelState.parse(await (await adminOk("GET", "")).json());
  const decisions = async () => Decisions.parse(await (await adminOk("GET", "/decisions")).json());
  const stats = async () =>
    StatsResponse.parse(
      await (
        await fetch(`${stack.gatewayUrl}/admin/stats?model=${MODEL}`, {
          headers: { authorization: `Bearer ${stack.adminToken}` },
        })
      ).json(),
    );

  /** A fresh request id the canary split (at `percent`) sends to the canary, or not. */
  const requestId = (onCanary: boolean, percent: number): string => {
    for (;;) {
      const id = crypto.randomUUID();
      if (canaryBucket(id) < percent === onCanary) return id;
    }
  };
  const classify = async (rows: Labelled[], id: string, teacher: "always" | "never") => {
    const res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify({ model: MODEL, texts: rows.map((r) => r.text), options: { teacher } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return ClassifyResponse.parse(await res.json());
  };
  /** `count` unseen labelled texts, sent to the teacher too, in batches whose ids `id` picks. */
  const traffic = async (count: number, id: () => string): Promise<Answered[]> => {
    const answered: Answered[] = [];
    for (let sent = 0; sent < count; sent += BATCH) {
      const rows = pool.slice(taken, taken + BATCH);
      taken += BATCH;
      const requestId = id();
      answered.push({ ...(await classify(rows, requestId, "always")), requestId, rows });
    }
    return answered;
  };
  /** Clients send the true label of every answered text, naming it by request id and index. */
  const feedback = async (answers: readonly Answered[]) => {
    for (const answer of answers)
      for (const [index, row] of answer.rows.entries()) {
        const body = { model: MODEL, request_id: answer.requestId, index, label: row.label };
        const res = await fetch(`${stack.gatewayUrl}/v1/feedback`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(res.status, await res.clone().text()).toBe(202);
      }
  };
  /** Waits until the pointer change reached the isolate: a request on the canary's side sees `version`. */
  const serving = async (version: string, onCanary: boolean, percent = 50) =>
    expect
      .poll(async () => (await classify(pool.slice(0, 1), requestId(onCanary, percent), "never")).version, {
        timeout: 15_000,
        interval: 250,
      })
      .toBe(version);
  /** The running candidate's standing, once `ready` says its counts arrived through the queue. */
  const standing = async (ready: (e: Decisions["evidence"][number]) => boolean) => {
    let evidence: Decisions["evidence"][number] | undefined;
    await expect
      .poll(
        async () => {
          [evidence] = (await decisions()).evidence;
          return evidence !== undefined && ready(evidence);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    return evidence!;
  };
  /** One `npm run loop --once` round in shadow mode; nothing is trained while a shadow runs. */
  const loopRound = async () => {
    const args = ["--runs", `${fresh.dir}/runs`, "--shadow", "100", "--shadow-min", String(PER_ARM)];
    const run = await finished(
      spawnLoop(stack.gatewayUrl, stack.adminToken, MODEL, [...args, "--canary", "50"]),
    );
    expect(run.code, run.stderr).toBe(0);
    const moves = run.stderr.split("\n").filter((l) => / (shadow|wait): /.test(l));
    for (const move of moves) console.log(`whole loop: ${move}`);
    printed.push(...moves);
    return run.stderr;
  };
  /** Runs the cron until it has taken `n` decisions; returns the last. */
  const cronDecides = async (n: number) => {
    await expect
      .poll(
        async () => {
          await fetch(`${stack.gatewayUrl}/__scheduled?cron=${CRON}`);
          return (await decisions()).decisions.length;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(n);
    const last = (await decisions()).decisions.at(-1)!;
    const rate = (r: typeof last.figures.canary) =>
      `${r.agree}/${r.total} = ${((r.rate ?? 0) * 100).toFixed(1)}% [${(r.lower * 100).toFixed(1)}, ${(r.upper * 100).toFixed(1)}]`;
    const line =
      `decision ${n}: ${last.action} ${last.canary} (live ${last.live}), reason ${last.reason}, ` +
      `evidence ${last.evidence}, alpha ${last.alpha}: canary ${rate(last.figures.canary)}, ` +
      `live ${rate(last.figures.live)}, difference [${(last.figures.difference.lower * 100).toFixed(1)}, ` +
      `${(last.figures.difference.upper * 100).toFixed(1)}] pp`;
    printed.push(line);
    console.log(`whole loop: ${line}`);
    return last;
  };

  beforeAll(async () => {
    fresh = await startFreshStack("whole-loop", {
      // Every confident answer audited (each text is evidence), no answer cache (a repeated text
      // reaches the teacher again), pointers re-read within half a second.
      vars: { AUDIT_RATE: "1", TEACHER_CACHE_TTL_S: "0", REGISTRY_TTL_MS: "500", USAGE_FLUSH_MS: "500" },
      testScheduled: true,
      readyTimeoutMs: 120_000,
    });
    stack = fresh.stack;
    const manifest = JSON.parse(await readFile("models/clinc150/manifest.json", "utf8"));
    labels = manifest.labels;
    const data = JSON.parse(await readFile("datasets/clinc150/data_full.json", "utf8")) as {
      test: [string, string][];
    };
    // Every 11th test row: the split is grouped by intent, so this walks through all of them.
    pool = data.test.filter((_, i) => i % 11 === 0).map(([text, label]) => ({ text, label }));
    await uploadClincVersion(stack.gatewayUrl, stack.adminToken, PERMUTED, (graph) =>
      shuffledOutputs(graph, labels.length, 1),
    );
    await uploadClincVersion(stack.gatewayUrl, stack.adminToken, BETTER);
  }, 180_000);
  afterAll(async () => {
    if (printed.length > 0) console.log(`whole loop, the decisions:\n${printed.join("\n")}`);
    await fresh?.stop();
  });

  it("a permuted student in shadow never answers, stands worse than live, and the loop stops it", async () => {
    await adminOk("PUT", "/shadow", { version: PERMUTED, percent: 100 });
    await new Promise((r) => setTimeout(r, 1000));
    const answers = await traffic(PER_ARM, () => crypto.randomUUID());
    for (const a of answers) expect(a.version).toBe(LIVE);
    const shadow = await standing((e) => e.candidate.total >= PER_ARM && e.live.total >= PER_ARM);
    expect(shadow).toMatchObject({
      role: "shadow",
      evidence: "teacher",
      verdict: "worse",
      candidate: { version: PERMUTED },
      live: { version: LIVE },
    });
    expect(shadow.difference.upper).toBeLessThan(0);
    const line = `shadow ${PERMUTED}: teacher agreement ${shadow.candidate.agree}/${shadow.candidate.total} vs live ${shadow.live.agree}/${shadow.live.total}, difference [${(shadow.difference.lower * 100).toFixed(1)}, ${(shadow.difference.upper * 100).toFixed(1)}] pp, ${shadow.verdict}`;
    printed.push(line);
    console.log(`whole loop: ${line}`);

    expect(await loopRound()).toMatch(/shadow: stopped shadow 2\.0\.0-permuted: worse than live/);
    expect(await state()).toMatchObject({ live: LIVE, shadow: null, canary: null });
  }, 90_000);

  it("as a canary with feedback on both arms it is rolled back by the cron, on the feedback", async () => {
    // An operator overrides the loop and tries it as a canary anyway.
    await adminOk("POST", "/promote", {
      version: PERMUTED,
      canary_percent: 50,
      decision: { min_feedback: PER_ARM },
    });
    expect(await state()).toMatchObject({ live: LIVE, shadow: null, canary: { version: PERMUTED } });
    await serving(PERMUTED, true);
    await serving(LIVE, false);
    const onCanary = await traffic(PER_ARM, () => requestId(true, 50));
    for (const a of onCanary) expect(a.version).toBe(PERMUTED);
    const onLive = await traffic(PER_ARM, () => requestId(false, 50));
    for (const a of onLive) expect(a.version).toBe(LIVE);
    await feedback([...onCanary, ...onLive]);
    const canary = await standing(
      (e) => e.feedback !== null && e.feedback.candidate >= PER_ARM && e.feedback.live >= PER_ARM,
    );
    expect(canary).toMatchObject({ role: "canary", evidence: "feedback", verdict: "worse" });

    const decided = await cronDecides(1);
    expect(decided).toMatchObject({
      action: "rollback",
      reason: "worse",
      evidence: "feedback",
      canary: PERMUTED,
      live: LIVE,
      figures: { canary: { total: PER_ARM }, live: { total: PER_ARM } },
    });
    expect(decided.figures.difference.upper).toBeLessThan(0);
    expect(decided.figures.canary.rate!).toBeLessThan(decided.figures.live.rate!);
    expect(await state()).toMatchObject({ live: LIVE, canary: null });
  }, 90_000);

  it("a better student goes from shadow to canary by the loop, and is promoted by the cron", async () => {
    // An operator puts the permuted version live by hand; the shipped student comes back in shadow.
    await adminOk("POST", "/promote", { version: PERMUTED });
    await adminOk("PUT", "/shadow", { version: BETTER, percent: 100 });
    await serving(PERMUTED, false);
    await traffic(PER_ARM, () => crypto.randomUUID());
    const shadow = await standing((e) => e.candidate.total >= PER_ARM);
    expect(shadow).toMatchObject({ role: "shadow", candidate: { version: BETTER } });
    expect(shadow.verdict).not.toBe("worse");
    expect(await loopRound()).toMatch(/shadow: shadow 3\.0\.0 is now a 50% canary: not worse than live/);
    expect(await state()).toMatchObject({ live: PERMUTED, shadow: null, canary: { version: BETTER } });

    await serving(BETTER, true);
    await serving(PERMUTED, false);
    await traffic(PER_ARM, () => requestId(true, 50));
    await traffic(PER_ARM, () => requestId(false, 50));
    const canary = await standing(
      (e) => e.role === "canary" && e.candidate.total >= PER_ARM && e.live.total >= PER_ARM,
    );
    expect(canary).toMatchObject({ evidence: "teacher", verdict: "better" });

    const decided = await cronDecides(2);
    expect(decided).toMatchObject({
      action: "promote",
      reason: "better",
      evidence: "teacher",
      canary: BETTER,
      live: PERMUTED,
    });
    expect(decided.figures.difference.lower).toBeGreaterThan(0);
    const now = await state();
    expect(now).toMatchObject({ live: BETTER, canary: null });
    expect(now.previous.at(-1)).toBe(PERMUTED);
  }, 120_000);

  it("a teacher budget runs out and the student answers degraded with reason budget", async () => {
    await adminOk("PUT", "", { labels, budget: { perHour: BUDGET } });
    await new Promise((r) => setTimeout(r, 1000));
    const results = [];
    // Batches of 5: the budget (25) is spent by the fifth, and the rest are refused whole.
    for (let i = 0; i < 10; i++) {
      const rows = pool.slice(taken, taken + 5);
      taken += 5;
      results.push(...(await classify(rows, crypto.randomUUID(), "always")).results);
    }
    const teacher = results.filter((r) => r.source === "teacher");
    const refused = results.filter((r) => r.degraded === true && r.reason === "budget");
    expect(teacher).toHaveLength(BUDGET);
    expect(refused).toHaveLength(results.length - BUDGET);
    for (const r of refused) expect(r).toMatchObject({ source: "student", label: r.student!.label });
    const { budget } = await stats();
    expect(budget).toMatchObject({
      limits: { per_hour: BUDGET },
      hour: { used: BUDGET, refused: results.length - BUDGET },
    });
    const line = `budget ${BUDGET}/hour: ${teacher.length} texts to the teacher, ${refused.length} answered degraded (budget); counter: used ${budget!.hour.used}, refused ${budget!.hour.refused}`;
    printed.push(line);
    console.log(`whole loop: ${line}`);
  }, 60_000);
});
