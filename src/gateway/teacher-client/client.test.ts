import { describe, expect, it } from "vitest";
import { teacherConfig } from "../../../test/workerd/teacher-helpers.ts";
import { createTeacherClient } from "./client.ts";
import { type TeacherAdapter, type TeacherAnswer, TeacherError, type TeacherQuery } from "./types.ts";

/**
 * The client's side of the adapter contract, through its public override (the third argument, which an
 * app uses to bring its own teacher): every answer is checked before the cascade sees it, and every
 * failure is an outcome, exact in kind and message. The adapters themselves are specified against real
 * teachers (test/workerd/teacher-adapters.test.ts and its neighbours, run in Node by
 * test/node/teacher-client.test.ts).
 */
const LABELS = ["ham", "spam"];
const query = (texts: string[]): TeacherQuery => ({ model: "sms-spam", labels: LABELS, texts });
let serial = 0;
/** A config no other test shares (guards are keyed by teacher URL). */
const config = (env: Record<string, string> = {}) =>
  teacherConfig({ TEACHER_URL: `http://teacher-${++serial}.test`, TEACHER_PROTOCOL: "http-json", ...env });

/** A teacher that answers with `answers` whatever it is asked, and counts its calls. */
function answering(answers: TeacherAnswer[] | ((q: TeacherQuery) => TeacherAnswer[])) {
  const calls: TeacherQuery[] = [];
  const adapter: TeacherAdapter = {
    protocol: "http-json",
    async classify(q) {
      calls.push(q);
      return typeof answers === "function" ? answers(q) : answers;
    },
  };
  return { adapter, calls };
}
const ham = (confidence = 0.9, probs: number[] | null = null): TeacherAnswer => ({
  label: "ham",
  confidence,
  probs,
});

describe("the answers an adapter returns are checked", () => {
  it.each([
    ["one answer for two texts", [ham()], "bad_response", "1 answers for 2 texts"],
    [
      "a label outside the set",
      [ham(), { label: "eggs", confidence: 1, probs: null }],
      "unknown_label",
      'label "eggs" is not in the label set',
    ],
    ["a confidence above 1", [ham(), ham(1.5)], "bad_response", "confidence 1.5 is not a probability"],
    ["a negative confidence", [ham(-0.1), ham()], "bad_response", "confidence -0.1 is not a probability"],
    [
      "a confidence that is NaN",
      [ham(), ham(Number.NaN)],
      "bad_response",
      "confidence NaN is not a probability",
    ],
    ["probs of another length", [ham(), ham(0.9, [0.9])], "bad_response", "1 probs for 2 labels"],
  ])("%s is a failure", async (_, answers, kind, message) => {
    const client = createTeacherClient(config(), {}, answering(answers as TeacherAnswer[]).adapter);
    expect(await client.ask(query(["a", "b"]))).toEqual({
      ok: false,
      kind,
      message,
      latencyMs: expect.any(Number),
    });
  });

  it("confidences 0 and 1 are probabilities; probs over every label are kept", async () => {
    const answers = [ham(0), { label: "spam", confidence: 1, probs: [0, 1] }];
    const client = createTeacherClient(config(), {}, answering(answers).adapter);
    expect(await client.ask(query(["a", "b"]))).toEqual({
      ok: true,
      answers,
      cached: [false, false],
      latencyMs: expect.any(Number),
    });
  });
});

describe("outcomes", () => {
  it("no texts: no call, an empty answer", async () => {
    const teacher = answering([]);
    const client = createTeacherClient(config(), {}, teacher.adapter);
    expect(await client.ask(query([]))).toEqual({
      ok: true,
      answers: [],
      cached: [],
      latencyMs: expect.any(Number),
    });
    expect(teacher.calls).toHaveLength(0);
  });

  it("an override that is an error fails every call with it, under the configured protocol", async () => {
    const client = createTeacherClient(
      config({ TEACHER_PROTOCOL: "openai" }),
      {},
      new TeacherError("not_configured", "no teacher here"),
    );
    expect(client.protocol).toBe("openai");
    expect(await client.ask(query(["a"]))).toEqual({
      ok: false,
      kind: "not_configured",
      message: "no teacher here",
      latencyMs: expect.any(Number),
    });
    expect(client.breakerState()).toBe("closed");
  });

  it("an adapter that throws something else is a bad_response with its message", async () => {
    const adapter: TeacherAdapter = {
      protocol: "kserve-v2",
      classify: () => Promise.reject(new Error("adapter bug")),
    };
    const client = createTeacherClient(config(), {}, adapter);
    expect(client.protocol).toBe("kserve-v2");
    expect(await client.ask(query(["a"]))).toMatchObject({
      ok: false,
      kind: "bad_response",
      message: "adapter bug",
    });
  });

  it("the teacher sees the model, labels and texts asked, and nothing of the cache scope", async () => {
    const teacher = answering((q) => q.texts.map(() => ham()));
    const client = createTeacherClient(config(), {}, teacher.adapter);
    const scoped = { ...query(["a", "b"]), cache: { model: "sms-spam", version: "1.0.0" } };
    expect(await client.ask(scoped)).toMatchObject({ ok: true, cached: [false, false] });
    expect(teacher.calls).toEqual([query(["a", "b"])]);
  });

  it("the budget is asked for every text sent; its refusal is the outcome, with when to retry", async () => {
    const teacher = answering((q) => q.texts.map(() => ham()));
    const client = createTeacherClient(config(), {}, teacher.adapter);
    const asked: number[] = [];
    const refusing = {
      reserve: async (count: number) => {
        asked.push(count);
        return { granted: false as const, message: "the teacher budget is spent", retryAfterS: 30 };
      },
    };
    expect(await client.ask(query(["a", "b", "c"]), { budget: refusing })).toEqual({
      ok: false,
      kind: "budget",
      message: "the teacher budget is spent",
      retryAfterS: 30,
      latencyMs: expect.any(Number),
    });
    expect(asked).toEqual([3]);
    expect(teacher.calls).toHaveLength(0);
    const granting = { reserve: async () => ({ granted: true as const }) };
    expect(await client.ask(query(["a"]), { budget: granting })).toMatchObject({ ok: true });
    expect(teacher.calls).toHaveLength(1);
  });

  it("a failure without a retry time carries none", async () => {
    const client = createTeacherClient(config(), {}, new TeacherError("network", "down"));
    const outcome = await client.ask(query(["a"]));
    expect(Object.keys(outcome).sort()).toEqual(["kind", "latencyMs", "message", "ok"]);
  });
});

describe("the answer cache's writes (the Cache API itself is specified in workerd)", () => {
  const scope = { model: "sms-spam", version: "1.0.0" };
  /** A waitUntil that keeps what it is handed. */
  function keeping() {
    const handed: Promise<unknown>[] = [];
    return { handed, waitUntil: (promise: Promise<unknown>) => void handed.push(promise) };
  }
  const answerAll = () => answering((q) => q.texts.map(() => ham())).adapter;

  it("go to waitUntil only when the query has a cache scope and the TTL is above 0", async () => {
    const cases: [string, Record<string, string>, boolean, number][] = [
      ["scoped, TTL 1 s", { TEACHER_CACHE_TTL_S: "1" }, true, 1],
      ["no scope", { TEACHER_CACHE_TTL_S: "3600" }, false, 0],
      ["TTL 0", { TEACHER_CACHE_TTL_S: "0" }, true, 0],
    ];
    for (const [what, env, scoped, writes] of cases) {
      const kept = keeping();
      const client = createTeacherClient(config(env), {}, answerAll());
      const asked = scoped ? { ...query(["a", "b"]), cache: scope } : query(["a", "b"]);
      expect(await client.ask(asked, { waitUntil: kept.waitUntil }), what).toMatchObject({ ok: true });
      expect(kept.handed, what).toHaveLength(writes);
      await Promise.all(kept.handed);
    }
  });

  it("a failure of a scoped query carries what the cache had: nothing, for each text", async () => {
    const client = createTeacherClient(config(), {}, new TeacherError("network", "down"));
    expect(await client.ask({ ...query(["a", "b"]), cache: scope })).toEqual({
      ok: false,
      kind: "network",
      message: "down",
      latencyMs: expect.any(Number),
      cachedAnswers: [null, null],
    });
  });

  it("ask never throws: a waitUntil that throws is a bad_response, timed from the call", async () => {
    const client = createTeacherClient(config(), {}, answerAll());
    const before = Date.now();
    const outcome = await client.ask(
      { ...query(["a"]), cache: scope },
      {
        waitUntil: () => {
          throw new Error("waitUntil after the response");
        },
      },
    );
    const elapsed = Date.now() - before;
    expect(outcome).toEqual({
      ok: false,
      kind: "bad_response",
      message: "waitUntil after the response",
      latencyMs: expect.any(Number),
    });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.latencyMs).toBeLessThanOrEqual(elapsed);
  });
});
