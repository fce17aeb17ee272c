import type { D1Migration } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { expect } from "vitest";
import type { HardExampleRecord, HardExampleRoute } from "../../src/core/hard-example.ts";
import type { ModelManifest } from "../../src/core/manifest.ts";
import { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import type { AnswerSource } from "../../src/gateway/answered.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { indexStatement } from "../../src/gateway/hard-example-log/storage.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { VersionStore } from "../../src/gateway/registry/versions.ts";
import { fakeRecord } from "./hard-example-fixtures.ts";

/**
 * Shared by the GET /admin/stats tests: the admin app and env over miniflare's real D1, R2 and KV, a
 * validated read of the statistics, and seeding as the queue consumer writes D1 and R2.
 */
export const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
export const db = bindings.DB!;
export const TOKEN = "stats-admin-token-0123456789abcdef-xyz";
export const auth = { authorization: `Bearer ${TOKEN}` };
export const adminEnv = (extra: Env = {}): Env => ({
  ...bindings,
  ADMIN_TOKEN: TOKEN,
  REGISTRY_TTL_MS: "0",
  TEACHER_PRICE_PER_CALL: "0.25",
  ...extra,
});
export const app = createApp();

export async function stats(query: string, env = adminEnv()): Promise<StatsResponse> {
  const res = await app.request(`/admin/stats?${query}`, { headers: auth }, env);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return StatsResponse.parse(await res.json());
}

// ---------------------------------------------------------------------------------------------------
// Seeding, as the consumer writes D1

interface Usage {
  flush: string;
  hour: string;
  version: string;
  endpoint: "v1" | "v2";
  source: AnswerSource;
  n: number;
}
export const usage = (u: Usage, model = "clinc150") =>
  db
    .prepare(
      "INSERT INTO usage_counts (flush_id, hour, model, version, endpoint, source, n) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(u.flush, u.hour, model, u.version, u.endpoint, u.source, u.n);
export const score = (flush: string, hour: string, version: string, bin: number, n: number) =>
  db
    .prepare("INSERT INTO usage_scores (flush_id, hour, model, version, bin, n) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(flush, hour, "clinc150", version, bin, n);

/** `count` hard-example records, each with a text of its own. */
export async function logged(
  count: number,
  at: string | (() => string),
  route: HardExampleRoute,
  student: string,
  teacher: string | null,
  version = "1.0.0",
  model = "clinc150",
): Promise<HardExampleRecord[]> {
  const records: HardExampleRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push(
      await fakeRecord(model, {
        ts: typeof at === "string" ? at : at(),
        version,
        route,
        student: { label: student, confidence: 0.5, probs: [0.5, 0.5] },
        teacher:
          teacher === null
            ? null
            : { label: teacher, confidence: 0.9, probs: null, protocol: "kserve-v2", latency_ms: 5 },
      }),
    );
  }
  return records;
}

/** The log as the consumer leaves it: a JSONL object per model and day in R2, a D1 row per record. */
export async function seedLog(records: HardExampleRecord[]): Promise<void> {
  const objects = new Map<string, HardExampleRecord[]>();
  for (const r of records) {
    const key = `hard-examples/${r.model}/${r.ts.slice(0, 10)}/seed.jsonl`;
    objects.set(key, [...(objects.get(key) ?? []), r]);
  }
  const statements: D1PreparedStatement[] = [];
  for (const [key, lines] of objects) {
    await bindings.HARD_EXAMPLES_BUCKET!.put(key, lines.map((r) => `${JSON.stringify(r)}\n`).join(""));
    statements.push(...lines.map((r) => indexStatement(db, r, key)));
  }
  await db.batch(statements);
}

/** A version of a bundled model under another version string and routing threshold, stored in R2. */
export async function upload(name: string, version: string, threshold: number): Promise<void> {
  const bundled = BUNDLED_MODELS[name]!;
  const base = bundled.manifest as ModelManifest;
  const manifest = { ...base, version, routing: { ...base.routing, threshold } };
  const stored = await new VersionStore(bindings.MODELS_BUCKET!).put(
    manifest,
    JSON.stringify(manifest),
    bundled.onnx as ArrayBuffer,
  );
  expect(stored).toBe(true);
}
