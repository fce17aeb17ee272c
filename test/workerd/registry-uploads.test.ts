import { env as workerEnv } from "cloudflare:workers";
import { afterAll, describe, expect, inject, it } from "vitest";
import { FeaturizerConfig, featurize } from "../../src/core/featurizer.ts";
import { exportOnnx } from "../../src/distill/onnx/export.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { MAX_SESSIONS } from "../../src/gateway/models/sessions.ts";
import { PROBE_TEXTS } from "../../src/gateway/registry/probe.ts";
import { sessionsCreated } from "../../src/gateway/runtime/onnx-session.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { ErrorResponse } from "../../src/gateway/schemas/error.ts";
import { expectError, expectV2Error, kserveTeacher, post } from "./gateway-helpers.ts";
import {
  allocating,
  batchCollapsed,
  describe as describePackage,
  edited,
  foreignNames,
  form,
  hollowInitializer,
  manyNodes,
  type Package,
  poisonedRows,
  student,
  validPackage,
} from "./registry-helpers.ts";

/**
 * The registry's guards on the real stack (miniflare R2 and KV): graphs that a single probe text used to
 * let go live are refused with a 422 naming the fault, those over the budget before any session exists;
 * racing uploads of one version cannot mix; readiness creates no session.
 */
const bindings = workerEnv as unknown as Env;
const models = bindings.MODELS_BUCKET!;
const kv = bindings.REGISTRY!;
const TOKEN = "test-admin-token-0123456789abcdef-xyz";
const auth = { authorization: `Bearer ${TOKEN}` };
const env = (): Env => ({ ...bindings, ADMIN_TOKEN: TOKEN, REGISTRY_TTL_MS: "0" });
const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });

const upload = (pkg: Package) =>
  app.request(
    `/admin/models/${pkg.manifest.name}/versions/${pkg.manifest.version}`,
    { method: "PUT", headers: auth, body: form(pkg.manifest, pkg.onnx) },
    env(),
  );
const promote = (name: string, version: string) =>
  app.request(`/admin/models/${name}/promote`, post({ version }, auth), env());
const classify = (model: string, options: Record<string, unknown> = {}) =>
  app.request(
    "/v1/classify",
    post({ model, text: "free prize now", options: { teacher: "never", ...options } }),
    env(),
  );
const messageOf = async (res: Response) => ErrorResponse.parse(await res.clone().json()).error.message;

const NAMES: string[] = [];
const named = (name: string) => {
  NAMES.push(name);
  return name;
};

afterAll(async () => {
  for (const name of NAMES) {
    await kv.delete(`pointer/${name}`);
    const listed = await models.list({ prefix: `models/${name}/` });
    await Promise.all(listed.objects.map((o) => models.delete(o.key)));
  }
});

const SHAPE = { buckets: 512, dim: 4 };

/** A graph whose embedding is positive except `row`, with Sqrt after the lookup: NaN only for that row. */
function sqrtOfNegativeRow(row: number, shape: typeof SHAPE): Uint8Array {
  const members = student(7, shape);
  const embedding = members[0]!.embedding;
  for (let i = 0; i < embedding.length; i++) embedding[i] = Math.abs(embedding[i]!) + 0.01;
  embedding.fill(-1, row * shape.dim, (row + 1) * shape.dim);
  return edited(exportOnnx(members, { embeddingDtype: "float32" }), (model) => {
    const nodes = model.graph!.node!;
    const at = nodes.findIndex((n) => n.output?.includes("m0.gathered"));
    nodes.splice(at + 1, 0, {
      opType: "Sqrt",
      input: ["m0.gathered"],
      output: ["m0.rooted"],
      name: "m0.rooted",
    });
    for (const n of nodes.slice(at + 2))
      n.input = n.input!.map((i) => (i === "m0.gathered" ? "m0.rooted" : i));
  });
}

describe("upload validation", () => {
  it("refuses, with 422 invalid_model naming the fault, graphs a single probe text let go live", async () => {
    const name = named("guard-refused");
    const good = exportOnnx(student(1, SHAPE), { embeddingDtype: "float32" });
    // The ids the probe texts reach: the poisoned rows below are none of them.
    const featurizer = (await describePackage(name, "0", good, SHAPE)).manifest.featurizer;
    const reached = new Set(
      PROBE_TEXTS.flatMap((t) => [...featurize(t, FeaturizerConfig.parse(featurizer))]),
    );
    const unreached = Array.from({ length: SHAPE.buckets }, (_, i) => i).filter((i) => !reached.has(i));
    expect(unreached.length).toBeGreaterThan(2);
    const [nanRow, infRow, sqrtRow] = unreached as [number, number, number];
    // A featuriser with 4 buckets more than the graph has rows, which no probe text hashes to.
    const WIDE = { buckets: 4096, dim: 2 };
    const wide = exportOnnx(student(6, WIDE), { embeddingDtype: "float32" });
    const fewIds = { buckets: 4100, maxFeatures: 1 };
    const config = FeaturizerConfig.parse({ ...featurizer, ...fewIds });
    expect(PROBE_TEXTS.flatMap((t) => [...featurize(t, config)]).every((id) => id < 4096)).toBe(true);
    const cases: [string, Package, RegExp][] = [
      [
        "NaN weights where the probe texts do not reach",
        await describePackage(name, "1.0.0", poisonedRows(2, SHAPE, [nanRow], Number.NaN), SHAPE),
        new RegExp(`"m0\\.embedding" holds NaN \\(row ${nanRow} of \\[512, 4\\]\\)`),
      ],
      [
        "an infinite embedding row",
        await describePackage(
          name,
          "1.0.1",
          poisonedRows(3, SHAPE, [infRow], Number.POSITIVE_INFINITY),
          SHAPE,
        ),
        /"m0\.embedding" holds Infinity/,
      ],
      [
        "a row that turns NaN only when the graph runs on it",
        await describePackage(name, "1.0.2", sqrtOfNegativeRow(sqrtRow, SHAPE), SHAPE),
        /not finite for feature ids \[0, 512\) of the featuriser's 512 buckets/,
      ],
      [
        "logits [1, C] for any batch",
        await describePackage(name, "1.0.3", batchCollapsed(good), SHAPE),
        /shape \[1, 2\], expected \[2, 2\] \(for 2 probe texts\)/,
      ],
      [
        "more featuriser buckets than embedding rows",
        await describePackage(name, "1.0.4", good, SHAPE, { buckets: 4096 }),
        /the featuriser has 4096 buckets, the graph's embedding only 512 rows/,
      ],
      [
        "more featuriser buckets than rows the probe texts reach, in a graph not written by our exporter",
        await describePackage(name, "1.0.5", foreignNames(wide), WIDE, fewIds),
        /running it on feature ids \[4096, 4100\) of the featuriser's 4100 buckets failed/,
      ],
      [
        "an architecture other than the manifest's",
        await describePackage(name, "1.0.6", good, { ...SHAPE, dim: 5 }),
        /manifest\.onnx\.architecture\.dim is 5, the graph's is 4/,
      ],
    ];
    for (const [what, pkg, message] of cases) {
      const res = await upload(pkg);
      expect(res.status, `${what}: ${await res.clone().text()}`).toBe(422);
      await expectError(res.clone(), 422, "invalid_model");
      expect(await messageOf(res), what).toMatch(message);
    }
    const stored = await models.list({ prefix: `models/${name}/` });
    expect(stored.objects).toEqual([]);
  });

  it("refuses a graph over the budget before any session is created", async () => {
    const name = named("guard-budget");
    const good = exportOnnx(student(4, SHAPE), { embeddingDtype: "float32" });
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "a tensor of 2^31 values asked for at run time",
        allocating(good, 2 ** 31),
        /operator ConstantOfShape/,
      ],
      [
        "an initializer promising 10^9 values",
        hollowInitializer(good, 1e9),
        /declares 1000000000 values \[1000000000\] but holds 1/,
      ],
      ["300 more nodes", manyNodes(good, 300), /nodes, over the budget of 256/],
    ];
    for (const [what, bytes, message] of cases) {
      expect(bytes.length, what).toBeLessThan(good.length + 20_000);
      const before = sessionsCreated();
      const res = await upload(await describePackage(name, "2.0.0", bytes, SHAPE));
      await expectError(res.clone(), 422, "invalid_model");
      expect(await messageOf(res), what).toMatch(message);
      expect(sessionsCreated(), what).toBe(before);
    }
  });

  it("lets serving requests through while it covers every feature id", async () => {
    const name = named("guard-interleave");
    const big = { buckets: 2 ** 18, dim: 1 };
    const pkg = await describePackage(
      name,
      "1.0.0",
      exportOnnx(student(8, big), { embeddingDtype: "float32" }),
      big,
    );
    const finished: string[] = [];
    const uploading = Promise.resolve(upload(pkg)).then((res) => {
      finished.push("upload");
      return res;
    });
    // Once the upload's coverage runs have started (64 of them), a request to another model is answered
    // between two of them rather than after the last.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const served = await app.request(
      "/v1/classify",
      post({ model: "sms-spam", text: "free prize", options: { teacher: "never" } }),
      env(),
    );
    finished.push("classify");
    expect(served.status).toBe(200);
    expect((await uploading).status).toBe(201);
    expect(finished).toEqual(["classify", "upload"]);
  });

  it("serves a graph of another shape, and answers explain on it with a 400 instead of a 500", async () => {
    const name = named("guard-foreign");
    const pkg = await describePackage(
      name,
      "1.0.0",
      foreignNames(exportOnnx(student(5, SHAPE), { embeddingDtype: "float32" })),
      SHAPE,
    );
    const uploaded = await upload(pkg);
    expect(uploaded.status, await uploaded.text()).toBe(201);
    expect((await promote(name, "1.0.0")).status).toBe(200);
    const plain = await classify(name);
    expect(plain.status, await plain.clone().text()).toBe(200);
    expect(ClassifyResponse.parse(await plain.json()).version).toBe("1.0.0");
    const explained = await classify(name, { explain: true });
    await expectError(explained.clone(), 400, "invalid_request");
    expect(await messageOf(explained)).toMatch(
      /version 1\.0\.0 cannot explain: its graph was not written by the toolkit's exporter/,
    );
  });
});

describe("racing uploads of one version", () => {
  it("store exactly one of them: one 201, the others 409, the winner's graph served", async () => {
    const name = named("guard-race");
    const packages = await Promise.all(
      [11, 12, 13, 14, 15, 16, 17].map(async (seed) => validPackage(name, "1.0.0", seed, SHAPE)),
    );
    expect(new Set(packages.map((p) => p.manifest.onnx.sha256)).size).toBe(packages.length);
    const answers = await Promise.all(packages.map((p) => upload(p)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(packages.length - 1);
    for (const res of answers.filter((r) => r.status === 409)) await expectError(res, 409, "version_exists");
    const winner = packages[statuses.indexOf(201)]!;

    const files = `/admin/models/${name}/versions/1.0.0`;
    const graph = await app.request(`${files}/student.onnx`, { headers: auth }, env());
    expect(new Uint8Array(await graph.arrayBuffer())).toEqual(new Uint8Array(winner.onnx));
    const manifest = await app.request(`${files}/manifest.json`, { headers: auth }, env());
    expect(((await manifest.json()) as Package["manifest"]).onnx.sha256).toBe(winner.manifest.onnx.sha256);
    // The losers' graphs are gone: the version holds its manifest and the winner's graph only.
    const stored = (await models.list({ prefix: `models/${name}/1.0.0/` })).objects.map((o) => o.key);
    expect(stored.sort()).toEqual(
      [
        `models/${name}/1.0.0/manifest.json`,
        `models/${name}/1.0.0/student-${winner.manifest.onnx.sha256}.onnx`,
      ].sort(),
    );

    expect((await promote(name, "1.0.0")).status).toBe(200);
    const served = await classify(name);
    expect(served.status, await served.clone().text()).toBe(200);
    expect(ClassifyResponse.parse(await served.json()).version).toBe("1.0.0");
  });
});

describe("GET /v2/health/ready", () => {
  it("creates no session, with more models than the session cache holds, and names a model whose graph is gone", async () => {
    const names = Array.from({ length: MAX_SESSIONS + 2 }, (_, i) => named(`guard-ready-${i}`));
    for (const [i, name] of names.entries()) {
      expect((await upload(await validPackage(name, "1.0.0", 100 + i, SHAPE))).status).toBe(201);
      expect((await promote(name, "1.0.0")).status).toBe(200);
    }
    const before = sessionsCreated();
    for (let i = 0; i < 3; i++) {
      const res = await app.request("/v2/health/ready", {}, env());
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ ready: true });
    }
    expect(sessionsCreated()).toBe(before);

    const gone = names.at(-1)!;
    const graphs = await models.list({ prefix: `models/${gone}/1.0.0/student-` });
    await Promise.all(graphs.objects.map((o) => models.delete(o.key)));
    const unready = await app.request("/v2/health/ready", {}, env());
    await expectV2Error(unready.clone(), 500, "model_unavailable");
    // The Open Inference Protocol's error: a plain string.
    expect(((await unready.json()) as { error: string }).error).toMatch(new RegExp(`"${gone}" is missing`));
    expect(sessionsCreated()).toBe(before);
    await kv.delete(`pointer/${gone}`);
  });
});
