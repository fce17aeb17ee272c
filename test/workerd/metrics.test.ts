import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { ISOLATE_NOTE } from "../../src/gateway/metrics/gateway-metrics.ts";
import { CONTENT_TYPE } from "../../src/gateway/metrics/prometheus.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus.ts";
import { envWith, expectError, post } from "./gateway-helpers.ts";

/**
 * GET /metrics, Analytics Engine and the JSON request log, through the real app with the production
 * teacher client talking to the real local teacher servers of global-setup.ts. Each test builds its own
 * app: the metrics are that app's (one isolate's), so every count below is exact.
 */
const teachers = inject("teachers");
const SURE = ["what is my credit score", "set an alarm for 7am", "book a flight in paris"] as const; // margins > 0.99
const UNSURE = ["asdf qwer", "hmm"] as const; // margins below the routing threshold (gateway-classify.test.ts)
const V1 = { model: "clinc150", version: "1.0.0", endpoint: "v1" };
const V2 = { ...V1, endpoint: "v2" };

afterEach(() => {
  vi.restoreAllMocks();
});

let serial = 0;
/**
 * The healthy teacher, or the one answering 503, with a breaker of its own (unique cooldown). The answer
 * cache is off except where a test asks for it: it outlives a test (the Cache API), and only the first
 * test relies on it (its "asdf qwer" is asked nowhere else with the cache on).
 */
function teacherEnv(url: string, vars: Env = {}): Env {
  return envWith({
    TEACHER_URL: url,
    TEACHER_RETRIES: "0",
    BREAKER_FAILURES: "2",
    BREAKER_COOLDOWN_MS: String(600_000 + ++serial),
    AUDIT_RATE: "0",
    TEACHER_PRICE_PER_CALL: "0.25",
    TEACHER_CACHE_TTL_S: "0",
    ...vars,
  });
}

async function classify(app: ReturnType<typeof createApp>, env: Env, body: unknown, path = "/v1/classify") {
  const res = await app.request(path, post(body), env);
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

const v2Body = (texts: readonly string[]) => ({
  inputs: [{ name: "text", datatype: "BYTES", shape: [texts.length], data: texts }],
});

async function scrape(app: ReturnType<typeof createApp>, env: Env, headers: Record<string, string> = {}) {
  const res = await app.request("/metrics", { headers }, env);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe(CONTENT_TYPE);
  return parseExposition(await res.text());
}

describe("GET /metrics", () => {
  it("counts per model and version: answers by source, failures by kind, breaker, histograms, money saved", async () => {
    const app = createApp();
    const healthy = teacherEnv(teachers.healthy, { TEACHER_CACHE_TTL_S: "3600" });
    const failing = teacherEnv(teachers.failing);
    await classify(app, healthy, { texts: SURE.slice(0, 2), options: { teacher: "never" } });
    await classify(app, healthy, { text: UNSURE[0], options: { teacher: "always" } }); // teacher
    await classify(app, healthy, { text: UNSURE[0], options: { teacher: "always" } }); // its cache
    for (let i = 0; i < 3; i++) await classify(app, failing, { text: UNSURE[1] }); // 503, 503, breaker open
    await classify(app, healthy, v2Body(SURE), "/v2/models/clinc150/infer");
    await classify(app, healthy, { model: "sms-spam", text: "hi", options: { teacher: "never" } });

    const m = await scrape(app, failing);
    for (const family of m.values()) expect(family.help, family.name).toContain(ISOLATE_NOTE);
    const answers = (labels: Record<string, string>) => sampleValue(m, "apprentice_answers_total", labels);
    expect(answers({ ...V1, source: "student" })).toBe(2);
    expect(answers({ ...V1, source: "teacher" })).toBe(1);
    expect(answers({ ...V1, source: "cache" })).toBe(1);
    expect(answers({ ...V1, source: "degraded" })).toBe(3);
    expect(answers({ ...V2, source: "student" })).toBe(3);
    expect(answers({ model: "sms-spam", version: "1.0.0", source: "student" })).toBe(1);
    expect(sampleValue(m, "apprentice_requests_total", V1)).toBe(6);
    expect(sampleValue(m, "apprentice_requests_total", V2)).toBe(1);
    const failures = (kind: string) => sampleValue(m, "apprentice_teacher_failures_total", { kind });
    expect([failures("http_5xx"), failures("breaker_open")]).toEqual([2, 1]);
    // TEACHER_PRICE_PER_CALL × student answers without the teacher (degraded ones excluded).
    expect(sampleValue(m, "apprentice_money_saved_usd_total", { model: "clinc150" })).toBe(5 * 0.25);
    expect(sampleValue(m, "apprentice_money_saved_usd_total", { model: "sms-spam" })).toBe(0.25);

    // The breaker of the failing teacher's clinc150 is open (2); sms-spam's never called it (0).
    const breaker = (model: string) => sampleValue(m, "apprentice_teacher_breaker_state", { model });
    expect(m.get("apprentice_teacher_breaker_state")!.type).toBe("gauge");
    expect([breaker("clinc150"), breaker("sms-spam")]).toEqual([2, 0]);
    const healthyView = await scrape(app, healthy);
    expect(sampleValue(healthyView, "apprentice_teacher_breaker_state", { model: "clinc150" })).toBe(0);

    // Histograms: one student run per request, one teacher call per escalating request, one score per text.
    const count = (name: string, labels: Record<string, string>) => sampleValue(m, `${name}_count`, labels);
    const clinc = { model: "clinc150", version: "1.0.0" };
    expect(count("apprentice_student_inference_seconds", clinc)).toBe(7);
    expect(count("apprentice_teacher_call_seconds", clinc)).toBe(5);
    expect(count("apprentice_request_duration_seconds", V1)).toBe(6);
    expect(count("apprentice_request_duration_seconds", V2)).toBe(1);
    for (const name of ["apprentice_student_inference_seconds", "apprentice_request_duration_seconds"])
      expect(m.get(name)!.type).toBe("histogram");
    // Routing scores (clinc150 routes on margin, threshold 0.21): the 5 unsure texts in the buckets up
    // to 0.25, the 5 sure ones above 0.95.
    const score = (le: string) =>
      sampleValue(m, "apprentice_routing_score_bucket", { ...clinc, score: "margin", le });
    expect([score("0.25"), score("0.95"), score("1"), score("+Inf")]).toEqual([5, 5, 10, 10]);
  });

  it("is empty but well-formed before any traffic, and never counts /metrics or failed requests", async () => {
    const app = createApp();
    const env = teacherEnv(teachers.healthy);
    await app.request("/v1/classify", post({ text: "" }), env); // 400
    await app.request("/healthz", {}, env);
    const m = await scrape(app, env);
    expect(sampleValue(m, "apprentice_requests_total")).toBe(0);
    expect(m.get("apprentice_answers_total")).toMatchObject({ type: "counter", samples: [] });
  });

  it("METRICS_TOKEN: 401 without a bearer token, 403 with a wrong one, 200 with it; unset or empty = open", async () => {
    const app = createApp();
    const token = "scrape-me-0123456789";
    const env = envWith({ METRICS_TOKEN: token });
    const none = await app.request("/metrics", {}, env);
    await expectError(none, 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    await expectError(await app.request("/metrics", { headers: { authorization: "Basic eDp5" } }, env), 401);
    const wrong = { authorization: `Bearer ${token}x` };
    await expectError(await app.request("/metrics", { headers: wrong }, env), 403, "forbidden");
    await scrape(app, env, { authorization: `Bearer ${token}` });
    await scrape(app, envWith());
    await scrape(app, envWith({ METRICS_TOKEN: "" }));
  });

  it("is documented in /openapi.json, with its optional bearer scheme", async () => {
    const doc = (await (await createApp().request("/openapi.json", {}, envWith())).json()) as {
      paths: Record<string, { get?: { security?: unknown; responses: Record<string, unknown> } }>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.paths["/metrics"]?.get?.security).toEqual([{}, { metricsToken: [] }]);
    expect(Object.keys(doc.paths["/metrics"]!.get!.responses)).toEqual(["200", "401", "403", "500"]);
    expect(doc.components.securitySchemes.metricsToken).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("the telemetry variables are validated like every variable", async () => {
    const app = createApp();
    for (const vars of [
      { LOG_REQUESTS: "yes" },
      { LOG_TEXT: "1" },
      { USAGE_FLUSH_MS: "30000" },
      { USAGE_FLUSH_MS: "-1" },
      { USAGE_FLUSH_MS: "soon" },
    ])
      await expectError(await app.request("/metrics", {}, envWith(vars)), 500, "config_invalid");
  });
});

/** A stand-in for the Analytics Engine binding (an outside service): it records the points written. */
function recordingDataset(fail = false) {
  const points: AnalyticsEngineDataPoint[] = [];
  const dataset = {
    points,
    writeDataPoint(point?: AnalyticsEngineDataPoint) {
      if (fail) throw new Error("analytics down");
      points.push(point!);
    },
  };
  return dataset as typeof dataset & AnalyticsEngineDataset;
}

describe("Workers Analytics Engine", () => {
  it("one data point per answered text: blobs model, version, endpoint, source, reason; doubles; index", async () => {
    const app = createApp();
    const ANALYTICS = recordingDataset();
    await classify(app, teacherEnv(teachers.healthy, { ANALYTICS }), {
      texts: [SURE[0], UNSURE[0]],
    });
    await classify(app, teacherEnv(teachers.failing, { ANALYTICS }), { text: UNSURE[1] });
    await classify(
      app,
      teacherEnv(teachers.healthy, { ANALYTICS }),
      v2Body([SURE[1]]),
      "/v2/models/clinc150/infer",
    );
    expect(ANALYTICS.points.map((p) => p.blobs)).toEqual([
      ["clinc150", "1.0.0", "v1", "student", ""],
      ["clinc150", "1.0.0", "v1", "teacher", ""],
      ["clinc150", "1.0.0", "v1", "degraded", "http_5xx"],
      ["clinc150", "1.0.0", "v2", "student", ""],
    ]);
    for (const p of ANALYTICS.points) {
      expect(p.indexes).toEqual(["clinc150"]);
      const [score, student, teacher, request, texts] = p.doubles as number[];
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      for (const ms of [student, teacher, request]) expect(ms).toBeGreaterThanOrEqual(0);
      expect(texts).toBe(1);
    }
    expect(ANALYTICS.points[0]!.doubles![0]).toBeGreaterThan(0.95); // the sure text's margin
    expect(ANALYTICS.points[0]!.doubles![2]).toBe(0); // not sent to the teacher
  });

  it("stays within 250 points per request: a bigger batch is written grouped, counting its texts", async () => {
    const app = createApp();
    const ANALYTICS = recordingDataset();
    const texts = Array.from({ length: 300 }, (_, i) => `${SURE[i % 3]} ${i}`);
    await classify(app, teacherEnv(teachers.healthy, { ANALYTICS, MAX_BATCH: "300" }), {
      texts,
      options: { teacher: "never" },
    });
    expect(ANALYTICS.points.length).toBeLessThanOrEqual(250);
    expect(ANALYTICS.points.reduce((n, p) => n + (p.doubles![4] as number), 0)).toBe(300);
  });

  it("a failing binding never fails the request", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const env = teacherEnv(teachers.healthy, { ANALYTICS: recordingDataset(true) });
    await classify(createApp(), env, { text: SURE[0], options: { teacher: "never" } });
    expect(errors).toHaveBeenCalledWith("analytics engine: data point not written:", expect.any(Error));
  });
});

describe("structured request logs", () => {
  /** The JSON request-log lines console.log received. */
  function requestLines(log: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
    return log.mock.calls.flatMap(([first]) => {
      if (typeof first !== "string" || !first.startsWith("{")) return [];
      const line = JSON.parse(first) as Record<string, unknown>;
      return "request_id" in line ? [line] : [];
    });
  }

  it("one JSON line per inference request, failed ones included, and no request text", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const app = createApp();
    const env = teacherEnv(teachers.healthy);
    const secret = "my card is 4111 1111 1111 1111, call me";
    const ok = await classify(app, env, { texts: [SURE[0], secret], options: { teacher: "always" } });
    const bad = await app.request("/v1/classify", post({ text: "   " }), env);
    expect(bad.status).toBe(400);
    await classify(app, env, v2Body([SURE[1]]), "/v2/models/clinc150/infer");
    await app.request("/healthz", {}, env); // not an inference request: no line
    const lines = requestLines(log);
    expect(lines).toHaveLength(3);
    const [first, refused, v2] = lines;
    expect(first).toMatchObject({
      request_id: ok.headers.get("x-request-id"),
      method: "POST",
      path: "/v1/classify",
      status: 200,
      model: "clinc150",
      version: "1.0.0",
      sources: { student: 0, teacher: 2, cache: 0, degraded: 0 },
    });
    expect(Object.keys(first!).sort()).toEqual(
      ["ts", "request_id", "method", "path", "status", "model", "version", "sources", "ms"].sort(),
    );
    const ms = first!.ms as Record<string, number>;
    for (const key of ["request", "student", "teacher"]) expect(ms[key]).toBeGreaterThanOrEqual(0);
    expect(Date.parse(String(first!.ts))).not.toBeNaN();
    expect(refused).toMatchObject({
      request_id: bad.headers.get("x-request-id"),
      status: 400,
      model: null,
      sources: { student: 0, teacher: 0, cache: 0, degraded: 0 },
      ms: { student: null, teacher: null },
    });
    expect(v2).toMatchObject({
      path: "/v2/models/clinc150/infer",
      sources: { student: 1 },
      ms: { teacher: null },
    });
    const all = log.mock.calls.flat().map(String).join("\n");
    for (const text of [secret, "4111", SURE[0], SURE[1]]) expect(all).not.toContain(text);
  });

  it("LOG_TEXT=true adds the texts, redacted as the hard-example log redacts them", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const env = teacherEnv(teachers.healthy, { LOG_TEXT: "true" });
    await classify(createApp(), env, {
      texts: ["mail jane.doe@example.com", SURE[0]],
      options: { teacher: "never" },
    });
    expect(requestLines(log)[0]!.texts).toEqual(["mail [EMAIL]", SURE[0]]);
  });

  it("LOG_REQUESTS=false turns them off", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const env = teacherEnv(teachers.healthy, { LOG_REQUESTS: "false" });
    await classify(createApp(), env, { text: SURE[0], options: { teacher: "never" } });
    expect((await createApp().request("/v1/classify", post({}), env)).status).toBe(400);
    expect(requestLines(log)).toEqual([]);
  });
});
