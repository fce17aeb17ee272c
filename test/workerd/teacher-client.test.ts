import { afterEach, describe, expect, it, vi } from "vitest";
import smsManifest from "../../models/sms-spam/manifest.json";
import { createTeacherClient } from "../../src/gateway/teacher-client/client.ts";
import type { TeacherOutcome, TeacherQuery } from "../../src/gateway/teacher-client/types.ts";
import {
  fixtureCount,
  fixtureKey,
  fixtureUrl,
  setFixtureMode,
  teacherConfig,
  teachers,
} from "./teacher-helpers.ts";

/**
 * The resilient client against real servers: deadline (slow teacher, stalled fixture), retry (counted
 * at the fixture server), circuit breaker transitions with the number of calls that reached the
 * teacher, the concurrency cap, and the answer cache (Cache API). Short timeouts and cooldowns come from
 * config; every test uses its own fixture key, so breakers and counters never interfere.
 */
const SMS = smsManifest.labels;
const sms = (texts: string[], extra: Partial<TeacherQuery> = {}): TeacherQuery => ({
  model: "sms-spam",
  labels: SMS,
  texts,
  ...extra,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Headroom for "at the deadline" and "at once" on a loaded machine (2 shared cores): an answer is late by
 * at most this much, still far short of what a broken client would take (the slow teacher's 3 s).
 */
const LOAD_SLACK_MS = 1_500;

/**
 * The guard's clock (Date.now, and with `timers` its setTimeout too) under the test's control: the
 * breaker's cooldown and the retry's time budget then depend on the steps the test takes, not on how
 * busy the machine is. The HTTP calls to the real teachers still take real time.
 */
function controlClock(timers = false): void {
  vi.useFakeTimers({ toFake: timers ? ["Date", "setTimeout", "clearTimeout"] : ["Date"] });
}
afterEach(() => {
  vi.useRealTimers();
});

/** An http-json client at a fixture key, with the cache off unless the test turns it on. */
function jsonClient(key: string, env: Record<string, string> = {}) {
  return createTeacherClient(
    teacherConfig({
      TEACHER_URL: fixtureUrl(key, "/sms-spam"),
      TEACHER_PROTOCOL: "http-json",
      TEACHER_CACHE_TTL_S: "0",
      ...env,
    }),
  );
}

async function timed(run: () => Promise<TeacherOutcome>): Promise<{ outcome: TeacherOutcome; ms: number }> {
  const start = Date.now();
  const outcome = await run();
  return { outcome, ms: Date.now() - start };
}

describe("deadline", () => {
  it("a slow teacher (3 s) is a timeout at the deadline, not after it", async () => {
    const teacher = createTeacherClient(
      teacherConfig({
        TEACHER_URL: teachers().slow,
        TEACHER_PROTOCOL: "kserve-v2",
        TEACHER_TIMEOUT_MS: "300",
      }),
    );
    const { outcome, ms } = await timed(() => teacher.ask(sms(["are you coming tonight"])));
    expect(outcome).toMatchObject({ ok: false, kind: "timeout" });
    expect(ms).toBeGreaterThanOrEqual(295);
    expect(ms).toBeLessThan(300 + LOAD_SLACK_MS);
  });

  it("the deadline includes the retry: a stalled teacher is retried by no one", async () => {
    const key = fixtureKey("stall");
    const { outcome, ms } = await timed(() =>
      jsonClient(key, { TEACHER_TIMEOUT_MS: "250", TEACHER_RETRIES: "1" }).ask(sms(["hello"])),
    );
    expect(outcome).toMatchObject({ ok: false, kind: "timeout" });
    expect(ms).toBeLessThan(250 + LOAD_SLACK_MS);
    expect(await fixtureCount(key)).toBe(1);
  });
});

describe("retry", () => {
  it("retries a 503 once, then gives up with http_5xx", async () => {
    const key = fixtureKey("503");
    const outcome = await jsonClient(key, { TEACHER_RETRIES: "1" }).ask(sms(["hello"]));
    expect(outcome).toMatchObject({ ok: false, kind: "http_5xx" });
    expect(await fixtureCount(key)).toBe(2);
  });

  it("does not retry when the deadline leaves no room for it", async () => {
    // Stopped clock: the 503 comes back with all 60 ms left however long it took, and the deadline's
    // timer never fires. A retry would need more than 100 ms (backoff and a round trip).
    controlClock(true);
    const key = fixtureKey("503");
    const outcome = await jsonClient(key, { TEACHER_RETRIES: "1", TEACHER_TIMEOUT_MS: "60" }).ask(
      sms(["hi"]),
    );
    expect(outcome).toMatchObject({ ok: false, kind: "http_5xx" });
    expect(await fixtureCount(key)).toBe(1);
  });

  it("a retry that succeeds gives the answer", async () => {
    const key = fixtureKey("fail1");
    const outcome = await jsonClient(key, { TEACHER_RETRIES: "1" }).ask(sms(["hello"]));
    expect(outcome).toMatchObject({ ok: true, answers: [{ label: "ham" }] });
    expect(await fixtureCount(key)).toBe(2);
  });

  it("never retries a 4xx or a bad answer", async () => {
    for (const mode of ["400", "malformed", "unknown-label"]) {
      const key = fixtureKey(mode);
      const outcome = await jsonClient(key, { TEACHER_RETRIES: "1" }).ask(sms(["hello"]));
      expect(outcome.ok).toBe(false);
      expect(await fixtureCount(key)).toBe(1);
    }
  });

  it("retries on the local teacher's 503 as well (kserve-v2)", async () => {
    const teacher = createTeacherClient(
      teacherConfig({ TEACHER_URL: teachers().failing, TEACHER_PROTOCOL: "kserve-v2", TEACHER_RETRIES: "1" }),
    );
    expect(await teacher.ask(sms(["hello"]))).toMatchObject({ ok: false, kind: "http_5xx" });
  });
});

describe("circuit breaker", () => {
  it("closed → open → half_open → open → half_open → closed, one probe per cooldown", async () => {
    // The cooldown runs on the test's clock: a busy machine cannot end it early.
    controlClock();
    const key = fixtureKey("503");
    const teacher = jsonClient(key, {
      TEACHER_RETRIES: "1",
      BREAKER_FAILURES: "2",
      BREAKER_COOLDOWN_MS: "300",
    });
    const ask = () => teacher.ask(sms(["is the breaker open"]));

    // Two failed calls (each retried once: 4 requests) open it.
    expect(await ask()).toMatchObject({ kind: "http_5xx" });
    expect(teacher.breakerState()).toBe("closed");
    expect(await ask()).toMatchObject({ kind: "http_5xx" });
    expect(teacher.breakerState()).toBe("open");
    expect(await fixtureCount(key)).toBe(4);

    // While open: refused at once, nothing reaches the teacher.
    for (let i = 0; i < 3; i++) {
      expect(await ask()).toMatchObject({ ok: false, kind: "breaker_open" });
    }
    expect(await fixtureCount(key)).toBe(4);

    // After the cooldown one probe goes through, without a retry; it fails and re-opens the breaker.
    vi.advanceTimersByTime(299);
    expect(teacher.breakerState()).toBe("open");
    expect(await ask()).toMatchObject({ kind: "breaker_open" });
    vi.advanceTimersByTime(1);
    expect(teacher.breakerState()).toBe("half_open");
    expect(await ask()).toMatchObject({ kind: "http_5xx" });
    expect(await fixtureCount(key)).toBe(5);
    expect(teacher.breakerState()).toBe("open");
    expect(await ask()).toMatchObject({ kind: "breaker_open" });

    // The teacher recovers (and is slow): while the probe is in flight, other calls are still refused.
    await setFixtureMode(key, "slow");
    vi.advanceTimersByTime(300);
    const probe = ask();
    const during = await Promise.all([ask(), ask(), ask()]);
    expect(during.map((o) => (o.ok ? "ok" : o.kind))).toEqual([
      "breaker_open",
      "breaker_open",
      "breaker_open",
    ]);
    expect(teacher.breakerState()).toBe("half_open");
    expect(await probe).toMatchObject({ ok: true });
    expect(teacher.breakerState()).toBe("closed");
    expect(await fixtureCount(key)).toBe(6);

    expect(await ask()).toMatchObject({ ok: true });
    expect(await fixtureCount(key)).toBe(7);
  });

  it("breakers are per teacher: another URL is unaffected", async () => {
    const down = fixtureKey("500");
    const teacher = jsonClient(down, { BREAKER_FAILURES: "1", BREAKER_COOLDOWN_MS: "60000" });
    await teacher.ask(sms(["x"]));
    expect(teacher.breakerState()).toBe("open");
    const other = jsonClient(fixtureKey("ok"), { BREAKER_FAILURES: "1", BREAKER_COOLDOWN_MS: "60000" });
    expect(await other.ask(sms(["x"]))).toMatchObject({ ok: true });
  });
});

describe("concurrency cap", () => {
  it("a call beyond TEACHER_MAX_CONCURRENCY is refused at once as overloaded", async () => {
    const key = fixtureKey("slow");
    const teacher = jsonClient(key, { TEACHER_MAX_CONCURRENCY: "2" });
    const first = teacher.ask(sms(["one"]));
    const second = teacher.ask(sms(["two"]));
    const { outcome, ms } = await timed(() => teacher.ask(sms(["three"])));
    expect(outcome).toMatchObject({ ok: false, kind: "overloaded" });
    // Refused without waiting for a slot: the slow teacher holds each one 400 ms.
    expect(ms).toBeLessThan(400);
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toMatchObject({ ok: true });
    expect(await fixtureCount(key)).toBe(2);
    // Slots free again once the calls finished.
    expect(await teacher.ask(sms(["four"]))).toMatchObject({ ok: true });
  });
});

// The Cache API is workerd's: in Node (test/node/teacher-client.test.ts) the client runs without a cache.
describe.skipIf(typeof caches === "undefined")("answer cache", () => {
  const scope = (version: string, lowercase = false) => ({
    cache: { model: "sms-spam", version, normalization: { normalization: "NFKC" as const, lowercase } },
  });

  it("answers cached texts without the teacher, sends only the rest, marks cached[i]", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "60" });
    const version = key;
    const first = await teacher.ask(sms(["free entry to win cash now", "see you soon"], scope(version)));
    expect(first).toMatchObject({ ok: true, cached: [false, false] });
    expect(await fixtureCount(key)).toBe(2);

    const second = await teacher.ask(sms(["see you soon", "call me later"], scope(version)));
    expect(second).toMatchObject({ ok: true, cached: [true, false] });
    expect(await fixtureCount(key)).toBe(3);
    if (!first.ok || !second.ok) throw new Error("unreachable");
    expect(second.answers[0]).toEqual(first.answers[1]);

    const third = await teacher.ask(sms(["see you soon", "free entry to win cash now"], scope(version)));
    expect(third).toMatchObject({ ok: true, cached: [true, true] });
    expect(await fixtureCount(key)).toBe(3);
  });

  it("keys on the normalised text, the model version and the teacher", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "60" });
    await teacher.ask(sms(["Hello   World"], scope(key, true)));
    expect(await teacher.ask(sms(["hello world"], scope(key, true)))).toMatchObject({ cached: [true] });
    // Case kept by the default normalisation: a different entry.
    await teacher.ask(sms(["Hello World"], scope(`${key}-cased`)));
    expect(await teacher.ask(sms(["hello world"], scope(`${key}-cased`)))).toMatchObject({ cached: [false] });
    // A new version does not see the old one's answers.
    expect(await teacher.ask(sms(["hello world"], scope(`${key}-v2`, true)))).toMatchObject({
      cached: [false],
    });
    // Nor does another teacher.
    const other = jsonClient(fixtureKey("ok"), { TEACHER_CACHE_TTL_S: "60" });
    expect(await other.ask(sms(["hello world"], scope(key, true)))).toMatchObject({ cached: [false] });
  });

  it("TTL 0 turns the cache off", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "0" });
    await teacher.ask(sms(["no cache please"], scope(key)));
    expect(await teacher.ask(sms(["no cache please"], scope(key)))).toMatchObject({
      ok: true,
      cached: [false],
    });
    expect(await fixtureCount(key)).toBe(2);
  });

  it("entries expire after the TTL", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "1" });
    await teacher.ask(sms(["short lived"], scope(key)));
    expect(await teacher.ask(sms(["short lived"], scope(key)))).toMatchObject({ cached: [true] });
    await sleep(1100);
    expect(await teacher.ask(sms(["short lived"], scope(key)))).toMatchObject({ cached: [false] });
    expect(await fixtureCount(key)).toBe(2);
  });

  it("when the teacher fails, the cached answers still come back beside the failure", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "60" });
    const warm = await teacher.ask(sms(["cached one"], scope(key)));
    await setFixtureMode(key, "503");
    const outcome = await teacher.ask(sms(["cached one", "not cached"], scope(key)));
    expect(outcome).toMatchObject({ ok: false, kind: "http_5xx" });
    if (outcome.ok || !warm.ok) throw new Error("unreachable");
    expect(outcome.cachedAnswers).toEqual([warm.answers[0], null]);
  });

  it("a fully cached query needs no teacher at all, even with the breaker open", async () => {
    const key = fixtureKey("ok");
    const teacher = jsonClient(key, { TEACHER_CACHE_TTL_S: "60", BREAKER_FAILURES: "1" });
    await teacher.ask(sms(["remembered"], scope(key)));
    await setFixtureMode(key, "500");
    await teacher.ask(sms(["forgotten"], scope(key)));
    expect(teacher.breakerState()).toBe("open");
    expect(await teacher.ask(sms(["remembered"], scope(key)))).toMatchObject({ ok: true, cached: [true] });
  });
});

describe("configuration", () => {
  it("without TEACHER_URL the outcome is not_configured", async () => {
    const teacher = createTeacherClient(teacherConfig({ TEACHER_PROTOCOL: "openai" }));
    expect(await teacher.ask(sms(["hello"]))).toMatchObject({ ok: false, kind: "not_configured" });
  });
});
