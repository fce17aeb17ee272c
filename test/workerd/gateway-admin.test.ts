import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { HardExampleRecord, type HardExampleRoute } from "../../src/core/hard-example.ts";
import { ModelManifest } from "../../src/core/manifest.ts";
import { ModelState } from "../../src/gateway/admin/models/schemas.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { indexStatement } from "../../src/gateway/hard-example-log/storage.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { canaryBucket } from "../../src/gateway/registry/canary.ts";
import { promote, rollback } from "../../src/gateway/registry/pointer.ts";
import { VersionStore } from "../../src/gateway/registry/versions.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { ModelList } from "../../src/gateway/schemas/models.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { expectError, kserveTeacher, post } from "./gateway-helpers.ts";
import { fakeRecord } from "./hard-example-fixtures.ts";
import { form } from "./registry-helpers.ts";

/**
 * The admin side with miniflare's real D1, R2 and KV (wrangler.toml bindings): the hard-example export
 * over data seeded exactly as the queue consumer writes it, the registry's upload validation, pointer
 * transitions, canary routing by request id, and a hot swap seen by a separately cached app (another
 * isolate, as far as the registry's caches go).
 */
const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const db = bindings.DB!;
const logBucket = bindings.HARD_EXAMPLES_BUCKET!;
const models = bindings.MODELS_BUCKET!;
const kv = bindings.REGISTRY!;
const TOKEN = "test-admin-token-0123456789abcdef-xyz";
const auth = { authorization: `Bearer ${TOKEN}` };
const adminEnv = (extra: Env = {}): Env => ({
  ...bindings,
  ADMIN_TOKEN: TOKEN,
  REGISTRY_TTL_MS: "0",
  ...extra,
});
const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const get = (path: string, env = adminEnv()) => app.request(path, { headers: auth }, env);

// ---------------------------------------------------------------------------------------------------
// The hard-example export

/** A record of `model` at `ts` on `route`, with a text of its own. */
const record = (model: string, ts: string, route: HardExampleRoute, extra: Partial<HardExampleRecord> = {}) =>
  fakeRecord(model, { ts, route, ...extra });

/** One consumer batch: a JSONL object under hard-examples/{model}/{day}/{batchId}.jsonl. */
async function writeObject(lines: (HardExampleRecord | string)[], batch: string): Promise<string> {
  const first = lines.find((l): l is HardExampleRecord => typeof l !== "string")!;
  const key = `hard-examples/${encodeURIComponent(first.model)}/${first.ts.slice(0, 10)}/${batch}.jsonl`;
  const body = lines.map((l) => `${typeof l === "string" ? l : JSON.stringify(l)}\n`).join("");
  await logBucket.put(key, body);
  return key;
}

/** The D1 index row, inserted exactly as the consumer does (first occurrence wins). */
const indexRow = (r: HardExampleRecord, key: string): D1PreparedStatement => indexStatement(db, r, key);

async function exportLines(query: string, env = adminEnv()) {
  const res = await get(`/admin/hard-examples?${query}`, env);
  // Decoded by hand: workerd warns about .text() on a content type it does not know as text.
  const text = new TextDecoder().decode(await res.arrayBuffer());
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  const lines =
    text === ""
      ? []
      : text
          .trimEnd()
          .split("\n")
          .map((l) => HardExampleRecord.parse(JSON.parse(l)));
  return { lines, indexed: Number(res.headers.get("x-hard-examples-indexed")), text };
}

describe("GET /admin/hard-examples", () => {
  const r: HardExampleRecord[] = [];
  const gets: string[] = [];
  // Counts the reads of the log bucket: each object must be read once per export.
  const countingBucket = new Proxy(logBucket, {
    get(target, prop) {
      if (prop === "get")
        return (key: string) => {
          gets.push(key);
          return target.get(key);
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });

  beforeAll(async () => {
    await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
    const day1 = "2031-01-01T00:00:0";
    // Two batches of export-a whose times interleave, and a third on the next day with another version.
    r.push(await record("export-a", `${day1}1.000Z`, "teacher")); // 0 → o1
    r.push(await record("export-a", `${day1}2.000Z`, "cache")); // 1 → o2
    r.push(await record("export-a", `${day1}3.000Z`, "degraded")); // 2 → o1
    r.push(await record("export-a", `${day1}4.000Z`, "teacher")); // 3 → o2
    r.push(await record("export-a", `${day1}5.000Z`, "audit")); // 4 → o1
    r.push(await record("export-a", "2031-01-02T10:00:00.000Z", "teacher", { version: "1.1.0" })); // 5 → o3
    r.push(await record("export-b", "2031-01-01T00:00:00.500Z", "teacher")); // 6 → o4
    const o1 = await writeObject([r[0]!, r[2]!, r[4]!], "b1");
    // o2 also holds a copy of r0 from a retried batch (another request id): the index points at o1.
    const o2 = await writeObject([{ ...r[0]!, request_id: "retried" }, r[1]!, r[3]!], "b2");
    const o3 = await writeObject([r[5]!], "b3");
    const o4 = await writeObject([r[6]!], "b4");
    // export-c: one good record, one invalid line, one row whose object is gone.
    const good = await record("export-c", "2031-01-03T00:00:00.000Z", "teacher");
    const bad = await record("export-c", "2031-01-03T00:00:01.000Z", "teacher");
    const gone = await record("export-c", "2031-01-03T00:00:02.000Z", "teacher");
    const o5 = await writeObject(
      [good, JSON.stringify({ ...bad, student: { ...bad.student, confidence: 2 } }), "{oops"],
      "b5",
    );
    r.push(good);
    await db.batch([
      indexRow(r[0]!, o1),
      indexRow(r[2]!, o1),
      indexRow(r[4]!, o1),
      indexRow(r[1]!, o2),
      indexRow(r[3]!, o2),
      indexRow(r[0]!, o2), // the retry's row is ignored: the first occurrence is the indexed one
      indexRow(r[5]!, o3),
      indexRow(r[6]!, o4),
      indexRow(good, o5),
      indexRow(bad, o5),
      indexRow(gone, "hard-examples/export-c/2031-01-03/missing.jsonl"),
    ]);
  });
  afterAll(async () => {
    await db.prepare("DELETE FROM hard_examples WHERE model LIKE 'export-%'").run();
    const listed = await logBucket.list({ prefix: "hard-examples/export-" });
    await Promise.all(listed.objects.map((o) => logBucket.delete(o.key)));
  });

  it("streams one model's records as NDJSON in time order, reading each R2 object once", async () => {
    gets.length = 0;
    const { lines, indexed, text } = await exportLines(
      "model=export-a",
      adminEnv({ HARD_EXAMPLES_BUCKET: countingBucket }),
    );
    expect(lines.map((l) => l.id)).toEqual([r[0], r[1], r[2], r[3], r[4], r[5]].map((x) => x!.id));
    expect(lines).toEqual([r[0], r[1], r[2], r[3], r[4], r[5]]);
    expect(lines[0]!.request_id).not.toBe("retried"); // the indexed occurrence
    expect(indexed).toBe(6);
    expect(text.endsWith("\n")).toBe(true);
    expect(gets.sort()).toEqual([...new Set(gets)].sort());
    expect(gets).toHaveLength(3);
  });

  it.each([
    ["route=teacher", [0, 3, 5]],
    ["route=audit", [4]],
    ["route=degraded", [2]],
    ["since=2031-01-01T00:00:03Z", [2, 3, 4, 5]],
    ["since=2031-01-01T01:00:03%2B01:00", [2, 3, 4, 5]],
    ["since=2031-01-02", [5]],
    ["version=1.1.0", [5]],
    ["limit=2", [0, 1]],
    ["route=teacher&since=2031-01-01T00:00:02Z&limit=1", [3]],
  ])("model=export-a&%s", async (query, expected) => {
    const { lines } = await exportLines(`model=export-a&${query}`);
    expect(lines.map((l) => l.id)).toEqual(expected.map((i) => r[i]!.id));
  });

  it("filters across models when no model is given", async () => {
    const { lines } = await exportLines("since=2031-01-01&route=teacher&limit=100");
    expect(lines.map((l) => l.id)).toEqual([r[6], r[0], r[3], r[5], r[7]].map((x) => x!.id));
  });

  it("skips records that are missing or invalid, and says how many the index matched", async () => {
    const { lines, indexed } = await exportLines("model=export-c");
    expect(lines.map((l) => l.id)).toEqual([r[7]!.id]);
    expect(indexed).toBe(3);
  });

  it("answers HEAD with the count the index matched and no body (how the toolkit polls)", async () => {
    const res = await app.request(
      "/admin/hard-examples?model=export-c",
      { method: "HEAD", headers: auth },
      adminEnv(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-hard-examples-indexed")).toBe("3");
    expect(await res.text()).toBe("");
  });

  it("pages through the index by (ts, id), past the page size, with ties in ts", async () => {
    const many: HardExampleRecord[] = [];
    for (let i = 0; i < 1203; i++) {
      const ms = Math.floor(i / 3); // three records per millisecond
      many.push(await record("export-many", new Date(Date.UTC(2031, 5, 1) + ms).toISOString(), "teacher"));
    }
    const keys = await Promise.all(
      [0, 1, 2].map((b) =>
        writeObject(
          many.filter((_, i) => i % 3 === b),
          `m${b}`,
        ),
      ),
    );
    await db.batch(many.map((m, i) => indexRow(m, keys[i % 3]!)));
    const sorted = [...many].sort((a, b) => a.ts.localeCompare(b.ts) || a.id.localeCompare(b.id));
    const all = await exportLines("model=export-many&limit=5000");
    expect(all.lines.map((l) => l.id)).toEqual(sorted.map((m) => m.id));
    const some = await exportLines("model=export-many&limit=1001");
    expect(some.lines.map((l) => l.id)).toEqual(sorted.slice(0, 1001).map((m) => m.id));
  });

  it("answers an empty body when nothing matches", async () => {
    const { lines, text, indexed } = await exportLines("model=export-none");
    expect(lines).toEqual([]);
    expect(text).toBe("");
    expect(indexed).toBe(0);
  });

  it.each([
    "limit=0",
    "limit=100001",
    "limit=ten",
    "limit=-1",
    "limit=1.5",
    "route=maybe",
    "since=yesterday",
    "since=2031-13-01",
    "model=",
    "modle=export-a",
    "model=export-a&model=export-b",
  ])("400 for %s", async (query) => {
    await expectError(await get(`/admin/hard-examples?${query}`), 400, "invalid_request");
  });

  it("503 not_configured without the D1 and R2 bindings; 401 without the token", async () => {
    const env = adminEnv({ DB: undefined });
    await expectError(await get("/admin/hard-examples", env), 503, "not_configured");
    await expectError(
      await get("/admin/hard-examples", adminEnv({ HARD_EXAMPLES_BUCKET: undefined })),
      503,
      "not_configured",
    );
    await expectError(await app.request("/admin/hard-examples", {}, adminEnv()), 401, "unauthorized");
  });
});

// ---------------------------------------------------------------------------------------------------
// The registry

const bundled = (name: "clinc150" | "sms-spam") => ({
  manifest: structuredClone(BUNDLED_MODELS[name]!.manifest) as Record<string, unknown> & {
    name: string;
    version: string;
    onnx: { bytes: number; sha256: string };
    calibration: { temperature: number };
  },
  onnx: BUNDLED_MODELS[name]!.onnx as ArrayBuffer,
});

const upload = (
  name: string,
  version: string,
  body: FormData | string,
  env = adminEnv(),
  headers: Record<string, string> = {},
) =>
  app.request(
    `/admin/models/${name}/versions/${version}`,
    { method: "PUT", headers: { ...auth, ...headers }, body },
    env,
  );
const promoteTo = (name: string, body: unknown, env = adminEnv()) =>
  app.request(`/admin/models/${name}/promote`, post(body, auth), env);
const rollbackOf = (name: string, env = adminEnv()) =>
  app.request(`/admin/models/${name}/rollback`, { method: "POST", headers: auth }, env);
const state = async (res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  return ModelState.parse(await res.json());
};

/** The sms-spam package under another name and version (a valid upload). */
async function variant(name: string, version: string) {
  const { manifest, onnx } = bundled("sms-spam");
  return form({ ...manifest, name, version }, onnx);
}

afterAll(async () => {
  for (const name of ["clinc150", "sms-spam", "toy-registry"]) await kv.delete(`pointer/${name}`);
  const listed = await models.list({ prefix: "models/" });
  await Promise.all(listed.objects.map((o) => models.delete(o.key)));
});

describe("PUT /admin/models/{name}/versions/{version}", () => {
  it("stores a valid version: 201, both objects in R2, listed by GET /admin/models/{name}", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    const res = await upload("sms-spam", "1.0.1-up", form({ ...manifest, version: "1.0.1-up" }, onnx));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toEqual({
      name: "sms-spam",
      version: "1.0.1-up",
      bytes: onnx.byteLength,
      sha256: manifest.onnx.sha256,
    });
    expect(await models.head("models/sms-spam/1.0.1-up/manifest.json")).not.toBeNull();
    const stored = await models.get(`models/sms-spam/1.0.1-up/student-${manifest.onnx.sha256}.onnx`);
    expect((await stored!.arrayBuffer()).byteLength).toBe(onnx.byteLength);
    const s = await state(await get("/admin/models/sms-spam"));
    expect(s.live).toBe("1.0.0");
    expect(s.versions.map((v) => [v.version, v.source])).toEqual([
      ["1.0.0", "bundled"],
      ["1.0.1-up", "registry"],
    ]);
  });

  it("gives an uploaded version's files back exactly as stored (what the toolkit's gate runs)", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    const version = "1.0.2-down";
    expect((await upload("sms-spam", version, form({ ...manifest, version }, onnx))).status).toBe(201);
    const files = `/admin/models/sms-spam/versions/${version}`;
    const graph = await get(`${files}/student.onnx`);
    expect(graph.status).toBe(200);
    expect(graph.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await graph.arrayBuffer())).toEqual(new Uint8Array(onnx));
    const stored = await get(`${files}/manifest.json`);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({ ...manifest, version });
    await expectError(
      await get("/admin/models/sms-spam/versions/1.0.0/student.onnx"),
      404,
      "version_not_found",
    );
    await expectError(
      await get("/admin/models/sms-spam/versions/9.9.9/student.onnx"),
      404,
      "version_not_found",
    );
    await expectError(await get(`${files}/report.md`), 400, "invalid_request");
    const anonymous = await app.request(`${files}/student.onnx`, {}, adminEnv());
    expect(anonymous.status).toBe(401);
  });

  it("stores a version's manifest only if none is there (the race of two uploads)", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    const m = ModelManifest.parse({ ...manifest, version: "1.0.2-race" });
    const store = new VersionStore(models);
    expect(await store.put(m, JSON.stringify(m), onnx)).toBe(true);
    expect(await store.put(m, JSON.stringify(m), onnx)).toBe(false);
    expect(await store.onnxChecksum(m)).toBe(m.onnx.sha256);
  });

  it("409 for a version that exists, in R2 or bundled", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    await expectError(
      await upload("sms-spam", "1.0.1-up", form({ ...manifest, version: "1.0.1-up" }, onnx)),
      409,
      "version_exists",
    );
    await expectError(await upload("sms-spam", "1.0.0", form(manifest, onnx)), 409, "version_exists");
  });

  it("400/422 invalid_model for a package that does not hold together or cannot serve", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    const v = "2.0.0";
    const m = { ...manifest, version: v };
    const flipped = new Uint8Array(onnx.slice(0));
    flipped[flipped.length - 10]! ^= 0xff;
    const garbage = crypto.getRandomValues(new Uint8Array(4096));
    const garbageManifest = {
      ...m,
      onnx: { ...manifest.onnx, bytes: garbage.length, sha256: await sha256Hex(garbage) },
    };
    // A real graph, but of another model: it loads, and its output has 151 columns, not 2.
    const clinc = bundled("clinc150");
    const wrongGraph = {
      ...m,
      onnx: { ...manifest.onnx, bytes: clinc.onnx.byteLength, sha256: clinc.manifest.onnx.sha256 },
    };
    // A package that does not hold together is a 400; one whose graph cannot serve, a 422.
    const cases: [string, FormData, RegExp, 400 | 422][] = [
      ["manifest not JSON", form("{nope", onnx), /not valid JSON/, 400],
      ["manifest fails the schema", form({ ...m, labels: ["only-one"] }, onnx), /labels/, 400],
      ["name differs from the path", form({ ...m, name: "other-model" }, onnx), /manifest\.name/, 400],
      [
        "version differs from the path",
        form({ ...manifest, version: "2.0.1" }, onnx),
        /manifest\.version/,
        400,
      ],
      ["byte length differs", form(m, onnx.slice(0, -1)), /bytes/, 400],
      ["SHA-256 differs", form(m, flipped), /SHA-256/, 400],
      ["not an ONNX graph", form(garbageManifest, garbage), /cannot load/, 422],
      [
        "a graph with the wrong output shape",
        form(wrongGraph, clinc.onnx),
        /shape \[1, 151\], expected \[1, 2\]/,
        422,
      ],
    ];
    for (const [what, body, message, status] of cases) {
      const res = await upload("sms-spam", v, body);
      await expectError(res.clone(), status, "invalid_model");
      expect(((await res.json()) as { error: { message: string } }).error.message, what).toMatch(message);
    }
    expect(await models.head(`models/sms-spam/${v}/manifest.json`)).toBeNull();
  });

  it("400/413/415/503 for a request that is not an upload", async () => {
    const { manifest, onnx } = bundled("sms-spam");
    const m = { ...manifest, version: "3.0.0" };
    await expectError(await upload("sms-spam", "3.0.0", form(m, "text, not bytes")), 400, "invalid_request");
    const extra = form(m, onnx);
    extra.set("notes", "hi");
    await expectError(await upload("sms-spam", "3.0.0", extra), 400, "invalid_request");
    const missing = new FormData();
    missing.set("manifest", JSON.stringify(m));
    await expectError(await upload("sms-spam", "3.0.0", missing), 400, "invalid_request");
    // A version with a slash is no upload path: it names a version's file, which only GET reads.
    const slash = await upload("sms-spam", "bad/version", form(m, onnx));
    expect(slash.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    await expectError(slash, 405, "method_not_allowed");
    await expectError(await upload("Not_A_Name", "3.0.0", form(m, onnx)), 400, "invalid_request");
    await expectError(
      await upload("sms-spam", "3.0.0", JSON.stringify(m), adminEnv(), {
        "content-type": "application/json",
      }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await upload("sms-spam", "3.0.0", form(m, onnx), adminEnv({ MAX_UPLOAD_BYTES: "100000" })),
      413,
      "payload_too_large",
    );
    await expectError(
      await upload("sms-spam", "3.0.0", form(m, onnx), adminEnv({ MODELS_BUCKET: undefined })),
      503,
      "not_configured",
    );
  });
});

describe("promote, canary, rollback", () => {
  it("moves the pointer: live, canary, live again, rollback, with the rules at each step", async () => {
    for (const v of ["1.0.0", "1.1.0", "1.2.0"])
      expect((await upload("toy-registry", v, await variant("toy-registry", v))).status).toBe(201);
    let s = await state(await get("/admin/models/toy-registry"));
    expect(s).toMatchObject({ live: null, previous: [], canary: null, updated_at: null });
    await expectError(
      await promoteTo("toy-registry", { version: "1.1.0", canary_percent: 10 }),
      400,
      "invalid_request",
    );

    s = await state(await promoteTo("toy-registry", { version: "1.0.0" }));
    expect(s).toMatchObject({ live: "1.0.0", previous: [], canary: null });
    s = await state(await promoteTo("toy-registry", { version: "1.1.0", canary_percent: 25 }));
    expect(s).toMatchObject({ live: "1.0.0", previous: [], canary: { version: "1.1.0", percent: 25 } });
    await expectError(
      await promoteTo("toy-registry", { version: "1.0.0", canary_percent: 5 }),
      400,
      "invalid_request",
    );
    s = await state(await promoteTo("toy-registry", { version: "1.1.0" }));
    expect(s).toMatchObject({ live: "1.1.0", previous: ["1.0.0"], canary: null });
    s = await state(await promoteTo("toy-registry", { version: "1.2.0" }));
    expect(s).toMatchObject({ live: "1.2.0", previous: ["1.0.0", "1.1.0"], canary: null });
    expect(Date.parse(s.updated_at!)).not.toBeNaN();

    const served = await app.request(
      "/v1/classify",
      post({ model: "toy-registry", text: "free prize", options: { teacher: "never" } }),
      adminEnv(),
    );
    expect(ClassifyResponse.parse(await served.json()).version).toBe("1.2.0");

    s = await state(await rollbackOf("toy-registry"));
    expect(s).toMatchObject({ live: "1.1.0", previous: ["1.0.0"], canary: null });
    s = await state(await rollbackOf("toy-registry"));
    expect(s).toMatchObject({ live: "1.0.0", previous: [] });
    await expectError(await rollbackOf("toy-registry"), 400, "invalid_request");
    const list = (await (await get("/admin/models")).json()) as { models: ModelState[] };
    expect(list.models.map((m) => m.name)).toEqual(
      expect.arrayContaining(["clinc150", "sms-spam", "toy-registry"]),
    );
    expect(list.models.find((m) => m.name === "toy-registry")!.live).toBe("1.0.0");
  });

  it.each([
    ["an unknown version", "sms-spam", { version: "9.9.9" }, 404, "version_not_found"],
    ["an unknown model", "no-such-model", { version: "1.0.0" }, 404, "model_not_found"],
    ["canary_percent 0", "sms-spam", { version: "1.0.1-up", canary_percent: 0 }, 400, "invalid_request"],
    ["canary_percent 100", "sms-spam", { version: "1.0.1-up", canary_percent: 100 }, 400, "invalid_request"],
    [
      "a fractional percent",
      "sms-spam",
      { version: "1.0.1-up", canary_percent: 12.5 },
      400,
      "invalid_request",
    ],
    ["no version", "sms-spam", {}, 400, "invalid_request"],
    ["an unknown key", "sms-spam", { version: "1.0.0", force: true }, 400, "invalid_request"],
  ])("promote refuses %s", async (_what, name, body, status, code) => {
    await expectError(await promoteTo(name, body), status, code);
  });

  it("503 without the KV binding; 404 for rollback of an unknown model", async () => {
    await expectError(
      await promoteTo("sms-spam", { version: "1.0.0" }, adminEnv({ REGISTRY: undefined })),
      503,
      "not_configured",
    );
    await expectError(await rollbackOf("sms-spam", adminEnv({ REGISTRY: undefined })), 503, "not_configured");
    await expectError(await rollbackOf("no-such-model"), 404, "model_not_found");
    // Listing needs no bindings: the bundled models are always there.
    const bare = await get("/admin/models", { ADMIN_TOKEN: TOKEN });
    expect(((await bare.json()) as { models: ModelState[] }).models.map((m) => m.name)).toEqual([
      "clinc150",
      "sms-spam",
    ]);
  });

  it("transitions as pure functions: history is capped, re-promoting live only ends a canary", () => {
    const t = new Date(0);
    let p = promote({ live: "a", previous: [], canary: null }, "b", 10, t);
    expect(promote(p, "a", undefined, t)).toMatchObject({ live: "a", previous: [], canary: null });
    // docs/admin-api.md promises the last 20 previous versions.
    for (let i = 0; i < 25; i++) p = promote(p, `v${i}`, undefined, t);
    expect(p.previous).toHaveLength(20);
    expect(p.previous[0]).toBe("v4");
    expect(p.previous.at(-1)).toBe("v23");
    expect(rollback(p, t).live).toBe("v23");
    expect(() => rollback({ live: "a", previous: [], canary: null }, t)).toThrow(/no previous/);
  });
});

describe("GET /openapi.json", () => {
  it("documents the admin routes, and its schemas accept what they answer", async () => {
    const doc = (await (await app.request("/openapi.json", {}, adminEnv())).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    for (const [route, method] of [
      ["/admin/hard-examples", "get"],
      ["/admin/models", "get"],
      ["/admin/models/{name}", "get"],
      ["/admin/models/{name}/versions/{version}", "put"],
      ["/admin/models/{name}/promote", "post"],
      ["/admin/models/{name}/rollback", "post"],
    ] as const)
      expect(doc.paths[route]?.[method]?.security, route).toEqual([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    const validator = (id: string) => componentValidator(doc, id);
    const models = await (await get("/admin/models")).json();
    expect(validator("ModelStates").validate(models).valid).toBe(true);
    expect(validator("PromoteRequest").validate({ version: "1.0.0", canary_percent: 5 }).valid).toBe(true);
    expect(validator("PromoteRequest").validate({ version: "1.0.0", canary_percent: 100 }).valid).toBe(false);
  });
});

describe("hot swap, canary by request id, rollback: seen by a running gateway", () => {
  const classify = async (serving: ReturnType<typeof createApp>, env: Env, requestId?: string) => {
    const res = await serving.request(
      "/v1/classify",
      post(
        { text: "what is my credit score", options: { teacher: "never" } },
        requestId ? { "x-request-id": requestId } : {},
      ),
      env,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    return ClassifyResponse.parse(await res.json());
  };
  const until = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, ms: number) => {
    const start = Date.now();
    let value = await probe();
    while (!done(value) && Date.now() - start < ms) {
      await new Promise((r) => setTimeout(r, 25));
      value = await probe();
    }
    return { value, elapsed: Date.now() - start };
  };

  it("a promoted version answers within the TTL, a canary takes its share by request id, rollback restores", async () => {
    const TTL = 300;
    // Its own app: its own pointer cache, like another isolate that read the pointer before the change.
    const serving = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
    const servingEnv: Env = { ...bindings, REGISTRY_TTL_MS: String(TTL) };
    const before = await classify(serving, servingEnv);
    expect(before.version).toBe("1.0.0");

    const { manifest, onnx } = bundled("clinc150");
    const hot = {
      ...manifest,
      version: "1.0.1-hot",
      calibration: { ...manifest.calibration, temperature: manifest.calibration.temperature * 3 },
    };
    expect((await upload("clinc150", "1.0.1-hot", form(hot, onnx))).status).toBe(201);

    // Canary first: request ids below the percentage get it, the others (and reads) keep the live one.
    expect((await promoteTo("clinc150", { version: "1.0.1-hot", canary_percent: 40 })).status).toBe(200);
    const ids = Array.from({ length: 40 }, (_, i) => `hot-${i}`);
    const inCanary = ids.find((id) => canaryBucket(id) < 40)!;
    const outside = ids.find((id) => canaryBucket(id) >= 40)!;
    const seen = await until(
      () => classify(serving, servingEnv, inCanary),
      (r) => r.version === "1.0.1-hot",
      TTL + 2000,
    );
    expect(seen.value.version).toBe("1.0.1-hot");
    for (let i = 0; i < 3; i++) {
      expect((await classify(serving, servingEnv, inCanary)).version).toBe("1.0.1-hot");
      expect((await classify(serving, servingEnv, outside)).version).toBe("1.0.0");
    }
    const listed = ModelList.parse(await (await serving.request("/v1/models", {}, servingEnv)).json());
    expect(listed.models.find((m) => m.name === "clinc150")!.version).toBe("1.0.0");

    // Live for everyone.
    expect((await promoteTo("clinc150", { version: "1.0.1-hot" })).status).toBe(200);
    const swapped = await until(
      () => classify(serving, servingEnv, outside),
      (r) => r.version === "1.0.1-hot",
      TTL + 2000,
    );
    expect(swapped.value.version).toBe("1.0.1-hot");
    expect(swapped.elapsed).toBeLessThan(TTL + 1500);
    const after = swapped.value.results[0]!;
    expect(after.label).toBe(before.results[0]!.label);
    // The new temperature is what answers: the same logits, flatter probabilities.
    expect(after.confidence).toBeLessThan(before.results[0]!.confidence);
    const model = ModelList.parse(
      await (await serving.request("/v1/models", {}, servingEnv)).json(),
    ).models.find((m) => m.name === "clinc150")!;
    expect(model).toMatchObject({
      version: "1.0.1-hot",
      calibration: { temperature: hot.calibration.temperature },
    });
    const v2 = (await (await serving.request("/v2/models/clinc150", {}, servingEnv)).json()) as {
      versions: string[];
    };
    expect(v2.versions).toEqual(["1.0.1-hot"]);
    const infer = await serving.request(
      "/v2/models/clinc150/infer",
      post({ inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["what is my credit score"] }] }),
      servingEnv,
    );
    expect(((await infer.json()) as { model_version: string }).model_version).toBe("1.0.1-hot");

    // Rollback: the bundled version again, with its own numbers.
    expect((await rollbackOf("clinc150")).status).toBe(200);
    const restored = await until(
      () => classify(serving, servingEnv),
      (r) => r.version === "1.0.0",
      TTL + 2000,
    );
    expect(restored.value.version).toBe("1.0.0");
    expect(restored.value.results[0]!.confidence).toBeCloseTo(before.results[0]!.confidence, 6);
  });
});
