import * as ort from "onnxruntime-web/wasm";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { featurizeNamed } from "../../src/core/featurizer.ts";
import { createApp } from "../../src/gateway/app.ts";
import { explain, topFeatures } from "../../src/gateway/explain/index.ts";
import { marginOf } from "../../src/gateway/explain/occlusion.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { ModelSet } from "../../src/gateway/models/model-set.ts";
import {
  type ClassifyResponse,
  ClassifyResponse as ClassifyResponseSchema,
} from "../../src/gateway/schemas/classify.ts";
import { envWith, kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * POST /v1/classify end to end inside workerd: the shipped students through onnxruntime-web, the cascade,
 * and a real teacher over HTTP (the local teacher servers of global-setup.ts).
 */
const teachers = inject("teachers");
const registry = new ModelSet(BUNDLED_MODELS);

// clinc150 routes on margin < 0.265. Measured on the shipped student:
const UNSURE = ["asdf qwer", "hmm"]; // margins ≈ 0.000, 0.003
const MIDDLING = "i like turtles"; // margin ≈ 0.44
const SURE = ["what is my credit score", "set an alarm for 7am", "book a flight in paris"]; // margins > 0.99

async function classify(app: ReturnType<typeof createApp>, body: unknown, env = envWith()) {
  const res = await app.request("/v1/classify", post(body), env);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  return ClassifyResponseSchema.parse(await res.json());
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /v1/classify: student answers", () => {
  const app = createApp({ teacher: () => kserveTeacher(teachers.healthy) });

  it("answers one text with the default model, confidently, from the student", async () => {
    const body = await classify(app, { text: "what is my credit score" });
    expect(body.model).toBe("clinc150");
    expect(body.version).toBe("1.0.0");
    expect(body.results).toHaveLength(1);
    const [r] = body.results;
    expect(r).toMatchObject({ label: "credit_score", source: "student" });
    expect(r!.confidence).toBeGreaterThan(0.99);
    expect(r!.student).toEqual({ label: r!.label, confidence: r!.confidence });
    expect(r!.degraded).toBeUndefined();
    expect(r!.explanation).toBeUndefined();
  });

  it("serves the other bundled model by name", async () => {
    const body = await classify(app, {
      model: "sms-spam",
      texts: ["you have WON a free prize", "see you at home later"],
    });
    expect(body.model).toBe("sms-spam");
    expect(body.results.map((r) => r.label)).toEqual(["spam", "ham"]);
  });

  it("runs a batch through ONE session.run, with the same answers as one text at a time", async () => {
    const texts = [...SURE, MIDDLING, "what's the weather like in berlin", "play some jazz", "x"];
    await classify(app, { text: "warm-up", options: { teacher: "never" } });
    // InferenceSession is typed as a factory, but it is the class every session is an instance of.
    const sessionClass = ort.InferenceSession as unknown as { prototype: ort.InferenceSession };
    const run = vi.spyOn(sessionClass.prototype, "run");
    const batch = await classify(app, { texts, options: { teacher: "never" } });
    expect(run).toHaveBeenCalledTimes(1);
    expect(batch.results).toHaveLength(texts.length);
    for (const [i, text] of texts.entries()) {
      const [single] = (await classify(app, { text, options: { teacher: "never" } })).results;
      expect(batch.results[i]!.label).toBe(single!.label);
      // Padding to the longest bag must not move a row's numbers.
      expect(Math.abs(batch.results[i]!.confidence - single!.confidence)).toBeLessThan(1e-6);
    }
  });

  it("takes a full batch of MAX_BATCH texts", async () => {
    const texts = Array.from({ length: 64 }, (_, i) => `${SURE[i % SURE.length]} ${i}`);
    const body = await classify(app, { texts, options: { teacher: "never" } });
    expect(body.results).toHaveLength(64);
  });

  it("answers concurrent requests exactly as sequential ones (runs are serialised per session)", async () => {
    const bodies = [...SURE, MIDDLING, ...UNSURE].map((text) => ({ text, options: { teacher: "never" } }));
    const sequential: ClassifyResponse[] = [];
    for (const b of bodies) sequential.push(await classify(app, b));
    const parallel = await Promise.all(bodies.map((b) => classify(app, b)));
    expect(parallel).toEqual(sequential);
  });
});

describe("POST /v1/classify: routing to the teacher", () => {
  it("auto: an unsure text goes to the teacher, a sure one does not", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const unsure = await classify(app, { text: UNSURE[0] });
    expect(port.queries).toHaveLength(1);
    expect(port.queries[0]).toMatchObject({ model: "clinc150", texts: [UNSURE[0]] });
    expect(port.queries[0]!.labels).toHaveLength(151);
    // The answer cache is keyed by model, version and the featuriser's normalisation.
    expect(port.queries[0]!.cache).toEqual({
      model: "clinc150",
      version: "1.0.0",
      normalization: { normalization: "NFKC", lowercase: true },
    });
    const [r] = unsure.results;
    expect(r!.source).toBe("teacher");
    expect(r!.teacher).toBeDefined();
    expect(r!.label).toBe(r!.teacher!.label);
    expect(r!.confidence).toBe(r!.teacher!.confidence);
    expect(r!.teacher!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(r!.student!.confidence).toBeLessThan(0.5);

    await classify(app, { text: SURE[0] });
    expect(port.queries).toHaveLength(1);
  });

  it("a batch sends only its unsure texts, in ONE teacher call, and maps the answers back", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const texts = [SURE[0]!, UNSURE[0]!, SURE[1]!, UNSURE[1]!];
    const body = await classify(app, { texts });
    expect(port.queries.map((q) => q.texts)).toEqual([[UNSURE[0], UNSURE[1]]]);
    expect(body.results.map((r) => r.source)).toEqual(["student", "teacher", "student", "teacher"]);
  });

  it("never: no teacher call even for unsure texts, and the answer is not degraded", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const body = await classify(app, { texts: UNSURE, options: { teacher: "never" } });
    expect(port.queries).toHaveLength(0);
    for (const r of body.results) {
      expect(r.source).toBe("student");
      expect(r.degraded).toBeUndefined();
    }
  });

  it("always: every text goes to the teacher, sure ones too", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const body = await classify(app, { texts: SURE, options: { teacher: "always" } });
    expect(port.queries.map((q) => q.texts)).toEqual([SURE]);
    expect(body.results.every((r) => r.source === "teacher")).toBe(true);
    // The teacher agrees on these easy texts.
    expect(body.results.map((r) => r.label)).toEqual(body.results.map((r) => r.student!.label));
  });

  it("a request's threshold moves the line within the configured bounds", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const at = async (threshold?: number) =>
      (
        await classify(app, {
          text: MIDDLING,
          ...(threshold === undefined ? {} : { options: { threshold } }),
        })
      ).results[0]!.source;
    expect(await at()).toBe("student"); // margin ≈ 0.44 ≥ 0.265
    expect(await at(0.6)).toBe("teacher");
    expect(await at(0)).toBe("student");
    expect(port.queries).toHaveLength(1);
  });

  it("a failing teacher (HTTP 503): the student's answer, degraded, with the failure as reason", async () => {
    const port = kserveTeacher(teachers.failing);
    const app = createApp({ teacher: () => port });
    const body = await classify(app, { texts: [UNSURE[0], SURE[0]] });
    expect(port.queries).toHaveLength(1);
    const [degraded, sure] = body.results;
    expect(degraded).toMatchObject({ source: "student", degraded: true, reason: "http_5xx" });
    expect(degraded!.label).toBe(degraded!.student!.label);
    expect(degraded!.teacher).toBeUndefined();
    expect(sure!.degraded).toBeUndefined();
  });
});

describe("POST /v1/classify: the production teacher wiring (createTeacherClient from TEACHER_* vars)", () => {
  const app = createApp();

  it("reaches the configured KServe teacher, then answers a repeat from the answer cache", async () => {
    const env = envWith({ TEACHER_URL: teachers.healthy });
    const text = `${UNSURE[0]} ${crypto.randomUUID().slice(0, 4)}`;
    const first = await classify(app, { text, options: { teacher: "always" } }, env);
    expect(first.results[0]!.source).toBe("teacher");
    // Same text after the featuriser's normalisation (case, spaces): the cached teacher answer.
    const again = await classify(
      app,
      { text: `  ${text.toUpperCase()} `, options: { teacher: "always" } },
      env,
    );
    expect(again.results[0]).toMatchObject({ source: "cache", label: first.results[0]!.label });
  });

  it("degrades with the client's failure kind when the teacher fails or is not configured", async () => {
    const failing = await classify(app, { text: UNSURE[1] }, envWith({ TEACHER_URL: teachers.failing }));
    expect(failing.results[0]).toMatchObject({ degraded: true, reason: "http_5xx", source: "student" });
    const none = await classify(app, { text: UNSURE[1] }, envWith());
    expect(none.results[0]).toMatchObject({ degraded: true, reason: "not_configured", source: "student" });
  });
});

describe("POST /v1/classify: explanations", () => {
  const app = createApp({ teacher: () => kserveTeacher(teachers.healthy) });

  // Texts whose label flips with one word; that word's n-grams must be what pushed the label most.
  const PIVOTS = [
    { model: "clinc150", text: "what is my credit limit", pivot: "limit", label: "credit_limit" },
    { model: "clinc150", text: "what is my credit balance", pivot: "balance", label: "balance" },
    { model: "clinc150", text: "book a flight in paris", pivot: "flight", label: "book_flight" },
    { model: "clinc150", text: "book a hotel in paris", pivot: "hotel", label: "book_hotel" },
    { model: "sms-spam", text: "you have won", pivot: "won", label: "spam" },
    { model: "sms-spam", text: "you have time", pivot: "time", label: "ham" },
    { model: "sms-spam", text: "you have WON a free prize", pivot: "won", label: "spam" },
  ];

  /** A feature belongs to a word if it is the word, a word n-gram containing it, or a char n-gram of "<word>". */
  const fromWord = (f: { token: string; kind: "word" | "char" }, word: string) =>
    f.kind === "word" ? f.token.split(" ").includes(word) : `<${word}>`.includes(f.token);

  it.each(PIVOTS)("$model $text → $label, pushed most by $pivot", async ({ model, text, pivot, label }) => {
    const body = await classify(app, { model, text, options: { explain: true, teacher: "never" } });
    const [r] = body.results;
    expect(r!.label).toBe(label);
    const explanation = r!.explanation!;
    expect(explanation.length).toBeGreaterThan(0);
    expect(explanation.length).toBeLessThanOrEqual(8);
    expect(fromWord(explanation[0]!, pivot), JSON.stringify(explanation[0])).toBe(true);
    for (let i = 1; i < explanation.length; i++)
      expect(explanation[i - 1]!.weight).toBeGreaterThanOrEqual(explanation[i]!.weight);
    expect(explanation.every((f) => f.weight > 0)).toBe(true);
  });

  it.each(PIVOTS)(
    "$model $text: weights plus bias rebuild the ONNX logit margin within 1e-4",
    async ({ model, text }) => {
      const manifest = registry.manifest(model);
      const named = featurizeNamed(text, manifest.featurizer);
      const [logits] = await (await registry.load(model)).logits([named.ids]);
      const members = registry.weights(model);
      expect(members).toHaveLength(1);
      expect(members[0]!.hidden).toBe(0);
      for (const c of [0, 1, manifest.labels.length - 1]) {
        const e = explain(members, named, c);
        expect(e.method).toBe("exact-linear");
        const rebuilt = e.bias! + e.features.reduce((s, f) => s + f.weight, 0);
        expect(Math.abs(rebuilt - marginOf(logits!, c))).toBeLessThan(1e-4);
      }
      // The route reports the top of that same explanation for its label.
      const body = await classify(app, { model, text, options: { explain: true, teacher: "never" } });
      const c = manifest.labels.indexOf(body.results[0]!.label);
      expect(body.results[0]!.explanation).toEqual(topFeatures(explain(members, named, c)));
    },
  );

  it("explains every text of a batch, and a teacher's answer by its own label", async () => {
    const texts = [SURE[0]!, ...UNSURE];
    const body = await classify(app, { texts, options: { explain: true, teacher: "always" } });
    const manifest = registry.manifest("clinc150");
    const members = registry.weights("clinc150");
    for (const [i, r] of body.results.entries()) {
      expect(r.source).toBe("teacher");
      const c = manifest.labels.indexOf(r.label);
      const named = featurizeNamed(texts[i]!, manifest.featurizer);
      expect(r.explanation).toEqual(topFeatures(explain(members, named, c)));
    }
    // At least one text where the teacher overrules the student, so the label explained matters.
    const overruled = body.results.filter((r) => r.student!.label !== r.label);
    expect(overruled.length).toBeGreaterThan(0);
    for (const r of overruled) {
      const i = body.results.indexOf(r);
      const named = featurizeNamed(texts[i]!, manifest.featurizer);
      const byStudent = topFeatures(explain(members, named, manifest.labels.indexOf(r.student!.label)));
      expect(r.explanation).not.toEqual(byStudent);
    }
  });
});
