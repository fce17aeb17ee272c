import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import {
  type ClassifyResponse,
  ClassifyResponse as ClassifyResponseSchema,
} from "../../src/gateway/schemas/classify.ts";
import type { TeacherFailureKind } from "../../src/gateway/teacher-client/types.ts";
import { envWith, post } from "./gateway-helpers.ts";
import { fixtureCount, fixtureKey, fixtureUrl, teachers } from "./teacher-helpers.ts";

/**
 * Fault injection through the gateway's HTTP surface (issue 6, item 2): POST /v1/classify with
 * `options.teacher: "always"` over the real app and the production teacher client (TEACHER_* vars), the
 * teacher being the fixture server of global-setup.ts in one fault mode, or a closed port.
 *
 * For each fault: every answer is a 200 carrying the student's answer flagged `degraded` with a reason;
 * each request returns within the deadline plus a margin; and once the breaker is open, at most one probe
 * per cooldown reaches the teacher (counted at the fixture server, and at the gateway by the answers
 * whose reason is not `breaker_open`).
 *
 * Each fault uses its own fixture key (or, for the closed port, its own URL path), so its TEACHER_URL,
 * and with it its breaker, is its own.
 */
const TIMEOUT_MS = 400;
const RETRIES = 1;
const FAILURES = 3;
const COOLDOWN_MS = 600;
/** workerd's clock moves on I/O only, and a request also runs the student: generous, upper bound only. */
const MARGIN_MS = 1500;
const BURST = 20;
/** BURST requests this far apart span a little over two cooldowns. */
const GAP_MS = 65;
const TEXT = "are you coming to the party tonight";

const app = createApp();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type ClassifyResult = ClassifyResponse["results"][number];

interface Timed {
  result: ClassifyResult;
  ms: number;
}

function faultEnv(url: string): Env {
  return envWith({
    TEACHER_URL: url,
    TEACHER_PROTOCOL: "http-json",
    TEACHER_CACHE_TTL_S: "0",
    TEACHER_TIMEOUT_MS: String(TIMEOUT_MS),
    TEACHER_MAX_BODY_BYTES: "65536",
    TEACHER_RETRIES: String(RETRIES),
    BREAKER_FAILURES: String(FAILURES),
    BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
  });
}

/** One escalated request; asserts the response contract and times the whole round trip. */
async function classify(env: Env): Promise<Timed> {
  const start = Date.now();
  const res = await app.request(
    "/v1/classify",
    post({ model: "sms-spam", text: TEXT, options: { teacher: "always" } }),
    env,
  );
  const text = await res.text();
  const ms = Date.now() - start;
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = ClassifyResponseSchema.parse(JSON.parse(text));
  expect(body.results).toHaveLength(1);
  return { result: body.results[0]!, ms };
}

/** The student's answer, flagged degraded with one of `reasons`, within the deadline plus the margin. */
function expectDegraded({ result, ms }: Timed, reasons: readonly TeacherFailureKind[]): void {
  expect(result.source).toBe("student");
  expect(result.degraded).toBe(true);
  expect(typeof result.reason).toBe("string");
  expect(reasons as readonly string[]).toContain(result.reason);
  expect(result.label).toBe(result.student!.label);
  expect(result.confidence).toBe(result.student!.confidence);
  expect(result.teacher).toBeUndefined();
  expect(ms).toBeLessThanOrEqual(TIMEOUT_MS + MARGIN_MS);
}

async function resetFixtureCount(key: string): Promise<void> {
  const res = await fetch(`${teachers().fixture}/count/${key}`, { method: "DELETE" });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

interface Fault {
  name: string;
  /** The teacher URL and the fixture key counting its requests (null: nothing listens, nothing counts). */
  target(): { url: string; key: string | null };
  /** What a call that reaches the teacher fails with. */
  reasons: readonly TeacherFailureKind[];
}

const atFixture = (mode: string) => () => {
  const key = fixtureKey(mode);
  return { url: fixtureUrl(key, "/sms-spam"), key };
};

const FAULTS: Fault[] = [
  {
    name: "connection refused",
    target: () => ({ url: `${teachers().refused}/sms-spam-${crypto.randomUUID()}`, key: null }),
    reasons: ["network"],
  },
  { name: "HTTP 500", target: atFixture("500"), reasons: ["http_5xx"] },
  { name: "a stall (never answers)", target: atFixture("stall"), reasons: ["timeout"] },
  { name: "malformed JSON", target: atFixture("malformed"), reasons: ["bad_response"] },
  // The headers arrive, then the body stops and the connection is cut.
  { name: "a truncated body", target: atFixture("truncated"), reasons: ["network", "bad_response"] },
  { name: "a label outside the label set", target: atFixture("unknown-label"), reasons: ["unknown_label"] },
  // Headers at once, then a body without end: refused at TEACHER_MAX_BODY_BYTES, well before the deadline.
  { name: "an endless body", target: atFixture("huge"), reasons: ["bad_response"] },
  // Headers at once, then a byte every 50 ms: the deadline covers the body too.
  { name: "a body that trickles past the deadline", target: atFixture("trickle"), reasons: ["timeout"] },
];

beforeAll(async () => {
  // Load the student's session first, so its cold start is not charged to the first fault's timings.
  const res = await app.request(
    "/v1/classify",
    post({ model: "sms-spam", text: TEXT, options: { teacher: "never" } }),
    envWith(),
  );
  expect(res.status).toBe(200);
  await res.body?.cancel();
});

describe("POST /v1/classify with a faulty teacher: degraded student answers, bounded time, one probe per cooldown", () => {
  it.each(FAULTS)("$name", async ({ target, reasons }) => {
    const { url, key } = target();
    const env = faultEnv(url);

    // Open the breaker: FAILURES concurrent calls, each reaching the faulty teacher.
    const openingStart = Date.now();
    const opening = await Promise.all(Array.from({ length: FAILURES }, () => classify(env)));
    for (const answer of opening) expectDegraded(answer, reasons);
    if (key) {
      const count = await fixtureCount(key);
      expect(count).toBeGreaterThanOrEqual(FAILURES);
      expect(count).toBeLessThanOrEqual(FAILURES * (1 + RETRIES));
      await resetFixtureCount(key);
      expect(await fixtureCount(key)).toBe(0);
    }

    // A burst spread over about two cooldowns while the breaker is open.
    const pending: Promise<Timed>[] = [];
    for (let i = 0; i < BURST; i++) {
      pending.push(classify(env));
      await sleep(GAP_MS);
    }
    const burst = await Promise.all(pending);
    const elapsed = Date.now() - openingStart;
    for (const answer of burst) expectDegraded(answer, [...reasons, "breaker_open"]);

    // The breaker opened after openingStart, and each probe's failure reopens it for a full cooldown:
    // at most one probe per cooldown since then.
    const maxProbes = Math.floor(elapsed / COOLDOWN_MS);
    const probes = burst.filter(({ result }) => result.reason !== "breaker_open").length;
    expect(probes, `elapsed ${elapsed} ms`).toBeLessThanOrEqual(maxProbes);
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(burst.length - probes).toBeGreaterThanOrEqual(BURST - maxProbes);
    if (key) {
      const reached = await fixtureCount(key);
      expect(reached, `elapsed ${elapsed} ms`).toBeLessThanOrEqual(maxProbes);
      // Probes go out without retries: one request at the teacher per probe.
      expect(reached).toBe(probes);
    }
  });
});
