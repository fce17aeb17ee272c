import {
  applyD1Migrations,
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { FeedbackRecord } from "../../src/core/feedback.ts";
import { Decisions, ModelState } from "../../src/gateway/admin/models/schemas.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import worker from "../../src/gateway/index.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { canaryBucket, inShadow } from "../../src/gateway/registry/canary.ts";
import { CanaryPolicy } from "../../src/gateway/registry/canary-decision.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import texts from "../fixtures/clinc150-parity-texts.json";
import { adminEnv, app, auth, bindings, db } from "./admin-stats-helpers.ts";
import { post } from "./gateway-helpers.ts";
import { form, shuffledOutputs } from "./registry-helpers.ts";

/**
 * Shadow and canary on the real stack: versions uploaded to R2, pointers in KV, answers from the local
 * teacher server, agreement counts through the real queue and consumer into D1, and the decision taken
 * by the Worker's own scheduled() handler. The worse version is the shipped clinc150 student with its
 * output columns shuffled (nearly always wrong); the better one is the shipped student under a new version.
 */
const MODEL = "clinc150";
const shipped = BUNDLED_MODELS[MODEL]!;
const CLASSES = (shipped.manifest as { labels: string[] }).labels.length;
const TEXTS_PER_ARM = 40;
const BATCH = 10;

beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
});

const env = (): Env => adminEnv({ TEACHER_URL: inject("teachers").healthy, AUDIT_RATE: "1" });

async function admin(method: string, path: string, body?: unknown | FormData): Promise<Response> {
  const init: RequestInit =
    body instanceof FormData
      ? { method, body, headers: auth }
      : {
          method,
          headers: { ...auth, "content-type": "application/json" },
          ...(body ? { body: JSON.stringify(body) } : {}),
        };
  return app.request(`/admin/models/${MODEL}${path}`, init, env());
}

async function upload(version: string, graph: Uint8Array): Promise<void> {
  const manifest = structuredClone(shipped.manifest) as Record<string, unknown> & {
    onnx: Record<string, unknown>;
  };
  manifest.version = version;
  manifest.onnx = { ...manifest.onnx, bytes: graph.byteLength, sha256: await sha256Hex(graph) };
  const res = await admin("PUT", `/versions/${version}`, form(manifest, graph));
  expect(res.status, await res.clone().text()).toBe(201);
}

const shippedGraph = () => new Uint8Array(shipped.onnx as ArrayBuffer);

/** A request id whose requests the canary (or, with `shadow`, the shadow at 50 %) takes, or does not. */
function requestId(wanted: boolean, percent: number, salt: string, shadow = false): string {
  for (let i = 0; ; i++) {
    const id = `${salt}-${i}`;
    const taken = shadow ? inShadow({ percent }, id) : canaryBucket(id) < percent;
    if (taken === wanted) return id;
  }
}

type Answered = ClassifyResponse & { request_id: string };

/** Sends `count` texts, teacher "always", with request ids the split sends where `wanted` says. */
async function traffic(count: number, pick: (salt: string) => string, from: number): Promise<Answered[]> {
  const answers: Answered[] = [];
  for (let start = from; start < from + count; start += BATCH) {
    const ctx = createExecutionContext();
    const batch = (texts as string[]).slice(start, start + BATCH);
    const requestId = pick(`r${start}-${crypto.randomUUID()}`);
    const res = await app.request(
      "/v1/classify",
      post({ texts: batch, model: MODEL, options: { teacher: "always" } }, { "x-request-id": requestId }),
      env(),
      ctx,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    answers.push({ ...ClassifyResponse.parse(await res.json()), request_id: requestId });
    await waitOnExecutionContext(ctx);
  }
  return answers;
}

/** Waits until the consumer has written `n` texts of the version's agreement (queue batch timeout: 5 s). */
async function counted(version: string, role: "served" | "shadow", n: number): Promise<void> {
  const read = () =>
    db
      .prepare(
        "SELECT COALESCE(SUM(n), 0) AS n FROM agreement_counts WHERE model = ? AND version = ? AND role = ?",
      )
      .bind(MODEL, version, role)
      .first<{ n: number }>();
  let row = await read();
  for (let i = 0; i < 120 && (row?.n ?? 0) < n; i++) {
    await new Promise((r) => setTimeout(r, 250));
    row = await read();
  }
  expect(row?.n).toBeGreaterThanOrEqual(n);
}

/**
 * Feedback on every text of the answers, by request id and index (the answer trail names the version):
 * `truth` picks the label a client says was right given the student's.
 */
async function feedback(answers: readonly Answered[], truth: (student: string) => string): Promise<void> {
  for (const answer of answers)
    for (const [index, result] of answer.results.entries()) {
      const ctx = createExecutionContext();
      const body = { request_id: answer.request_id, index, label: truth(result.student!.label) };
      const res = await app.request("/v1/feedback", post(body), env(), ctx);
      expect(res.status, await res.clone().text()).toBe(202);
      await waitOnExecutionContext(ctx);
    }
}

/** Waits until the consumer has written `n` feedback records on the version's answers. */
async function feedbackStored(version: string, n: number): Promise<void> {
  const read = () =>
    db
      .prepare("SELECT COUNT(*) AS n FROM feedback WHERE model = ? AND version = ?")
      .bind(MODEL, version)
      .first<{ n: number }>();
  let row = await read();
  for (let i = 0; i < 120 && (row?.n ?? 0) < n; i++) {
    await new Promise((r) => setTimeout(r, 250));
    row = await read();
  }
  expect(row?.n).toBeGreaterThanOrEqual(n);
}

async function state(): Promise<ModelState> {
  const res = await admin("GET", "");
  expect(res.status).toBe(200);
  return ModelState.parse(await res.json());
}

async function decisions(): Promise<Decisions> {
  const res = await admin("GET", "/decisions");
  expect(res.status, await res.clone().text()).toBe(200);
  return Decisions.parse(await res.json());
}

/** The Worker's cron handler, as the [triggers] schedule runs it. */
async function cron(): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), adminEnv());
}

describe("shadow and canary decided by evidence", () => {
  it("a shadow runs beside live without answering; a worse canary is rolled back by the cron", async () => {
    const live = (await state()).live!;
    await upload("9.0.0-shuffled", shuffledOutputs(shippedGraph(), CLASSES, 1));

    // Shadow: half the requests, never the answer.
    let res = await admin("PUT", "/shadow", { version: "9.0.0-shuffled", percent: 50 });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await state()).shadow).toMatchObject({ version: "9.0.0-shuffled", percent: 50 });
    const shadowed = await traffic(TEXTS_PER_ARM, (s) => requestId(true, 50, s, true), 0);
    for (const a of shadowed) expect(a.version).toBe(live);
    await counted("9.0.0-shuffled", "shadow", TEXTS_PER_ARM);
    const [shadow] = (await decisions()).evidence;
    expect(shadow).toMatchObject({
      role: "shadow",
      verdict: "worse",
      candidate: { version: "9.0.0-shuffled" },
    });
    expect(shadow!.candidate.rate!).toBeLessThan(shadow!.live.rate!);

    // Canary: made one, the shadow ends (the version now serves).
    res = await admin("POST", "/promote", { version: "9.0.0-shuffled", canary_percent: 50 });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(ModelState.parse(await res.json())).toMatchObject({
      live,
      shadow: null,
      canary: { version: "9.0.0-shuffled", percent: 50 },
    });
    await cron(); // no evidence yet: nothing is decided
    expect((await state()).canary?.version).toBe("9.0.0-shuffled");

    const onCanary = await traffic(TEXTS_PER_ARM, (s) => requestId(true, 50, s), 40);
    for (const a of onCanary) expect(a.version).toBe("9.0.0-shuffled");
    await traffic(TEXTS_PER_ARM, (s) => requestId(false, 50, s), 80);
    await counted("9.0.0-shuffled", "served", TEXTS_PER_ARM);
    await counted(live, "served", 2 * TEXTS_PER_ARM);
    await cron();

    expect(await state()).toMatchObject({ live, canary: null });
    const last = (await decisions()).decisions.at(-1)!;
    expect(last).toMatchObject({
      action: "rollback",
      reason: "worse",
      evidence: "teacher",
      canary: "9.0.0-shuffled",
      live,
      alpha: 0.05,
    });
    expect(last.figures.canary.total).toBeGreaterThanOrEqual(TEXTS_PER_ARM);
    expect(last.figures.difference.upper).toBeLessThan(0);
  }, 120_000);

  it("a better canary is promoted by the cron, the old live kept for rollback", async () => {
    await upload("9.1.0-shuffled", shuffledOutputs(shippedGraph(), CLASSES, 2));
    await upload("9.2.0", shippedGraph());
    let res = await admin("POST", "/promote", { version: "9.1.0-shuffled" });
    expect(res.status, await res.clone().text()).toBe(200);
    res = await admin("POST", "/promote", {
      version: "9.2.0",
      canary_percent: 30,
      decision: { alpha: 0.01 },
    });
    expect(res.status, await res.clone().text()).toBe(200);

    await traffic(TEXTS_PER_ARM, (s) => requestId(true, 30, s), 120);
    await traffic(TEXTS_PER_ARM, (s) => requestId(false, 30, s), 160);
    await counted("9.2.0", "served", TEXTS_PER_ARM);
    await counted("9.1.0-shuffled", "served", TEXTS_PER_ARM);
    await cron();

    const now = await state();
    expect(now).toMatchObject({ live: "9.2.0", canary: null });
    expect(now.previous.at(-1)).toBe("9.1.0-shuffled");
    const last = (await decisions()).decisions.at(-1)!;
    expect(last).toMatchObject({
      action: "promote",
      reason: "better",
      evidence: "teacher",
      canary: "9.2.0",
      live: "9.1.0-shuffled",
      alpha: 0.01,
    });
    expect(last.figures.difference.lower).toBeGreaterThan(0);
    expect(last.figures.canary.rate!).toBeGreaterThan(last.figures.live.rate!);
  }, 120_000);

  it("a canary worse on feedback but equal on teacher agreement is rolled back on the feedback", async () => {
    const live = (await state()).live!;
    // The same student under a new version: it agrees with the teacher exactly as live does.
    await upload("9.3.0", shippedGraph());
    const res = await admin("POST", "/promote", {
      version: "9.3.0",
      canary_percent: 50,
      decision: { min_feedback: TEXTS_PER_ARM },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    // Both arms answer the same texts, so their agreement with the teacher is the same.
    const onCanary = await traffic(TEXTS_PER_ARM, (s) => requestId(true, 50, s), 0);
    for (const a of onCanary) expect(a.version).toBe("9.3.0");
    const onLive = await traffic(TEXTS_PER_ARM, (s) => requestId(false, 50, s), 0);
    for (const a of onLive) expect(a.version).toBe(live);
    await counted("9.3.0", "served", TEXTS_PER_ARM);

    // Without feedback the teacher is the evidence, and it cannot tell the two apart.
    await cron();
    expect((await state()).canary?.version).toBe("9.3.0");
    const [before] = (await decisions()).evidence;
    expect(before).toMatchObject({
      role: "canary",
      evidence: "teacher",
      verdict: "undecided",
      feedback: { candidate: 0, live: 0, required: TEXTS_PER_ARM },
    });
    expect(before!.candidate.rate).toBeGreaterThan(0.5);

    // Clients say the canary's student was wrong every time, and live's right every time.
    const labels = (shipped.manifest as { labels: string[] }).labels;
    await feedback(onCanary, (student) => (student === labels[0] ? labels[1]! : labels[0]!));
    await feedbackStored("9.3.0", TEXTS_PER_ARM);
    // Enough on one side only: still the teacher's call.
    expect((await decisions()).evidence[0]).toMatchObject({
      evidence: "teacher",
      feedback: { candidate: TEXTS_PER_ARM, live: 0 },
    });
    await feedback(onLive, (student) => student);
    await feedbackStored(live, TEXTS_PER_ARM);
    const [standing] = (await decisions()).evidence;
    expect(standing).toMatchObject({
      evidence: "feedback",
      verdict: "worse",
      candidate: { version: "9.3.0", agree: 0, total: TEXTS_PER_ARM },
      live: { version: live, agree: TEXTS_PER_ARM, total: TEXTS_PER_ARM },
    });
    await cron();

    expect(await state()).toMatchObject({ live, canary: null });
    const last = (await decisions()).decisions.at(-1)!;
    expect(last).toMatchObject({
      action: "rollback",
      reason: "worse",
      evidence: "feedback",
      canary: "9.3.0",
      live,
      figures: { canary: { agree: 0, total: TEXTS_PER_ARM }, live: { agree: TEXTS_PER_ARM } },
    });
    expect(last.figures.difference.upper).toBeLessThan(0);
  }, 120_000);

  it("feedback on a shadowed request counts for the shadow once per text; a shadow worse on it stands worse", async () => {
    const live = (await state()).live!;
    const shadowVersion = "9.4.0-shuffled";
    const { min_feedback: required } = CanaryPolicy.parse({});
    await upload(shadowVersion, shuffledOutputs(shippedGraph(), CLASSES, 3));
    const res = await admin("PUT", "/shadow", { version: shadowVersion, percent: 50 });
    expect(res.status, await res.clone().text()).toBe(200);
    const shadowed = await traffic(required, (s) => requestId(true, 50, s, true), 0);

    // Clients say live's student was right every time: the shuffled shadow's labels mostly were not.
    await feedback(shadowed, (student) => student);
    const onShadow = () =>
      db
        .prepare(
          "SELECT COUNT(*) AS n, COALESCE(SUM(shadow_label = label), 0) AS agree FROM feedback " +
            "WHERE model = ? AND shadow_version = ?",
        )
        .bind(MODEL, shadowVersion)
        .first<{ n: number; agree: number }>();
    let first = await onShadow();
    for (let i = 0; i < 120 && first!.n < required; i++) {
      await new Promise((r) => setTimeout(r, 250));
      first = await onShadow();
    }
    expect(first!.n).toBe(required);
    expect(first!.agree).toBeLessThan(required / 2);

    const [standing] = (await decisions()).evidence;
    expect(standing).toMatchObject({
      role: "shadow",
      evidence: "feedback",
      verdict: "worse",
      feedback: {
        candidate: required,
        live: required,
        required,
        accuracy: { verdict: "worse", live: { agree: required, total: required } },
      },
      candidate: { version: shadowVersion, agree: first!.agree, total: required },
      live: { version: live, agree: required, total: required },
    });
    expect(standing!.difference.upper).toBeLessThan(0);

    // A repeat on a text the shadow got wrong, now naming the shadow's label: it replaces, never adds.
    const wrong = await db
      .prepare(
        "SELECT request_id, text_index, shadow_label FROM feedback " +
          "WHERE model = ? AND shadow_version = ? AND shadow_label <> label LIMIT 1",
      )
      .bind(MODEL, shadowVersion)
      .first<{ request_id: string; text_index: number; shadow_label: string }>();
    const ctx = createExecutionContext();
    const body = { request_id: wrong!.request_id, index: wrong!.text_index, label: wrong!.shadow_label };
    const repeat = await app.request("/v1/feedback", post(body), env(), ctx);
    expect(repeat.status, await repeat.clone().text()).toBe(202);
    await waitOnExecutionContext(ctx);
    let after = await onShadow();
    for (let i = 0; i < 120 && after!.agree === first!.agree; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await onShadow();
    }
    expect(after).toEqual({ n: required, agree: first!.agree + 1 });
    // The export carries what the row holds.
    const exported = await app.request(`/admin/feedback?model=${MODEL}`, { headers: auth }, env());
    expect(exported.status).toBe(200);
    const records = (await exported.text())
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => FeedbackRecord.parse(JSON.parse(line)));
    expect(records.filter((r) => r.shadow?.version === shadowVersion)).toHaveLength(required);
    const [again] = (await decisions()).evidence;
    expect(again!.feedback.candidate).toBe(required);
    expect(again!.candidate).toMatchObject({ agree: first!.agree + 1, total: required });

    expect((await admin("DELETE", "/shadow")).status).toBe(200);
  }, 180_000);

  it("refuses a shadow of the live version, a decision policy without a canary, and stopping no shadow", async () => {
    const live = (await state()).live!;
    for (const [method, path, body] of [
      ["PUT", "/shadow", { version: live, percent: 10 }],
      ["PUT", "/shadow", { version: live, percent: 0 }],
      ["POST", "/promote", { version: live, decision: { alpha: 0.05 } }],
      ["DELETE", "/shadow", undefined],
    ] as const) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
  });
});
