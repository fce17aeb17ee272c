import { describe, expect, it } from "vitest";
import clincManifest from "../../models/clinc150/manifest.json";
import smsManifest from "../../models/sms-spam/manifest.json";
import { createAdapter } from "../../src/gateway/teacher-client/adapters.ts";
import { createTeacherClient } from "../../src/gateway/teacher-client/client.ts";
import type { TeacherAnswer, TeacherOutcome, TeacherQuery } from "../../src/gateway/teacher-client/types.ts";
import type { AiBinding } from "../../src/gateway/teacher-client/workers-ai.ts";
import { fixtureCount, fixtureKey, fixtureUrl, teacherConfig, teachers } from "./teacher-helpers.ts";

/**
 * Each protocol adapter against a real HTTP peer: kserve-v2 and openai against the local teacher server,
 * http-json against the fixture server (which answers from the same teacher model), workers-ai through
 * a stand-in AI binding that itself asks the local teacher over HTTP (Workers AI is unreachable here).
 * The reference answer for every text is the teacher's own V2 output, fetched directly.
 */
const SMS = smsManifest.labels;
const CLINC = clincManifest.labels;
const SPAM = "WINNER!! You have won a free prize, call now to claim your cash reward";
const HAM = "ok see you at lunch tomorrow, I'll bring the notes";
const CLINC_TEXT = "what is my credit score";

interface Reference {
  label: string;
  probs: number[];
}

/** The local teacher's own answer (V2, probabilities and label), to compare every adapter with. */
async function reference(model: string, texts: string[]): Promise<Reference[]> {
  const res = await fetch(`${teachers().healthy}/v2/models/${model}/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      inputs: [{ name: "text", datatype: "BYTES", shape: [texts.length], data: texts }],
    }),
  });
  const body = (await res.json()) as {
    outputs: { name: string; shape: number[]; data: (number | string)[] }[];
  };
  const probs = body.outputs.find((o) => o.name === "probabilities")!;
  const labels = body.outputs.find((o) => o.name === "label")!;
  const c = probs.shape[1]!;
  return texts.map((_, i) => ({
    label: labels.data[i] as string,
    probs: (probs.data as number[]).slice(i * c, i * c + c),
  }));
}

function answers(outcome: TeacherOutcome): TeacherAnswer[] {
  if (!outcome.ok) throw new Error(`teacher failed: ${outcome.kind}: ${outcome.message}`);
  return outcome.answers;
}

function client(env: Record<string, string>, bindings = {}) {
  return createTeacherClient(teacherConfig({ TEACHER_CACHE_TTL_S: "0", ...env }), bindings);
}

const sms = (texts: string[], labels: readonly string[] = SMS): TeacherQuery => ({
  model: "sms-spam",
  labels,
  texts,
});

describe("kserve-v2 adapter, local teacher", () => {
  const teacher = () => client({ TEACHER_URL: teachers().healthy, TEACHER_PROTOCOL: "kserve-v2" });

  it("answers a batch in one call with the teacher's label, probabilities and confidence", async () => {
    const [spam, ham] = await reference("sms-spam", [SPAM, HAM]);
    const got = answers(await teacher().ask(sms([SPAM, HAM])));
    expect(got.map((a) => a.label)).toEqual([spam!.label, ham!.label]);
    expect(got.map((a) => a.label)).toEqual(["spam", "ham"]);
    for (const [i, ref] of [spam!, ham!].entries()) {
      expect(got[i]!.probs).toEqual(ref.probs);
      expect(got[i]!.confidence).toBe(Math.max(...ref.probs));
    }
  });

  it("maps columns by the metadata's label names, not by position", async () => {
    const [spam] = await reference("sms-spam", [SPAM]);
    const got = answers(await teacher().ask(sms([SPAM], ["spam", "ham"])));
    expect(got[0]!.label).toBe("spam");
    // Reordered into the query's label order.
    expect(got[0]!.probs).toEqual([spam!.probs[1], spam!.probs[0]]);
  });

  it("serves a 151-label model", async () => {
    const [ref] = await reference("clinc150", [CLINC_TEXT]);
    const got = answers(await teacher().ask({ model: "clinc150", labels: CLINC, texts: [CLINC_TEXT] }));
    expect(got[0]!.label).toBe(ref!.label);
    expect(got[0]!.probs).toHaveLength(CLINC.length);
  });

  it("a model the teacher does not serve is a 4xx", async () => {
    const outcome = await teacher().ask({ model: "no-such-model", labels: SMS, texts: [HAM] });
    expect(outcome).toMatchObject({ ok: false, kind: "http_4xx" });
  });

  it.each([
    ["unknown-label", "unknown_label"],
    ["malformed", "bad_response"],
    ["bad-shape", "bad_response"],
  ])("fixture mode %s → %s", async (mode, kind) => {
    const key = fixtureKey(mode);
    const outcome = await client({ TEACHER_URL: fixtureUrl(key), TEACHER_PROTOCOL: "kserve-v2" }).ask(
      sms([SPAM, HAM]),
    );
    expect(outcome).toMatchObject({ ok: false, kind });
  });
});

describe("openai adapter, local teacher", () => {
  const teacher = () => client({ TEACHER_URL: teachers().healthy, TEACHER_PROTOCOL: "openai" });

  it("reads label and confidence from logprobs, and the distribution when top_logprobs cover it", async () => {
    const refs = await reference("sms-spam", [SPAM, HAM]);
    const got = answers(await teacher().ask(sms([SPAM, HAM])));
    for (const [i, ref] of refs.entries()) {
      expect(got[i]!.label).toBe(ref.label);
      // exp(log-softmax in float64) against the FP32 softmax the V2 surface sends.
      expect(got[i]!.confidence).toBeCloseTo(Math.max(...ref.probs), 6);
      for (const [j, p] of got[i]!.probs!.entries()) expect(p).toBeCloseTo(ref.probs[j]!, 6);
    }
  });

  it("on 151 labels: the five alternatives keep their probability, the other labels share what is left", async () => {
    const [ref] = await reference("clinc150", [CLINC_TEXT]);
    const got = answers(await teacher().ask({ model: "clinc150", labels: CLINC, texts: [CLINC_TEXT] }));
    expect(got[0]!.label).toBe(ref!.label);
    expect(got[0]!.confidence).toBeCloseTo(Math.max(...ref!.probs), 6);
    const probs = got[0]!.probs!;
    expect(probs).toHaveLength(CLINC.length);
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
    const ranked = ref!.probs.map((p, i) => ({ p, i })).sort((a, b) => b.p - a.p);
    const top = ranked.slice(0, 5);
    for (const { p, i } of top) expect(probs[i]).toBeCloseTo(p, 6);
    // Every unlisted label gets an equal share of 1 − Σ top five, never more than the fifth.
    const left = (1 - top.reduce((s, t) => s + t.p, 0)) / (CLINC.length - 5);
    for (const { i } of ranked.slice(5)) expect(probs[i]).toBeCloseTo(Math.min(left, top[4]!.p), 6);
  });

  it.each([
    ["unknown-label", "unknown_label"],
    ["malformed", "bad_response"],
    ["bad-shape", "bad_response"],
    ["400", "http_4xx"],
  ])("fixture mode %s → %s", async (mode, kind) => {
    const key = fixtureKey(mode);
    const outcome = await client({ TEACHER_URL: fixtureUrl(key), TEACHER_PROTOCOL: "openai" }).ask(
      sms([SPAM]),
    );
    expect(outcome).toMatchObject({ ok: false, kind });
  });
});

describe("http-json adapter, fixture server over the teacher model", () => {
  const at = (key: string, query = "") =>
    client({ TEACHER_URL: fixtureUrl(key, `/sms-spam${query}`), TEACHER_PROTOCOL: "http-json" });

  it("one request per text; probs as an array in label order", async () => {
    // One reference call per text, as the fixture makes them: a batch pads bags, which moves the last digits.
    const refs = (await Promise.all([SPAM, HAM].map((t) => reference("sms-spam", [t])))).flat();
    const key = fixtureKey("ok");
    const got = answers(await at(key).ask(sms([SPAM, HAM])));
    expect(await fixtureCount(key)).toBe(2);
    expect(got).toEqual(
      refs.map((r) => ({ label: r.label, confidence: Math.max(...r.probs), probs: r.probs })),
    );
  });

  it("probs keyed by label are mapped by name", async () => {
    const [ref] = await reference("sms-spam", [SPAM]);
    const got = answers(await at(fixtureKey("ok"), "?probs=record").ask(sms([SPAM], ["spam", "ham"])));
    expect(got[0]).toEqual({
      label: "spam",
      confidence: ref!.probs[1],
      probs: [ref!.probs[1], ref!.probs[0]],
    });
  });

  it("a bare label is a one-hot answer", async () => {
    const got = answers(await at(fixtureKey("ok"), "?probs=none").ask(sms([HAM])));
    expect(got[0]).toEqual({ label: "ham", confidence: 1, probs: null });
  });

  it.each([
    ["unknown-label", "unknown_label"],
    ["malformed", "bad_response"],
    ["bad-shape", "bad_response"],
    ["truncated", "network"],
    ["500", "http_5xx"],
    ["429", "http_4xx"],
  ])("fixture mode %s → %s", async (mode, kind) => {
    const outcome = await at(fixtureKey(mode)).ask(sms([SPAM]));
    expect(outcome).toMatchObject({ ok: false, kind });
  });

  it("a refused connection is a network failure", async () => {
    const outcome = await client({ TEACHER_URL: teachers().refused, TEACHER_PROTOCOL: "http-json" }).ask(
      sms([HAM]),
    );
    expect(outcome).toMatchObject({ ok: false, kind: "network" });
  });
});

/**
 * A stand-in for the Workers AI binding: the shape of `env.AI.run` in JSON mode, answered by the local
 * teacher's chat completions endpoint over HTTP. It records what the adapter sent.
 */
function standInAi(options: { asString?: boolean; label?: string } = {}) {
  const calls: { model: string; inputs: Record<string, unknown> }[] = [];
  const ai: AiBinding = {
    async run(model, inputs, runOptions) {
      calls.push({ model, inputs });
      const res = await fetch(`${teachers().healthy}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "sms-spam", messages: inputs.messages }),
        signal: runOptions?.signal ?? null,
      });
      if (!res.ok) throw new Error(`AiError: upstream ${res.status}`);
      const completion = (await res.json()) as { choices: { message: { content: string } }[] };
      const content = completion.choices[0]!.message.content;
      const answer = options.label ? { label: options.label } : JSON.parse(content);
      return { response: options.asString ? JSON.stringify(answer) : answer, usage: { total_tokens: 1 } };
    },
  };
  return { ai, calls };
}

describe("workers-ai adapter, stand-in binding over the local teacher", () => {
  const MODEL = "@cf/meta/llama-3.1-8b-instruct";
  const env = { TEACHER_PROTOCOL: "workers-ai", TEACHER_MODEL: MODEL };

  it("sends messages with a JSON-schema response_format and reads {response: {label}}", async () => {
    const refs = await reference("sms-spam", [SPAM, HAM]);
    const { ai, calls } = standInAi();
    const got = answers(await client(env, { AI: ai }).ask({ model: MODEL, labels: SMS, texts: [SPAM, HAM] }));
    expect(got).toEqual(refs.map((r) => ({ label: r.label, confidence: 1, probs: null })));
    expect(calls).toHaveLength(2);
    expect(calls[0]!.model).toBe(MODEL);
    expect(calls[0]!.inputs.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        type: "object",
        properties: { label: { type: "string", enum: SMS } },
        required: ["label"],
        additionalProperties: false,
      },
    });
  });

  it("accepts the JSON answer as a string too", async () => {
    const { ai } = standInAi({ asString: true });
    const got = answers(await client(env, { AI: ai }).ask({ model: MODEL, labels: SMS, texts: [SPAM] }));
    expect(got[0]!.label).toBe("spam");
  });

  it("a label outside the set is unknown_label; a throwing binding is a network failure", async () => {
    const bogus = standInAi({ label: "maybe" }).ai;
    expect(await client(env, { AI: bogus }).ask({ model: MODEL, labels: SMS, texts: [HAM] })).toMatchObject({
      ok: false,
      kind: "unknown_label",
    });
    const broken: AiBinding = { run: () => Promise.reject(new Error("AiError: 3040: Capacity exceeded")) };
    expect(await client(env, { AI: broken }).ask({ model: MODEL, labels: SMS, texts: [HAM] })).toMatchObject({
      ok: false,
      kind: "network",
    });
  });

  it("is not configured without the AI binding or without TEACHER_MODEL", () => {
    const config = teacherConfig({ TEACHER_PROTOCOL: "workers-ai" });
    expect(createAdapter(config, { AI: standInAi().ai })).toMatchObject({ kind: "not_configured" });
    expect(createAdapter({ ...config, TEACHER_MODEL: MODEL }, {})).toMatchObject({ kind: "not_configured" });
  });
});

describe("the teacher's secret, every HTTP protocol", () => {
  // The fixture's `auth` mode answers 401 unless it gets its own key as `Authorization: Bearer {key}`.
  const cases = [
    ["kserve-v2", ""],
    ["openai", ""],
    ["http-json", "/sms-spam"],
  ] as const;

  it.each(cases)("%s sends TEACHER_API_KEY as a bearer token", async (protocol, rest) => {
    const key = fixtureKey("auth");
    const teacher = client({
      TEACHER_URL: fixtureUrl(key, rest),
      TEACHER_PROTOCOL: protocol,
      TEACHER_API_KEY: key,
    });
    const got = answers(await teacher.ask(sms([SPAM])));
    expect(got[0]!.label).toBe("spam");
  });

  it.each(cases)("%s without the key is refused by the teacher (http_4xx)", async (protocol, rest) => {
    const key = fixtureKey("auth");
    const teacher = client({ TEACHER_URL: fixtureUrl(key, rest), TEACHER_PROTOCOL: protocol });
    expect(await teacher.ask(sms([SPAM]))).toMatchObject({ ok: false, kind: "http_4xx" });
    expect(await fixtureCount(key)).toBeGreaterThan(0);
  });
});
