import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { accessEnv, createKey } from "../../../test/workerd/access-helpers.ts";
import { post } from "../../../test/workerd/gateway-helpers.ts";
import { createApp } from "../app.ts";
import { ClassifyResponse } from "../schemas/classify.ts";

/**
 * The teacher's answer cache is no oracle across clients (issue 12): on the real stack (the production
 * teacher client over the fixture teacher, the Cache API, API keys in KV), a client's answer comes from
 * the cache only for texts that client sent itself. Otherwise `source: "cache"` (or a fast answer) would
 * tell any client what another one sent within the TTL.
 */
const teacherUrl = inject("teachers").healthy;

describe("the teacher cache, per client", () => {
  it("answers a key from the cache only for what that key sent", async () => {
    const app = createApp();
    const env = accessEnv({ TEACHER_URL: teacherUrl, AUDIT_RATE: 0, CLIENT_RATE_LIMITER: undefined });
    const [alice, bob] = [await createKey(app, env, "alice"), await createKey(app, env, "bob")];
    const text = `asdf qwer ${crypto.randomUUID().slice(0, 8)}`;
    const ask = async (key: string, t = text) => {
      const ctx = createExecutionContext();
      const res = await app.request(
        "/v1/classify",
        post({ text: t, options: { teacher: "always" } }, { authorization: `Bearer ${key}` }),
        env,
        ctx,
      );
      expect(res.status).toBe(200);
      await waitOnExecutionContext(ctx); // the cache is written in waitUntil
      const [result] = ClassifyResponse.parse(await res.json()).results;
      return result!.source;
    };
    expect(await ask(alice.key)).toBe("teacher");
    // Bob sends the same text (and its other forms, same normalised text): the teacher answers him.
    expect(await ask(bob.key)).toBe("teacher");
    // Each one's own repeat is a hit, normalised as before.
    expect(await ask(alice.key)).toBe("cache");
    expect(await ask(bob.key, `  ${text}  `)).toBe("cache");
    // A third key still learns nothing from the two.
    const carol = await createKey(app, env, "carol");
    expect(await ask(carol.key)).toBe("teacher");
  });

  it("caches an audit's teacher answer for the client whose text it is", async () => {
    const app = createApp();
    // The audit runs only with a queue to record it; this one keeps nothing (the log is not under test).
    const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue<unknown>;
    const env = accessEnv({
      TEACHER_URL: teacherUrl,
      AUDIT_RATE: 1,
      HARD_EXAMPLES: queue,
      CLIENT_RATE_LIMITER: undefined,
    });
    const [alice, bob] = [await createKey(app, env, "alice"), await createKey(app, env, "bob")];
    const text = `what is my credit score ${crypto.randomUUID().slice(0, 8)}`;
    const ask = async (key: string, teacher: "auto" | "always") => {
      const ctx = createExecutionContext();
      const res = await app.request(
        "/v1/classify",
        post({ text, options: { teacher } }, { authorization: `Bearer ${key}` }),
        env,
        ctx,
      );
      expect(res.status).toBe(200);
      await waitOnExecutionContext(ctx); // the audit and its cache write run in waitUntil
      const [result] = ClassifyResponse.parse(await res.json()).results;
      return result!.source;
    };
    // A confident answer, audited in the background: the teacher's answer goes to Alice's partition.
    expect(await ask(alice.key, "auto")).toBe("student");
    expect(await ask(alice.key, "always")).toBe("cache");
    // Not to another key's.
    expect(await ask(bob.key, "always")).toBe("teacher");
  });
});
