import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CreatedKey } from "../../src/gateway/admin/keys/schemas.ts";
import { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { expectError, post } from "./gateway-helpers.ts";
import { fixtureCount, fixtureKey, fixtureUrl } from "./teacher-helpers.ts";

/**
 * Teacher budgets (issue 13, item 5) on the real stack: the production teacher client, the fixture
 * teacher server of global-setup.ts over http-json (one HTTP request per text, counted at the server),
 * and the TEACHER_BUDGET Durable Object miniflare runs from wrangler.toml. Each test defines a model of
 * its own (or the bundled model's definition), so no two share a budget counter.
 */
const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const TOKEN = "budget-admin-token-0123456789abcdef-xyz";
const auth = { authorization: `Bearer ${TOKEN}` };
const SPAM_LABELS = ["ham", "spam"];
const HOUR_MS = 3_600_000;

const app = createApp();
const gatewayEnv = (extra: Env = {}): Env => ({
  ...bindings,
  ADMIN_TOKEN: TOKEN,
  REGISTRY_TTL_MS: "0",
  AUDIT_RATE: "0",
  TEACHER_CACHE_TTL_S: "0",
  BREAKER_FAILURES: "1000",
  // 64 concurrent calls must meet the budget, not the per-isolate cap.
  TEACHER_MAX_CONCURRENCY: "1024",
  TEACHER_TIMEOUT_MS: "30000",
  ...extra,
});
const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;
const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** A model named `name` whose teacher is a fresh fixture key (http-json: one request per text). */
async function defineModel(name: string, budget: Record<string, number | null>, env = gatewayEnv()) {
  const key = fixtureKey("ok");
  const res = await app.request(
    `/admin/models/${name}`,
    {
      ...post(
        {
          labels: SPAM_LABELS,
          teacher: { protocol: "http-json", url: fixtureUrl(key, "/sms-spam") },
          budget,
        },
        auth,
      ),
      method: "PUT",
    },
    env,
  );
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return key;
}

async function classify(body: unknown, env = gatewayEnv(), headers: Record<string, string> = {}) {
  return app.request("/v1/classify", post(body, headers), env);
}

async function answers(res: Response) {
  expect(res.status, await res.clone().text()).toBe(200);
  return ClassifyResponse.parse(await res.json()).results;
}

async function stats(model: string, env = gatewayEnv()) {
  const res = await app.request(`/admin/stats?model=${model}`, { headers: auth }, env);
  expect(res.status, await res.clone().text()).toBe(200);
  return StatsResponse.parse(await res.json());
}

/** A client key, made through POST /admin/keys. */
async function createKey(env: Env, name: string): Promise<CreatedKey> {
  const res = await app.request("/admin/keys", post({ name }, auth), env);
  expect(res.status, await res.clone().text()).toBe(201);
  return CreatedKey.parse(await res.json());
}

beforeAll(async () => {
  // /admin/stats reads D1 beside the budget's counter.
  await applyD1Migrations(bindings.DB!, bindings.TEST_MIGRATIONS);
});

/** Runs `burst` inside one UTC hour (the budget's window), again when an hour boundary fell inside it. */
async function inOneHour<T>(burst: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const before = hourOf(Date.now());
    const result = await burst();
    if (hourOf(Date.now()) === before) return result;
  }
  throw new Error("two bursts in a row straddled an hour");
}

describe("teacher budgets", () => {
  it("a spent budget degrades the student's answers with reason budget, and a batch is reserved whole", async () => {
    await inOneHour(async () => {
      const model = "sms-spam";
      try {
        const key = await defineModel(model, { perHour: 3 });
        const always = (texts: string[]) =>
          classify({ model, texts: texts.map(unique), options: { teacher: "always" } });
        // 2 of 3: granted in one reservation.
        expect((await answers(await always(["free prize", "call me"]))).map((r) => r.source)).toEqual([
          "teacher",
          "teacher",
        ]);
        // 2 more do not fit: the batch is refused whole, each text the student's, degraded for budget.
        const refused = await answers(await always(["lunch?", "win cash now"]));
        for (const r of refused)
          expect(r).toMatchObject({ source: "student", degraded: true, reason: "budget" });
        // The last one fits, then the hour is spent.
        expect((await answers(await always(["see you"])))[0]).toMatchObject({ source: "teacher" });
        expect((await answers(await always(["ok"])))[0]).toMatchObject({ degraded: true, reason: "budget" });
        // The teacher saw exactly the budget.
        expect(await fixtureCount(key)).toBe(3);

        const { budget } = await stats(model);
        expect(budget).toMatchObject({
          limits: { per_hour: 3, per_day: null },
          hour: { limit: 3, used: 3, refused: 3 },
          day: { limit: null, used: 3, refused: 3 },
        });
        expect(Date.parse(budget!.hour.resets_at)).toBe((hourOf(Date.now()) + 1) * HOUR_MS);

        const metrics = await (await app.request("/metrics", {}, gatewayEnv())).text();
        expect(metrics).toContain('apprentice_teacher_budget_limit{model="sms-spam",window="hour"} 3');
        expect(metrics).toContain('apprentice_teacher_budget_used{model="sms-spam",window="hour"} 3');
        expect(metrics).toContain('apprentice_teacher_budget_refused{model="sms-spam",window="hour"} 3');
        expect(metrics).toMatch(/apprentice_teacher_failures_total\{model="sms-spam",[^}]*kind="budget"\} 3/);
      } finally {
        await bindings.REGISTRY!.delete(`definition/${model}`);
      }
    });
  });

  it("a model with no student answers 503 teacher_unavailable with Retry-After until the hour resets", async () => {
    await inOneHour(async () => {
      const model = `budget-only-${crypto.randomUUID().slice(0, 8)}`;
      try {
        const key = await defineModel(model, { perHour: 1 });
        expect((await answers(await classify({ model, text: unique("free prize") })))[0]).toMatchObject({
          source: "teacher",
        });
        const res = await classify({ model, text: unique("call now") });
        const retryAfter = Number(res.headers.get("retry-after"));
        await expectError(res, 503, "teacher_unavailable");
        const untilReset = ((hourOf(Date.now()) + 1) * HOUR_MS - Date.now()) / 1000;
        expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(untilReset) - 2);
        expect(retryAfter).toBeLessThanOrEqual(Math.ceil(untilReset) + 1);
        expect(await fixtureCount(key)).toBe(1);
      } finally {
        await bindings.REGISTRY!.delete(`definition/${model}`);
      }
    });
  });

  it("cached teacher answers cost nothing and still answer once the budget is spent", async () => {
    await inOneHour(async () => {
      const model = `budget-cache-${crypto.randomUUID().slice(0, 8)}`;
      const env = gatewayEnv({ TEACHER_CACHE_TTL_S: "600" });
      try {
        const key = await defineModel(model, { perHour: 1 }, env);
        const text = unique("free prize");
        expect((await answers(await classify({ model, text }, env)))[0]).toMatchObject({ source: "teacher" });
        // The same text again: the cache answers, without asking the spent budget.
        expect((await answers(await classify({ model, text }, env)))[0]).toMatchObject({ source: "cache" });
        await expectError(
          await classify({ model, text: unique("call now") }, env),
          503,
          "teacher_unavailable",
        );
        expect(await fixtureCount(key)).toBe(1);
        expect((await stats(model, env)).budget!.hour).toMatchObject({ used: 1, refused: 1 });
      } finally {
        await bindings.REGISTRY!.delete(`definition/${model}`);
      }
    });
  });

  it("with client keys on, each key has its own budget beside the model's", async () => {
    await inOneHour(async () => {
      const model = `budget-keys-${crypto.randomUUID().slice(0, 8)}`;
      const env = gatewayEnv({ CLIENT_AUTH: "api-key", ADMIN_TOKEN: TOKEN });
      try {
        const key = await defineModel(model, { perHour: 3, perClientPerHour: 2 }, env);
        const alice = await createKey(env, "alice");
        const bob = await createKey(env, "bob");
        const as = (client: { key: string }) => async () =>
          (
            await answers(
              await classify({ model, text: unique("win a prize") }, env, {
                authorization: `Bearer ${client.key}`,
              }),
            )
          )[0]!.source;
        expect(await as(alice)()).toBe("teacher");
        expect(await as(alice)()).toBe("teacher");
        // Alice's 2 are spent; Bob still has his, until the model's 3 are.
        expect(
          (await classify({ model, text: "x" }, env, { authorization: `Bearer ${alice.key}` })).status,
        ).toBe(503);
        expect(await as(bob)()).toBe("teacher");
        expect(
          (await classify({ model, text: "y" }, env, { authorization: `Bearer ${bob.key}` })).status,
        ).toBe(503);
        expect(await fixtureCount(key)).toBe(3);
        const { budget } = await stats(model, env);
        expect(budget!.hour).toMatchObject({ limit: 3, used: 3, refused: 2 });
        expect(budget!.clients).toEqual([
          { client: alice.id, hour: { used: 2, refused: 1 }, day: { used: 2, refused: 1 } },
          { client: bob.id, hour: { used: 1, refused: 1 }, day: { used: 1, refused: 1 } },
        ]);
      } finally {
        await bindings.REGISTRY!.delete(`definition/${model}`);
      }
    });
  });

  it("64 concurrent requests of 1 to 4 texts overshoot the budget by nothing", async () => {
    await inOneHour(async () => {
      const model = `budget-race-${crypto.randomUUID().slice(0, 8)}`;
      const BUDGET = 50;
      try {
        const key = await defineModel(model, { perHour: BUDGET });
        const sizes = Array.from({ length: 64 }, (_, i) => 1 + (i % 4));
        const responses = await Promise.all(
          sizes.map((n) =>
            classify({ model, texts: Array.from({ length: n }, () => unique("free entry win")) }),
          ),
        );
        let granted = 0;
        let refused = 0;
        for (const [i, res] of responses.entries()) {
          if (res.status === 200) granted += sizes[i]!;
          else {
            const body = await res.clone().text();
            expect(body).toContain("budget");
            await expectError(res, 503, "teacher_unavailable");
            refused += sizes[i]!;
          }
        }
        const sent = await fixtureCount(key);
        // Tolerance 0: the counter books reservations one at a time and never past the limit, and a
        // batch never exceeds what is left, so at most BUDGET texts reach the teacher; and all but the
        // last few fit (a batch of up to 4 is refused when fewer remain).
        expect(sent).toBe(granted);
        expect(sent).toBeLessThanOrEqual(BUDGET);
        expect(sent).toBeGreaterThan(BUDGET - 4);
        const { budget } = await stats(model);
        expect(budget!.hour).toMatchObject({ used: sent, refused });
        expect(granted + refused).toBe(sizes.reduce((a, b) => a + b, 0));
      } finally {
        await bindings.REGISTRY!.delete(`definition/${model}`);
      }
    });
  });

  it("refuses a bad budget with a 400 naming the field", async () => {
    const res = await app.request(
      "/admin/models/budget-bad",
      { ...post({ labels: SPAM_LABELS, budget: { perHour: -1 } }, auth), method: "PUT" },
      gatewayEnv(),
    );
    const body = await res.clone().text();
    await expectError(res, 400, "invalid_request");
    expect(body).toContain("budget");
    const env = gatewayEnv({ TEACHER_BUDGET_PER_DAY: "lots" });
    await expectError(await classify({ text: "hi" }, env), 500, "config_invalid");
  });
});
