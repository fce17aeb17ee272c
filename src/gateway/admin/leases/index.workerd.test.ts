import { applyD1Migrations } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { componentValidator } from "../../../../test/helpers/openapi.ts";
import { adminEnv, app, auth, bindings, db } from "../../../../test/workerd/admin-stats-helpers.ts";
import { expectError, post } from "../../../../test/workerd/gateway-helpers.ts";
import { Lease, Released } from "./schemas.ts";

/**
 * The model lease over miniflare's real D1: one owner at a time, renewal by the holder, a lapsed lease
 * taken over, release by the holder only, and every refusal a JSON error.
 */
beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
});

const take = (name: string, body: unknown, env = adminEnv()) =>
  app.request(`/admin/models/${name}/lease`, post(body, auth), env);
const release = (name: string, owner: string, env = adminEnv()) =>
  app.request(
    `/admin/models/${name}/lease?owner=${encodeURIComponent(owner)}`,
    { method: "DELETE", headers: auth },
    env,
  );
const held = async (res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  return Lease.parse(await res.json());
};

describe("POST /admin/models/{name}/lease", () => {
  it("grants one owner of many racing, and refuses the others with 409 lease_held naming the holder", async () => {
    const owners = ["a:1", "b:2", "c:3", "d:4", "e:5", "f:6"];
    const answers = await Promise.all(owners.map((owner) => take("race", { owner, ttl_s: 60 })));
    const granted = answers.filter((res) => res.status === 200);
    expect(granted).toHaveLength(1);
    const winner = await held(granted[0]!);
    for (const res of answers.filter((r) => r.status !== 200)) {
      const body = await res.clone().json();
      await expectError(res, 409, "lease_held");
      expect((body as { error: { message: string } }).error.message).toContain(
        `held by ${winner.owner} until`,
      );
    }
  });

  it("renews for its holder: expires_at moves on, acquired_at stays", async () => {
    const first = await held(await take("renew", { owner: "me", ttl_s: 10 }));
    expect(Date.parse(first.expires_at) - Date.parse(first.acquired_at)).toBe(10_000);
    const renewed = await held(await take("renew", { owner: "me", ttl_s: 600 }));
    expect(renewed.acquired_at).toBe(first.acquired_at);
    expect(Date.parse(renewed.expires_at)).toBeGreaterThan(Date.parse(first.expires_at));
    await expectError(await take("renew", { owner: "you", ttl_s: 10 }), 409, "lease_held");
  });

  it("lets another owner take a lapsed lease, and the old holder then cannot renew it", async () => {
    // A lease that lapsed a second ago, as a killed holder leaves it.
    await db
      .prepare("INSERT INTO leases (model, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)")
      .bind("lapsed", "killed", Date.now() - 60_000, Date.now() - 1000)
      .run();
    const taken = await held(await take("lapsed", { owner: "next", ttl_s: 60 }));
    expect(taken).toMatchObject({ name: "lapsed", owner: "next" });
    expect(Date.parse(taken.acquired_at)).toBeGreaterThan(Date.now() - 10_000);
    await expectError(await take("lapsed", { owner: "killed", ttl_s: 60 }), 409, "lease_held");
  });

  it.each([
    ["no owner", { ttl_s: 10 }],
    ["an owner with a space", { owner: "a b", ttl_s: 10 }],
    ["an empty owner", { owner: "", ttl_s: 10 }],
    ["a ttl of 0", { owner: "x", ttl_s: 0 }],
    ["a ttl over a day", { owner: "x", ttl_s: 86_401 }],
    ["a fractional ttl", { owner: "x", ttl_s: 1.5 }],
    ["an unknown field", { owner: "x", ttl_s: 10, force: true }],
  ])("400 invalid_request for %s", async (_n, body) => {
    await expectError(await take("bad", body), 400, "invalid_request");
  });

  it("400 for a bad model name; 401 without the token; 503 without D1", async () => {
    await expectError(await take("Bad%20Name", { owner: "x", ttl_s: 10 }), 400, "invalid_request");
    const anonymous = await app.request("/admin/models/m/lease", post({ owner: "x", ttl_s: 10 }), adminEnv());
    await expectError(anonymous, 401, "unauthorized");
    await expectError(
      await take("m", { owner: "x", ttl_s: 10 }, adminEnv({ DB: undefined })),
      503,
      "not_configured",
    );
  });
});

describe("DELETE /admin/models/{name}/lease", () => {
  it("releases the holder's lease so another owner can take it; again, or by another owner, releases nothing", async () => {
    await held(await take("free", { owner: "first", ttl_s: 600 }));
    const byOther = Released.parse(await (await release("free", "second")).json());
    expect(byOther).toEqual({ name: "free", owner: "second", released: false });
    await expectError(await take("free", { owner: "second", ttl_s: 60 }), 409, "lease_held");
    const res = await release("free", "first");
    expect(res.status).toBe(200);
    expect(Released.parse(await res.json())).toEqual({ name: "free", owner: "first", released: true });
    expect(Released.parse(await (await release("free", "first")).json()).released).toBe(false);
    await held(await take("free", { owner: "second", ttl_s: 60 }));
  });

  it("400 without an owner or with an unknown parameter", async () => {
    const del = (query: string) =>
      app.request(`/admin/models/m/lease${query}`, { method: "DELETE", headers: auth }, adminEnv());
    await expectError(await del(""), 400, "invalid_request");
    await expectError(await del("?owner=x&force=1"), 400, "invalid_request");
    await expectError(await del("?owner=x&owner=y"), 400, "invalid_request");
  });
});

describe("the lease routes in /openapi.json", () => {
  it("are admin operations, and their schemas accept what they answer and refuse what they refuse", async () => {
    const doc = (await (await app.request("/openapi.json", {}, adminEnv())).json()) as {
      paths: Record<string, Record<string, { security?: unknown; operationId?: string }>>;
    };
    const path = doc.paths["/admin/models/{name}/lease"]!;
    expect(path.post).toMatchObject({ operationId: "takeLease", security: [{ adminToken: [] }] });
    expect(path.delete).toMatchObject({ operationId: "releaseLease", security: [{ adminToken: [] }] });
    const lease = await (await take("documented", { owner: "doc", ttl_s: 5 })).json();
    expect(componentValidator(doc, "Lease").validate(lease).valid).toBe(true);
    const released = await (await release("documented", "doc")).json();
    expect(componentValidator(doc, "Released").validate(released).valid).toBe(true);
    const request = componentValidator(doc, "LeaseRequest");
    expect(request.validate({ owner: "doc", ttl_s: 5 }).valid).toBe(true);
    expect(request.validate({ owner: "doc", ttl_s: 0 }).valid).toBe(false);
    expect(request.validate({ owner: "doc", ttl_s: 5, extra: 1 }).valid).toBe(false);
  });
});
