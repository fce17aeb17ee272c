import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Stack, startStack } from "../../src/stack.ts";

/**
 * The `npm start` stack over real HTTP: wrangler dev (workerd) + the local teacher server. The teacher
 * is taken down mid-run (answers turn degraded, never a 5xx) and brought back (answers come from the
 * teacher again once the breaker's cooldown has passed).
 */
const COOLDOWN_MS = 1500;

interface ClassifyResult {
  label: string;
  source: string;
  degraded?: boolean;
  reason?: string;
}

describe("end to end: gateway + local teacher", () => {
  let stack: Stack;
  const classify = async (text: string, teacher: "auto" | "always" | "never" = "always") => {
    const res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, options: { teacher } }),
    });
    return {
      status: res.status,
      id: res.headers.get("x-request-id"),
      body: (await res.json()) as { results: ClassifyResult[] },
    };
  };

  beforeAll(async () => {
    stack = await startStack({
      port: await freePort(),
      teacher: { port: await freePort() },
      vars: { BREAKER_FAILURES: "2", BREAKER_COOLDOWN_MS: String(COOLDOWN_MS), TEACHER_CACHE_TTL_S: "0" },
      stdio: process.env.E2E_VERBOSE ? "inherit" : "ignore",
    });
  }, 90_000);
  afterAll(() => stack?.stop());

  it("answers confidently from the student and escalates to the teacher", async () => {
    const student = await classify("what is my credit score", "never");
    expect(student.status).toBe(200);
    expect(student.id).toBeTruthy();
    expect(student.body.results[0]).toMatchObject({ label: "credit_score", source: "student" });
    const teacher = await classify("what is my credit score");
    expect(teacher.body.results[0]).toMatchObject({ label: "credit_score", source: "teacher" });
  });

  it("degrades without a 5xx while the teacher is down, and recovers after the cooldown", async () => {
    await stack.stopTeacher();
    // When each request was sent and its answer received: the gateway's own times lie in between.
    const answers: { reason: string | undefined; sent: number; at: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const sent = Date.now();
      const r = await classify(`what is my credit score ${i}`);
      expect(r.status).toBe(200);
      expect(r.body.results[0]).toMatchObject({ source: "student", degraded: true });
      answers.push({ reason: r.body.results[0]!.reason, sent, at: Date.now() });
    }
    // Refused connections until BREAKER_FAILURES (2) of them open the breaker; then it answers at once,
    // except for one probe per cooldown (a loaded machine can take longer than a cooldown for 4 requests).
    expect(answers[0]!.reason).toBe("network");
    let lastFailure = answers[1]!;
    for (const answer of answers.slice(2)) {
      if (answer.reason === "breaker_open") continue;
      expect(answer.reason).toBe("network");
      expect(answer.at - lastFailure.sent).toBeGreaterThanOrEqual(COOLDOWN_MS);
      lastFailure = answer;
    }
    expect(answers.slice(2).some((a) => a.reason === "breaker_open")).toBe(true);
    await stack.restartTeacher();
    // Open breaker: answered at once, degraded, until the cooldown lets a probe through.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 200));
    let recovered = false;
    for (let i = 0; i < 10 && !recovered; i++) {
      const r = await classify("what is my credit score");
      expect(r.status).toBe(200);
      recovered = r.body.results[0]!.source === "teacher";
      if (!recovered) await new Promise((res) => setTimeout(res, 300));
    }
    expect(recovered).toBe(true);
  }, 60_000);

  it("answers bad input with a JSON 4xx", async () => {
    const res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });
});
