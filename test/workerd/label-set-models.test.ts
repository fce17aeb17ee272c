import {
  applyD1Migrations,
  createExecutionContext,
  type D1Migration,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { normalizeText } from "../../src/core/featurizer.ts";
import { HardExampleRecord } from "../../src/core/hard-example.ts";
import { ModelState } from "../../src/gateway/admin/models/schemas.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { ModelDetail, ModelList } from "../../src/gateway/schemas/models.ts";
import { InferResponse, ModelMetadata } from "../../src/gateway/schemas/v2.ts";
import { expectError, kserveTeacher, post } from "./gateway-helpers.ts";
import { fixtureCount, fixtureKey, fixtureUrl, teachers } from "./teacher-helpers.ts";

/**
 * Models created from a label set and models with a teacher of their own, on the real stack: miniflare's
 * KV (definitions), R2 and D1 (the hard-example log, through the real queue and its consumer), and the
 * real local teacher servers global-setup.ts starts, over OpenAI chat completions and KServe V2.
 */
const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const db = bindings.DB!;
const kv = bindings.REGISTRY!;
const logBucket = bindings.HARD_EXAMPLES_BUCKET!;
const TOKEN = "test-admin-token-0123456789abcdef-xyz";
const auth = { authorization: `Bearer ${TOKEN}` };
const gatewayEnv = (extra: Env & Record<string, unknown> = {}): Env => ({
  ...bindings,
  ADMIN_TOKEN: TOKEN,
  REGISTRY_TTL_MS: "0",
  // A breaker that opens late: each test sees exactly the failures it sets up. (The default retry stays:
  // it is what absorbs a pooled connection the local server closed while idle.)
  BREAKER_FAILURES: "1000",
  ...extra,
});
// The default teacher (models without their own) is the healthy local teacher over KServe V2.
const app = createApp({ teacher: () => kserveTeacher(teachers().healthy) });

const CLINC_LABELS = (BUNDLED_MODELS.clinc150!.manifest as { labels: string[] }).labels;
const SPAM_LABELS = ["ham", "spam"];
const NAMES = [
  "intents",
  "spam-llm",
  "spam-kserve",
  "downed",
  "refused",
  "keyed",
  "mismatch",
  "spam-student",
  "sms-spam",
];
const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;

const define = (name: string, body: unknown, env = gatewayEnv()) =>
  app.request(`/admin/models/${name}`, { ...post(body, auth), method: "PUT" }, env);
const adminGet = (path: string, env = gatewayEnv()) => app.request(path, { headers: auth }, env);

async function created(res: Response) {
  expect(res.status, await res.clone().text()).toBe(201);
  return ModelState.parse(await res.json());
}

async function classify(body: unknown, env = gatewayEnv()) {
  const ctx = createExecutionContext();
  const res = await app.request("/v1/classify", post(body), env, ctx);
  // The records reach the queue in waitUntil.
  await waitOnExecutionContext(ctx);
  return res;
}

/** The record id of a text of a model with no student: its normalisation is NFKC + lowercase. */
const idOf = (model: string, text: string) =>
  sha256Hex(`${model}\n${normalizeText(text, { normalization: "NFKC", lowercase: true })}`);

/** Waits for the queue consumer (the Worker's queue handler) to index and store a record. */
async function loggedRecord(
  id: string,
): Promise<{ row: Record<string, unknown>; record: HardExampleRecord }> {
  let row: Record<string, unknown> | null = null;
  // max_batch_timeout is 5 s; allow for a slow machine.
  for (let i = 0; i < 80 && !row; i++) {
    row = await db.prepare("SELECT * FROM hard_examples WHERE id = ?").bind(id).first();
    if (!row) await new Promise((r) => setTimeout(r, 250));
  }
  expect(row, `record ${id} indexed`).not.toBeNull();
  const lines = (await (await logBucket.get(String(row!.r2_key)))!.text()).trimEnd().split("\n");
  const record = lines.map((l) => HardExampleRecord.parse(JSON.parse(l))).find((r) => r.id === id);
  expect(record).toBeDefined();
  return { row: row!, record: record! };
}

beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
});

afterAll(async () => {
  for (const name of NAMES) {
    await kv.delete(`definition/${name}`);
    await kv.delete(`pointer/${name}`);
  }
  const listed = await bindings.MODELS_BUCKET!.list({ prefix: "models/spam-student/" });
  await Promise.all(listed.objects.map((o) => bindings.MODELS_BUCKET!.delete(o.key)));
});

describe("a model from a label set, answered by its teacher until a student is live", () => {
  const teacher = () => ({ protocol: "openai", url: teachers().healthy, model: "clinc150" });

  it("PUT /admin/models/{name}: 201 created, 200 replaced; read back and listed", async () => {
    const first = await created(
      await define("intents", { labels: CLINC_LABELS, outOfScopeLabel: "oos", teacher: teacher() }),
    );
    expect(first).toMatchObject({ name: "intents", live: null, versions: [], warnings: [] });
    expect(first.definition).toMatchObject({
      labels: CLINC_LABELS,
      outOfScopeLabel: "oos",
      teacher: { protocol: "openai", model: "clinc150" },
    });
    const again = await define("intents", {
      labels: CLINC_LABELS,
      outOfScopeLabel: "oos",
      teacher: teacher(),
    });
    expect(again.status).toBe(200);
    const replaced = ModelState.parse(await again.json());
    expect(replaced.definition!.created_at).toBe(first.definition!.created_at);

    const one = ModelState.parse(await (await adminGet("/admin/models/intents")).json());
    expect(one.definition!.labels).toEqual(CLINC_LABELS);
    const all = (await (await adminGet("/admin/models")).json()) as { models: ModelState[] };
    expect(all.models.map((m) => m.name)).toContain("intents");

    const list = ModelList.parse(await (await app.request("/v1/models", {}, gatewayEnv())).json());
    expect(list.models.find((m) => m.name === "intents")).toMatchObject({
      version: "none",
      classes: CLINC_LABELS.length,
      out_of_scope_label: "oos",
      routing: null,
      evaluation: null,
    });
    const detail = ModelDetail.parse(
      await (await app.request("/v1/models/intents", {}, gatewayEnv())).json(),
    );
    expect(detail.labels).toEqual(CLINC_LABELS);
    const v2 = ModelMetadata.parse(await (await app.request("/v2/models/intents", {}, gatewayEnv())).json());
    expect(v2).toMatchObject({ name: "intents", versions: ["none"], parameters: { labels: CLINC_LABELS } });
    const health = (await (await app.request("/healthz", {}, gatewayEnv())).json()) as {
      models: Record<string, unknown>;
    };
    expect(health.models.intents).toEqual({ version: "none", loaded: false });
  });

  it("/v1/classify: the teacher answers every text, and each is logged through the queue to R2 and D1", async () => {
    const texts = [unique("what is my credit score"), unique("book a flight to paris")];
    const res = await classify({ model: "intents", texts });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = ClassifyResponse.parse(await res.json());
    expect(body).toMatchObject({ model: "intents", version: "none" });
    for (const result of body.results) {
      expect(result).toMatchObject({ source: "teacher", student: null });
      expect(CLINC_LABELS).toContain(result.label);
      expect(result.teacher).toMatchObject({ label: result.label, confidence: result.confidence });
    }
    expect(body.results[0]!.label).toBe("credit_score");

    const { row, record } = await loggedRecord(await idOf("intents", texts[0]!));
    expect(row).toMatchObject({
      model: "intents",
      version: "none",
      route: "teacher",
      teacher_label: "credit_score",
      student_label: null,
      confidence: null,
    });
    expect(record).toMatchObject({
      text: texts[0],
      route: "teacher",
      reason: "no_student",
      student: null,
      logged_p: 1,
      teacher: { label: "credit_score", protocol: "openai" },
      request_id: res.headers.get("x-request-id"),
    });
    // The teacher's logprobs become its distribution over the 151 labels: a soft target to distil from.
    const probs = record.teacher!.probs!;
    expect(probs).toHaveLength(CLINC_LABELS.length);
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    const argmax = probs.indexOf(Math.max(...probs));
    expect(CLINC_LABELS[argmax]).toBe("credit_score");
    expect(probs[argmax]).toBeCloseTo(record.teacher!.confidence, 5);
  }, 60_000);

  it("/v2/models/{name}/infer: the teacher's label and probabilities, version none", async () => {
    const text = unique("what is my credit score");
    const res = await app.request(
      "/v2/models/intents/infer",
      post({ inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: [text] }] }),
      gatewayEnv(),
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const body = InferResponse.parse(await res.json());
    expect(body.model_version).toBe("none");
    const probs = body.outputs.find((o) => o.name === "probabilities")!;
    expect(probs.shape).toEqual([1, CLINC_LABELS.length]);
    const row = probs.data as number[];
    expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 2);
    expect(body.outputs.find((o) => o.name === "label")!.data).toEqual(["credit_score"]);
    expect(CLINC_LABELS[row.indexOf(Math.max(...row))]).toBe("credit_score");
  });

  it("explain, or teacher never, on a model with no student: 409 no_student", async () => {
    const explain = await classify({ model: "intents", text: "hi", options: { explain: true } });
    expect(await expectError(explain, 409, "no_student")).toBe("no_student");
    await expectError(
      await classify({ model: "intents", text: "hi", options: { teacher: "never" } }),
      409,
      "no_student",
    );
  });

  it("a teacher that fails with no student to fall back on: 503 teacher_unavailable with Retry-After", async () => {
    const down: [string, string][] = [
      ["downed", teachers().failing],
      ["refused", teachers().refused],
    ];
    for (const [name, url] of down) {
      const teacher = { protocol: "kserve-v2", url, model: "sms-spam" };
      await created(await define(name, { labels: SPAM_LABELS, teacher }));
      const res = await classify({ model: name, text: unique("win a free prize now") });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      const body = (await res.clone().json()) as Record<string, unknown>;
      expect(body.results).toBeUndefined();
      expect(await expectError(res, 503, "teacher_unavailable")).toBe("teacher_unavailable");
    }
  });
});

describe("a teacher per model", () => {
  it("one gateway: one model over OpenAI chat completions, another over KServe V2, each to its own teacher", async () => {
    const openaiKey = fixtureKey("ok");
    const kserveKey = fixtureKey("ok");
    await created(
      await define("spam-llm", {
        labels: SPAM_LABELS,
        teacher: { protocol: "openai", url: fixtureUrl(openaiKey), model: "sms-spam" },
      }),
    );
    await created(
      await define("spam-kserve", {
        labels: SPAM_LABELS,
        teacher: { protocol: "kserve-v2", url: fixtureUrl(kserveKey), model: "sms-spam" },
      }),
    );
    const text = unique("WINNER!! claim your free prize now, call 09061701461");
    const llm = ClassifyResponse.parse(await (await classify({ model: "spam-llm", text })).json());
    const kserve = ClassifyResponse.parse(await (await classify({ model: "spam-kserve", text })).json());
    expect(llm.results[0]).toMatchObject({ label: "spam", source: "teacher" });
    expect(kserve.results[0]).toMatchObject({ label: "spam", source: "teacher" });
    // OpenAI: one chat completion. KServe V2: the model metadata (labels), then the infer call.
    expect(await fixtureCount(openaiKey)).toBe(1);
    expect(await fixtureCount(kserveKey)).toBe(2);
    const [a, b] = await Promise.all([
      loggedRecord(await idOf("spam-llm", text)),
      loggedRecord(await idOf("spam-kserve", text)),
    ]);
    expect(a.record.teacher!.protocol).toBe("openai");
    expect(b.record.teacher!.protocol).toBe("kserve-v2");
  }, 60_000);

  it("a bundled model may name its own teacher: escalations go there, its price counts in /metrics", async () => {
    try {
      await bundledWithOwnTeacher();
    } finally {
      await kv.delete("definition/sms-spam");
    }
  });

  async function bundledWithOwnTeacher() {
    const key = fixtureKey("ok");
    const res = await define("sms-spam", {
      labels: SPAM_LABELS,
      teacher: { protocol: "openai", url: fixtureUrl(key), pricePerCall: 0.25 },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const always = ClassifyResponse.parse(
      await (
        await classify({ model: "sms-spam", text: unique("free entry"), options: { teacher: "always" } })
      ).json(),
    );
    expect(always.version).toBe("1.0.0");
    expect(always.results[0]).toMatchObject({ source: "teacher" });
    expect(always.results[0]!.student).not.toBeNull();
    expect(await fixtureCount(key)).toBe(1);

    const metricsApp = createApp({ teacher: () => kserveTeacher(teachers().healthy) });
    const env = gatewayEnv();
    const student = await metricsApp.request(
      "/v1/classify",
      post({ model: "sms-spam", texts: ["see you at lunch", "ok thanks"], options: { teacher: "never" } }),
      env,
    );
    expect(student.status).toBe(200);
    const metrics = await (await metricsApp.request("/metrics", {}, env)).text();
    const saved = metrics.match(
      /apprentice_money_saved_usd_total\{model="sms-spam",version="1\.0\.0"\} ([0-9.e+-]+)/,
    );
    expect(Number(saved?.[1])).toBeCloseTo(2 * 0.25, 9);
    // The statistics across isolates count money at the same price.
    const stats = (await (await adminGet("/admin/stats?model=sms-spam")).json()) as Record<string, unknown>;
    expect(stats.teacher_price_per_call).toBe(0.25);
  }

  it("a secret named but not set: a warning on GET, and 503 not_configured for a model with no student", async () => {
    const spec = {
      protocol: "openai",
      url: teachers().healthy,
      model: "sms-spam",
      secret: "SPAM_TEACHER_KEY",
    };
    const state = await created(await define("keyed", { labels: SPAM_LABELS, teacher: spec }));
    expect(state.warnings).toHaveLength(1);
    expect(state.warnings[0]).toMatch(/SPAM_TEACHER_KEY is not set/);
    const res = await classify({ model: "keyed", text: unique("free prize") });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("teacher_unavailable");
    expect(error.message).toMatch(/not_configured/);

    // With the secret set (another deployment's env), the same definition works and warns of nothing.
    const withKey = gatewayEnv({ SPAM_TEACHER_KEY: "sk-test" });
    const answered = await classify({ model: "keyed", text: unique("free prize") }, withKey);
    expect(answered.status, await answered.clone().text()).toBe(200);
    const fine = ModelState.parse(await (await adminGet("/admin/models/keyed", withKey)).json());
    expect(fine.warnings).toEqual([]);
  });

  it("bad configuration is refused with 400 and a message that says what is wrong", async () => {
    const url = teachers().healthy;
    const cases: [unknown, RegExp][] = [
      [{ labels: SPAM_LABELS, teacher: { protocol: "grpc", url } }, /protocol must be one of/],
      [
        { labels: SPAM_LABELS, teacher: { protocol: "openai", url: "ftp://teacher.example" } },
        /http\(s\) URL/,
      ],
      [{ labels: SPAM_LABELS, teacher: { protocol: "openai" } }, /openai needs a url/],
      [{ labels: SPAM_LABELS, teacher: { protocol: "workers-ai" } }, /workers-ai needs a model/],
      [
        { labels: SPAM_LABELS, teacher: { protocol: "openai", url, secret: "sk-live-123" } },
        /name of a Worker secret/,
      ],
      [
        { labels: SPAM_LABELS, teacher: { protocol: "openai", url, pricePerCall: -1 } },
        /must not be negative/,
      ],
      [{ labels: ["ham", " "] }, /labels must not be empty/],
      [{ labels: ["ham", "spam", "ham"] }, /duplicate label "ham"/],
      [{ labels: ["ham"] }, /at least 2 labels/],
      [{ labels: Array.from({ length: 1001 }, (_, i) => `l${i}`) }, /at most 1000 labels/],
      [{ labels: SPAM_LABELS, outOfScopeLabel: "other" }, /outOfScopeLabel "other" is not one of the labels/],
      [{ labels: SPAM_LABELS, apiKey: "sk-live" }, /apiKey/],
    ];
    for (const [body, message] of cases) {
      const res = await define("mismatch", body);
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.message).toMatch(message);
    }
    // A bundled model's definition must repeat its student's labels, in order.
    const res = await define("sms-spam", { labels: ["spam", "ham"] });
    const { error } = (await res.json()) as { error: { message: string } };
    expect(res.status).toBe(400);
    expect(error.message).toMatch(/another order/);
    expect(await kv.get("definition/mismatch")).toBeNull();
    expect(await kv.get("definition/sms-spam")).toBeNull();
  });
});

describe("from teacher-only to a student", () => {
  const { manifest, onnx } = {
    manifest: BUNDLED_MODELS["sms-spam"]!.manifest as Record<string, unknown>,
    onnx: BUNDLED_MODELS["sms-spam"]!.onnx as ArrayBuffer,
  };
  function form(name: string, version: string, labels = SPAM_LABELS): FormData {
    const data = new FormData();
    data.set("manifest", new Blob([JSON.stringify({ ...manifest, name, version, labels })]), "manifest.json");
    data.set("onnx", new Blob([onnx]), "student.onnx");
    return data;
  }
  const upload = (name: string, version: string, body: FormData) =>
    app.request(
      `/admin/models/${name}/versions/${version}`,
      { method: "PUT", headers: auth, body },
      gatewayEnv(),
    );

  it("an upload whose labels differ from the model's is refused, naming the difference; version none is reserved", async () => {
    await created(
      await define("spam-student", {
        labels: SPAM_LABELS,
        teacher: { protocol: "kserve-v2", url: teachers().healthy, model: "sms-spam" },
      }),
    );
    const reversed = await upload("spam-student", "1.0.0", form("spam-student", "1.0.0", ["spam", "ham"]));
    const { error } = (await reversed.clone().json()) as { error: { message: string } };
    await expectError(reversed, 400, "invalid_model");
    expect(error.message).toMatch(/label 0 is "spam", the model's is "ham"/);
    const other = await upload("spam-student", "1.0.0", form("spam-student", "1.0.0", ["ham", "junk"]));
    const otherError = (await other.clone().json()) as { error: { message: string } };
    await expectError(other, 400, "invalid_model");
    expect(otherError.error.message).toMatch(/missing "spam"; extra "junk"/);
    await expectError(
      await upload("spam-student", "none", form("spam-student", "none")),
      400,
      "invalid_model",
    );
  });

  it("a matching student, uploaded and promoted, serves the model", async () => {
    const text = unique("see you at lunch tomorrow");
    const before = ClassifyResponse.parse(await (await classify({ model: "spam-student", text })).json());
    expect(before).toMatchObject({ version: "none", results: [{ source: "teacher", student: null }] });

    const res = await upload("spam-student", "1.0.0", form("spam-student", "1.0.0"));
    expect(res.status, await res.clone().text()).toBe(201);
    const promoted = await app.request(
      "/admin/models/spam-student/promote",
      post({ version: "1.0.0" }, auth),
      gatewayEnv(),
    );
    expect(promoted.status, await promoted.clone().text()).toBe(200);
    expect(ModelState.parse(await promoted.json())).toMatchObject({ live: "1.0.0" });

    const after = ClassifyResponse.parse(await (await classify({ model: "spam-student", text })).json());
    expect(after.version).toBe("1.0.0");
    expect(after.results[0]!.student).toMatchObject({ label: "ham" });
    // Only a student can answer without the teacher.
    const never = await classify({ model: "spam-student", text, options: { teacher: "never" } });
    expect(ClassifyResponse.parse(await never.json()).results[0]).toMatchObject({
      source: "student",
      label: "ham",
    });
    const list = ModelList.parse(await (await app.request("/v1/models", {}, gatewayEnv())).json());
    expect(list.models.find((m) => m.name === "spam-student")).toMatchObject({
      version: "1.0.0",
      classes: 2,
    });
  });
});
