import { describe, expect, it } from "vitest";
import smsManifest from "../../models/sms-spam/manifest.json";
import { createTeacherClient } from "../../src/gateway/teacher-client/client.ts";
import { kserveV2Adapter } from "../../src/gateway/teacher-client/kserve-v2.ts";
import type { TeacherAnswer, TeacherOutcome, TeacherQuery } from "../../src/gateway/teacher-client/types.ts";
import {
  fixtureCount,
  fixtureKey,
  fixtureUrl,
  setFixtureMode,
  teacherConfig,
  teachers,
} from "./teacher-helpers.ts";

/**
 * What the teacher client believes of an answer, against a real teacher that changes under it (the
 * fixture server, global-setup.ts): a KServe teacher redeployed with its columns in another order, and
 * answer bodies that are endless or never finish.
 */
const SMS = smsManifest.labels;
const SPAM = "WINNER!! You have won a free prize, call now to claim your cash reward";
const HAM = "ok see you at lunch tomorrow, I'll bring the notes";
const sms = (texts: string[]): TeacherQuery => ({ model: "sms-spam", labels: SMS, texts });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function answers(outcome: TeacherOutcome): TeacherAnswer[] {
  if (!outcome.ok) throw new Error(`teacher failed: ${outcome.kind}: ${outcome.message}`);
  return outcome.answers;
}

const client = (env: Record<string, string>) =>
  createTeacherClient(teacherConfig({ TEACHER_CACHE_TTL_S: "0", ...env }));

async function written(key: string): Promise<number> {
  const res = await fetch(`${teachers().fixture}/count/${key}`);
  return ((await res.json()) as { written: number }).written;
}

describe("kserve-v2: the teacher's column labels are read again when they change", () => {
  it("a teacher that reorders its columns mid-test: its label output gives it away, answers stay right", async () => {
    const key = fixtureKey("ok");
    const teacher = client({ TEACHER_URL: fixtureUrl(key), TEACHER_PROTOCOL: "kserve-v2" });
    const before = answers(await teacher.ask(sms([SPAM, HAM])));
    expect(before.map((a) => a.label)).toEqual(["spam", "ham"]);
    expect(await fixtureCount(key)).toBe(2); // metadata, then only the inference
    await setFixtureMode(key, "reordered");
    const after = answers(await teacher.ask(sms([SPAM, HAM])));
    expect(after).toEqual(before);
    // The inference, and the metadata read again because the answer disagreed with the cached labels.
    expect(await fixtureCount(key)).toBe(4);
    expect(answers(await teacher.ask(sms([HAM, SPAM]))).map((a) => a.label)).toEqual(["ham", "spam"]);
    expect(await fixtureCount(key)).toBe(5);
  });

  it("a teacher whose answers disagree with its own fresh metadata fails, never answering with a guess", async () => {
    const key = fixtureKey("ok");
    const teacher = client({ TEACHER_URL: fixtureUrl(key), TEACHER_PROTOCOL: "kserve-v2" });
    answers(await teacher.ask(sms([SPAM])));
    await setFixtureMode(key, "misordered");
    const outcome = await teacher.ask(sms([SPAM, HAM]));
    expect(outcome).toMatchObject({ ok: false, kind: "bad_response" });
    expect(outcome.ok ? "" : outcome.message).toMatch(/disagrees with the model metadata/);
  });

  it("a teacher with no label output: its new column order is read once the labels' TTL has passed", async () => {
    const key = fixtureKey("probs-only");
    const ttlMs = 300;
    const adapter = kserveV2Adapter(fixtureUrl(key), { maxBodyBytes: 1 << 20, labelsTtlMs: ttlMs });
    const teacher = createTeacherClient(teacherConfig({ TEACHER_CACHE_TTL_S: "0" }), {}, adapter);
    const before = answers(await teacher.ask(sms([SPAM, HAM])));
    expect(before.map((a) => a.label)).toEqual(["spam", "ham"]);
    await setFixtureMode(key, "reordered-probs-only");
    await sleep(ttlMs + 100);
    expect(answers(await teacher.ask(sms([SPAM, HAM])))).toEqual(before);
  });
});

describe("teacher answer bodies: a byte cap, and a deadline that covers the body", () => {
  const CAP = 1024 * 1024;

  it.each([
    ["http-json", "/sms-spam"],
    ["kserve-v2", ""],
    ["openai", ""],
  ])(
    "%s: an endless body fails as bad_response at the cap, and the read stops there",
    async (protocol, rest) => {
      const key = fixtureKey("huge");
      const teacher = client({
        TEACHER_URL: fixtureUrl(key, rest),
        TEACHER_PROTOCOL: protocol,
        // The deadline is far off: what ends the call is the cap.
        TEACHER_TIMEOUT_MS: "60000",
        TEACHER_MAX_BODY_BYTES: String(CAP),
      });
      const outcome = await teacher.ask(sms([SPAM]));
      expect(outcome).toMatchObject({ ok: false, kind: "bad_response" });
      expect(outcome.ok ? "" : outcome.message).toMatch(/larger than 1048576 bytes/);
      // The fixture writes as fast as it is read: once the client stops, it is soon stopped too (socket
      // buffers aside), far short of the 1.5 GB it would send.
      await sleep(200);
      expect(await written(key)).toBeLessThan(64 * CAP);
    },
  );

  it("a body declared larger than the cap fails at once, unread", async () => {
    const key = fixtureKey("huge-declared");
    const teacher = client({
      TEACHER_URL: fixtureUrl(key, "/sms-spam"),
      TEACHER_PROTOCOL: "http-json",
      TEACHER_MAX_BODY_BYTES: String(CAP),
    });
    const outcome = await teacher.ask(sms([SPAM]));
    expect(outcome).toMatchObject({ ok: false, kind: "bad_response" });
  });

  it("a body that trickles past the deadline is cut at the deadline (timeout), not when it ends", async () => {
    const deadline = 500;
    const key = fixtureKey("trickle");
    const teacher = client({
      TEACHER_URL: fixtureUrl(key, "/sms-spam"),
      TEACHER_PROTOCOL: "http-json",
      TEACHER_TIMEOUT_MS: String(deadline),
    });
    const outcome = await teacher.ask(sms([SPAM]));
    expect(outcome).toMatchObject({ ok: false, kind: "timeout" });
    // The body never ends: the answer is due to the deadline alone.
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(deadline * 0.9);
    expect(outcome.latencyMs).toBeLessThan(deadline * 4);
  });
});
