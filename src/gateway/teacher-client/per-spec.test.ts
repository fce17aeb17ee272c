import { describe, expect, it } from "vitest";
import smsManifest from "../../../models/sms-spam/manifest.json";
import {
  fixtureCount,
  fixtureKey,
  fixtureUrl,
  teacherConfig,
} from "../../../test/workerd/teacher-helpers.ts";
import { TeacherSpec } from "../registry/model-definition.ts";
import { clientForSpec, secretOf, specConfig } from "./per-spec.ts";

/**
 * A model's own teacher (its definition's TeacherSpec) against the real fixture teacher of
 * test/workerd/global-setup.ts: the key comes from the secret the spec names, read from the env, and a
 * client is kept per spec and env.
 */
const defaults = teacherConfig({ TEACHER_CACHE_TTL_S: "0" });
const ask = (client: ReturnType<typeof clientForSpec>) =>
  client.ask({ model: "sms-spam", labels: smsManifest.labels, texts: ["see you at lunch"] });

describe("clientForSpec", () => {
  it("sends the key of the secret the spec names, with the spec's protocol and URL", async () => {
    const key = fixtureKey("auth");
    const spec = TeacherSpec.parse({
      protocol: "http-json",
      url: fixtureUrl(key, "/sms-spam"),
      secret: "MODEL_KEY",
    });
    // A Worker env: the bindings and, beside them, the secrets.
    const env = (secret: string): object => ({ MODEL_KEY: secret });
    expect(await ask(clientForSpec(spec, defaults, env(key)))).toMatchObject({ ok: true });
    const refused = await ask(clientForSpec(spec, defaults, env("another key")));
    expect(refused).toMatchObject({ ok: false, kind: "http_4xx" });
    expect(await fixtureCount(key)).toBe(2);
  });

  it("a secret that is not set fails every call as not_configured, naming it, without calling the teacher", async () => {
    const key = fixtureKey("ok");
    const spec = TeacherSpec.parse({
      protocol: "http-json",
      url: fixtureUrl(key, "/sms-spam"),
      secret: "UNSET_KEY",
    });
    for (const env of [{}, { UNSET_KEY: "  " }, { UNSET_KEY: 42 }]) {
      expect(await ask(clientForSpec(spec, defaults, env))).toMatchObject({
        ok: false,
        kind: "not_configured",
        message: "the teacher's secret UNSET_KEY is not set",
      });
    }
    expect(await fixtureCount(key)).toBe(0);
    // No secret named: no key sent, and nothing missing.
    const open = TeacherSpec.parse({ protocol: "http-json", url: fixtureUrl(key, "/sms-spam") });
    expect(await ask(clientForSpec(open, defaults, {}))).toMatchObject({ ok: true });
  });

  it("one client per spec and env: the same for the same pair, another for another env or spec", () => {
    const spec = TeacherSpec.parse({ protocol: "openai", url: "http://127.0.0.1:9/v1", model: "m" });
    const env = {};
    const client = clientForSpec(spec, defaults, env);
    expect(clientForSpec(spec, defaults, env)).toBe(client);
    expect(clientForSpec({ ...spec }, defaults, env)).toBe(client);
    expect(clientForSpec(spec, defaults, {})).not.toBe(client);
    expect(clientForSpec({ ...spec, model: "n" }, defaults, env)).not.toBe(client);
    expect(clientForSpec(spec, { ...defaults, TEACHER_RETRIES: 2 }, env)).not.toBe(client);
    expect(client.protocol).toBe("openai");
  });

  it("the spec's protocol, URL and model replace the defaults'; the rest stays", () => {
    const spec = TeacherSpec.parse({
      protocol: "kserve-v2",
      url: "http://teacher.test/",
      model: "big",
      secret: "K",
    });
    expect(specConfig(defaults, spec, { K: "sk-1" })).toEqual({
      ...defaults,
      TEACHER_PROTOCOL: "kserve-v2",
      TEACHER_URL: "http://teacher.test",
      TEACHER_MODEL: "big",
      TEACHER_API_KEY: "sk-1",
    });
    expect(specConfig(defaults, { protocol: "openai" }, { K: "sk-1" }).TEACHER_API_KEY).toBeUndefined();
    expect(secretOf({ K: " sk " }, "K")).toBe(" sk ");
    expect(secretOf({ K: "" }, "K")).toBeUndefined();
  });
});
