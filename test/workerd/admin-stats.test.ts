import { applyD1Migrations } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promote } from "../../src/gateway/registry/pointer.ts";
import { PointerStore } from "../../src/gateway/registry/pointers.ts";
import { componentValidator } from "../helpers/openapi.ts";
import {
  adminEnv,
  app,
  auth,
  bindings,
  db,
  logged,
  score,
  seedLog,
  stats,
  TOKEN,
  upload,
  usage,
} from "./admin-stats-helpers.ts";
import { expectError } from "./gateway-helpers.ts";

/**
 * GET /admin/stats over miniflare's real D1 (and R2/KV for the registry): usage and hard-example rows
 * seeded as the queue consumer writes them, exact figures asserted; the refusals.
 */

// The window of the seeded data: 24 hours ending at UNTIL, i.e. the hours 2031-03-09T13 … 2031-03-10T12.
const UNTIL = "2031-03-10T12:30:00.000Z";
const SINCE = "2031-03-09T13:00:00.000Z";
const AT = `until=${encodeURIComponent(UNTIL)}`;
let second = 0;
/** Distinct instants inside the window's 2031-03-10T11 hour. */
const inWindow = () =>
  `2031-03-10T11:${String(Math.floor(second / 60)).padStart(2, "0")}:${String(second++ % 60).padStart(2, "0")}.000Z`;

beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
  await upload("clinc150", "1.0.1", 0.4);
  await upload("sms-spam", "1.1.0", 0.75);
  const v0 = "1.0.0";
  const v1 = "1.0.1";
  await db.batch([
    // 1.0.0. Two flushes add up in the same hour; the window's first hour counts, the hours around it do not.
    usage({ flush: "f1", hour: "2031-03-10T12", version: v0, endpoint: "v1", source: "student", n: 6 }),
    usage({ flush: "f1", hour: "2031-03-10T12", version: v0, endpoint: "v1", source: "teacher", n: 2 }),
    usage({ flush: "f2", hour: "2031-03-10T12", version: v0, endpoint: "v2", source: "student", n: 2 }),
    usage({ flush: "f2", hour: "2031-03-10T12", version: v0, endpoint: "v1", source: "teacher", n: 2 }),
    usage({ flush: "f1", hour: "2031-03-10T10", version: v0, endpoint: "v1", source: "cache", n: 1 }),
    usage({ flush: "f1", hour: "2031-03-10T10", version: v0, endpoint: "v1", source: "degraded", n: 3 }),
    usage({ flush: "f1", hour: "2031-03-10T10", version: v0, endpoint: "v1", source: "student", n: 4 }),
    usage({ flush: "f3", hour: "2031-03-09T13", version: v0, endpoint: "v2", source: "teacher", n: 1 }),
    usage({ flush: "f1", hour: "2031-03-09T12", version: v0, endpoint: "v1", source: "student", n: 100 }),
    usage({ flush: "f1", hour: "2031-03-10T13", version: v0, endpoint: "v1", source: "student", n: 50 }),
    // 1.0.1, and another model in the same hour.
    usage({ flush: "f3", hour: "2031-03-10T12", version: v1, endpoint: "v1", source: "student", n: 5 }),
    usage({ flush: "f3", hour: "2031-03-10T12", version: v1, endpoint: "v1", source: "teacher", n: 5 }),
    usage(
      { flush: "f3", hour: "2031-03-10T12", version: v0, endpoint: "v1", source: "teacher", n: 40 },
      "sms-spam",
    ),
    score("f1", "2031-03-10T12", v0, 0, 3),
    score("f2", "2031-03-10T12", v0, 0, 2),
    score("f1", "2031-03-10T12", v0, 19, 7),
    score("f3", "2031-03-10T12", v1, 10, 4),
    score("f1", "2031-03-09T12", v0, 5, 9),
  ]);
  await seedLog([
    // 1.0.0 audit sample: 10, 7 agree; the first one exactly at the window's start.
    ...(await logged(1, SINCE, "audit", "balance", "transfer")),
    ...(await logged(1, inWindow, "audit", "balance", "transfer")),
    ...(await logged(1, inWindow, "audit", "transfer", "balance")),
    ...(await logged(4, inWindow, "audit", "balance", "balance")),
    ...(await logged(3, inWindow, "audit", "credit_score", "credit_score")),
    // 1.0.0 escalations; the last credit_score one exactly at the window's end.
    ...(await logged(2, inWindow, "teacher", "balance", "transfer")),
    ...(await logged(2, inWindow, "teacher", "pay_bill", "bill_due")),
    ...(await logged(2, inWindow, "teacher", "credit_score", "credit_limit")),
    ...(await logged(1, UNTIL, "teacher", "credit_score", "credit_limit")),
    ...(await logged(1, inWindow, "teacher", "balance", "balance")),
    ...(await logged(1, inWindow, "cache", "pay_bill", "bill_due")),
    ...(await logged(2, inWindow, "degraded", "balance", null)),
    // 1.0.1: audit 4, 3 agree; one escalation.
    ...(await logged(3, inWindow, "audit", "balance", "balance", v1)),
    ...(await logged(1, inWindow, "audit", "pay_bill", "bill_due", v1)),
    ...(await logged(1, inWindow, "teacher", "balance", "transfer", v1)),
    // Outside the window (a millisecond before and after it), and another model inside it.
    ...(await logged(5, "2031-03-09T12:59:59.999Z", "teacher", "transfer", "balance")),
    ...(await logged(3, "2031-03-10T12:30:00.001Z", "audit", "balance", "transfer")),
    ...(await logged(2, inWindow, "audit", "ham", "spam", "1.0.0", "sms-spam")),
  ]);
});

afterAll(async () => {
  await bindings.REGISTRY!.delete("pointer/sms-spam");
});

const zeroHour = (hour: string) => ({
  hour,
  answers: 0,
  student: 0,
  teacher: 0,
  cache: 0,
  degraded: 0,
  teacher_rate: null,
});

describe("GET /admin/stats over seeded D1 rows", () => {
  it("answers: totals, money, every hour of the window (idle ones zero), endpoints, score histogram", async () => {
    const s = await stats(AT);
    expect(s).toMatchObject({ model: "clinc150", version: null, since: SINCE, until: UNTIL, hours: 24 });
    expect(s.teacher_price_per_call).toBe(0.25);
    expect(s.totals).toEqual({
      answers: 31,
      student: 17,
      teacher: 10,
      cache: 1,
      degraded: 3,
      teacher_rate: 10 / 31,
      escalation_rate: 14 / 31,
      money_saved: 17 * 0.25,
      money_spent: 10 * 0.25,
    });
    expect(s.hourly).toHaveLength(24);
    expect(s.hourly[0]).toEqual({ ...zeroHour("2031-03-09T13"), answers: 1, teacher: 1, teacher_rate: 1 });
    expect(s.hourly[21]).toEqual({
      ...zeroHour("2031-03-10T10"),
      answers: 8,
      student: 4,
      cache: 1,
      degraded: 3,
      teacher_rate: 0,
    });
    expect(s.hourly[22]).toEqual(zeroHour("2031-03-10T11"));
    expect(s.hourly[23]).toEqual({
      ...zeroHour("2031-03-10T12"),
      answers: 22,
      student: 13,
      teacher: 9,
      teacher_rate: 9 / 22,
    });
    expect(s.hourly.slice(1, 21)).toEqual(
      Array.from({ length: 20 }, (_, i) => zeroHour(s.hourly[i + 1]!.hour)),
    );
    expect(s.hourly[1]!.hour).toBe("2031-03-09T14");
    expect(s.endpoints).toEqual({ v1: 28, v2: 3 });
    const counts = new Array(20).fill(0);
    [counts[0], counts[10], counts[19]] = [5, 4, 7];
    expect(s.score_histogram).toEqual({ bins: 20, counts });
  });

  it("hard examples: agreement with its Wilson interval, confused pairs most frequent first, routes", async () => {
    const s = await stats(AT);
    expect(s.agreement).toEqual({
      samples: 14,
      agree: 10,
      rate: 10 / 14,
      low: expect.closeTo(0.453504588, 8),
      high: expect.closeTo(0.882788121, 8),
      level: 0.95,
    });
    // Every route with a teacher label counts; degraded rows (no teacher label) and agreements do not.
    expect(s.confusions).toEqual([
      { student: "balance", teacher: "transfer", count: 5 },
      { student: "pay_bill", teacher: "bill_due", count: 4 },
      { student: "credit_score", teacher: "credit_limit", count: 3 },
      { student: "transfer", teacher: "balance", count: 1 },
    ]);
    expect(s.routes).toEqual({ teacher: 9, degraded: 2, cache: 1, audit: 14 });
    expect((await stats(`${AT}&top=2`)).confusions.map((c) => c.count)).toEqual([5, 4]);
  });

  it("per version: answers, teacher rate and agreement, in version order", async () => {
    const s = await stats(AT);
    expect(s.versions).toEqual([
      {
        version: "1.0.0",
        answers: 21,
        teacher_rate: 5 / 21,
        agreement: {
          samples: 10,
          agree: 7,
          rate: 0.7,
          low: expect.closeTo(0.39677322, 8),
          high: expect.closeTo(0.892210713, 8),
          level: 0.95,
        },
      },
      {
        version: "1.0.1",
        answers: 10,
        teacher_rate: 0.5,
        agreement: {
          samples: 4,
          agree: 3,
          rate: 0.75,
          low: expect.closeTo(0.300636052, 8),
          high: expect.closeTo(0.954413937, 8),
          level: 0.95,
        },
      },
    ]);
  });

  it("?version= restricts every figure to that version and reports its routing rule", async () => {
    const s = await stats(`${AT}&version=1.0.0&top=3`);
    expect(s.version).toBe("1.0.0");
    expect(s.threshold).toEqual({ score: "margin", value: 0.2082430564751957, version: "1.0.0" });
    expect(s.totals).toMatchObject({ answers: 21, student: 12, teacher: 5, cache: 1, degraded: 3 });
    expect(s.hourly[23]).toMatchObject({ answers: 12, student: 8, teacher: 4, teacher_rate: 4 / 12 });
    expect(s.endpoints).toEqual({ v1: 18, v2: 3 });
    expect(s.score_histogram.counts.filter((n) => n > 0)).toEqual([5, 7]);
    expect(s.routes).toEqual({ teacher: 8, degraded: 2, cache: 1, audit: 10 });
    expect(s.agreement).toMatchObject({ samples: 10, agree: 7, rate: 0.7 });
    // A tie is broken by the labels, so the order is stable.
    expect(s.confusions).toEqual([
      { student: "balance", teacher: "transfer", count: 4 },
      { student: "credit_score", teacher: "credit_limit", count: 3 },
      { student: "pay_bill", teacher: "bill_due", count: 3 },
    ]);
    expect(s.versions.map((v) => v.version)).toEqual(["1.0.0"]);

    const uploaded = await stats(`${AT}&version=1.0.1`);
    expect(uploaded.threshold).toEqual({ score: "margin", value: 0.4, version: "1.0.1" });
    expect(uploaded.totals).toMatchObject({ answers: 10, student: 5, teacher: 5 });
    expect(uploaded.routes).toEqual({ teacher: 1, degraded: 0, cache: 0, audit: 4 });
    expect(uploaded.confusions).toEqual([
      { student: "balance", teacher: "transfer", count: 1 },
      { student: "pay_bill", teacher: "bill_due", count: 1 },
    ]);
  });

  it("?hours= narrows the window to the last hours", async () => {
    const s = await stats(`${AT}&hours=3`);
    expect(s.since).toBe("2031-03-10T10:00:00.000Z");
    expect(s.hourly.map((h) => h.hour)).toEqual(["2031-03-10T10", "2031-03-10T11", "2031-03-10T12"]);
    expect(s.totals.answers).toBe(30); // without the 2031-03-09T13 hour
    expect(s.routes.audit).toBe(13); // without the audit logged at the 24-hour window's first instant
  });

  it("without until: the 24 hours ending now, the current hour last", async () => {
    const before = Date.now();
    const s = await stats("");
    const until = Date.parse(s.until);
    expect(until).toBeGreaterThanOrEqual(before);
    expect(until).toBeLessThanOrEqual(Date.now());
    expect(s.hourly).toHaveLength(24);
    expect(s.hourly.at(-1)!.hour).toBe(s.until.slice(0, 13));
    expect(Date.parse(s.since)).toBe(Date.parse(`${s.until.slice(0, 13)}:00:00Z`) - 23 * 3_600_000);
    expect(s.totals.answers).toBe(0); // the seeded rows are in 2031
  });

  it("the defaults: DEFAULT_MODEL, its live version's rule, TEACHER_PRICE_PER_CALL's default", async () => {
    const s = await stats(AT, adminEnv({ TEACHER_PRICE_PER_CALL: undefined }));
    expect(s.threshold).toEqual({ score: "margin", value: 0.2082430564751957, version: "1.0.0" });
    expect(s.teacher_price_per_call).toBe(0.0005);
    expect(s.totals.money_saved).toBeCloseTo(17 * 0.0005, 12);
    const other = await stats(AT, adminEnv({ DEFAULT_MODEL: "sms-spam" }));
    expect(other.model).toBe("sms-spam");
    expect(other.totals.teacher).toBe(40);
  });

  it("the threshold follows the registry: a promoted version's rule is the live one", async () => {
    await new PointerStore(bindings.REGISTRY!).put("sms-spam", promote(null, "1.1.0", undefined, new Date()));
    const s = await stats(`${AT}&model=sms-spam`);
    expect(s.threshold).toEqual({ score: "max_prob", value: 0.75, version: "1.1.0" });
    expect(s.version).toBeNull();
    // The figures of every version still count: the filter is ?version=.
    expect(s.routes.audit).toBe(2);
    expect(s.confusions).toEqual([{ student: "ham", teacher: "spam", count: 2 }]);
  });

  it("records with no student (before the model had one) count by route, never as disagreements", async () => {
    const at = "2033-01-01T00:30:00.000Z";
    const records = await logged(3, at, "teacher", "unused", "balance");
    await seedLog([
      ...records.map((r) => ({ ...r, student: null, reason: "no_student" })),
      ...(await logged(1, at, "audit", "balance", "balance")),
    ]);
    const s = await stats("until=2033-01-01T00:59:59Z&hours=1");
    expect(s.routes).toEqual({ teacher: 3, degraded: 0, cache: 0, audit: 1 });
    expect(s.confusions).toEqual([]);
    expect(s.agreement).toMatchObject({ samples: 1, agree: 1 });
    const { results } = await db
      .prepare("SELECT student_label, confidence FROM hard_examples WHERE ts = ? AND route = 'teacher'")
      .bind(at)
      .all();
    expect(results).toEqual(Array(3).fill({ student_label: null, confidence: null }));
  });

  it("a window without data: zeros, and null for every rate", async () => {
    const s = await stats("model=sms-spam&until=2030-01-01T00:00:00Z&hours=2");
    expect(s.totals).toEqual({
      answers: 0,
      student: 0,
      teacher: 0,
      cache: 0,
      degraded: 0,
      teacher_rate: null,
      escalation_rate: null,
      money_saved: 0,
      money_spent: 0,
    });
    expect(s.hourly).toEqual([zeroHour("2029-12-31T23"), zeroHour("2030-01-01T00")]);
    expect(s.agreement).toEqual({ samples: 0, agree: 0, rate: null, low: null, high: null, level: 0.95 });
    expect(s.score_histogram.counts).toEqual(new Array(20).fill(0));
    expect([s.confusions, s.versions]).toEqual([[], []]);
    expect(s.routes).toEqual({ teacher: 0, degraded: 0, cache: 0, audit: 0 });
    expect(s.endpoints).toEqual({ v1: 0, v2: 0 });
  });
});

describe("GET /openapi.json", () => {
  it("documents /admin/stats behind the admin token; its schema accepts what the route answers", async () => {
    const doc = (await (await app.request("/openapi.json", {}, adminEnv())).json()) as {
      paths: Record<string, { get?: { security?: unknown; parameters?: { name: string }[] } }>;
    };
    const op = doc.paths["/admin/stats"]?.get;
    expect(op?.security).toEqual([{ adminToken: [] }]);
    expect(op?.parameters?.map((p) => p.name)).toEqual(["model", "version", "hours", "top", "until"]);
    const validator = componentValidator(doc, "StatsResponse");
    const answer = await stats(AT);
    expect(validator.validate(answer).valid).toBe(true);
    expect(validator.validate({ ...answer, hourly: [{ hour: "yesterday" }] }).valid).toBe(false);
  });
});

describe("GET /admin/stats refuses", () => {
  it.each([
    ["hours=0"],
    ["hours=721"],
    ["hours=2.5"],
    ["hours=abc"],
    ["hours="],
    ["top=0"],
    ["top=51"],
    ["hours=1&hours=2"],
    ["unknown=1"],
    ["until=yesterday"],
    ["until=2031-03-10"],
    ["until=9999-12-31T23:59:59-23:59"],
    ["until=1969-12-31T23:59:59Z"],
    ["model=Not%20A%20Model"],
    ["version=a/b"],
  ])("400 invalid_request for ?%s", async (query) => {
    const res = await app.request(`/admin/stats?${query}`, { headers: auth }, adminEnv());
    await expectError(res, 400, "invalid_request");
  });

  it("401 without a bearer token, 403 with a wrong one, 503 with no admin token configured", async () => {
    const none = await app.request("/admin/stats", {}, adminEnv());
    await expectError(none, 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = { authorization: `Bearer ${TOKEN}-not` };
    await expectError(await app.request("/admin/stats", { headers: wrong }, adminEnv()), 403, "forbidden");
    const off = adminEnv({ ADMIN_TOKEN: undefined });
    await expectError(await app.request("/admin/stats", { headers: auth }, off), 503, "admin_disabled");
  });

  it("404 for an unknown model or version; 503 without the D1 binding", async () => {
    const get = (query: string, env = adminEnv()) =>
      app.request(`/admin/stats?${query}`, { headers: auth }, env);
    await expectError(await get("model=no-such-model"), 404, "model_not_found");
    await expectError(await get("version=9.9.9"), 404, "version_not_found");
    await expectError(await get("model=sms-spam&version=1.0.1"), 404, "version_not_found");
    await expectError(await get("", adminEnv({ DB: undefined })), 503, "not_configured");
  });
});
