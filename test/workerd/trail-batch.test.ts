import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { batchKey, batchPlace, MAX_BATCH_CHARS } from "../../src/gateway/feedback/trail-batch.ts";
import { trailKey } from "../../src/gateway/feedback/trail-entry.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { auth, bindings, gateway, SURE, UNSURE } from "./feedback-helpers.ts";
import { expectError, post } from "./gateway-helpers.ts";

/**
 * The answer trail's batches (src/gateway/feedback/trail-batch.ts) on the real stack: miniflare's KV,
 * real HTTP teachers, and the Worker itself (SELF) where requests must be separate request contexts.
 * The KV namespace is listed to count the writes.
 */
const kv = bindings.ANSWER_TRAIL!;
const idOf = (res: Response) => res.headers.get("x-request-id")!;
const batchIdOf = (res: Response) => batchPlace(idOf(res))!.batchId;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every trail key in the namespace (entries on their own and batches). */
async function trailKeys(): Promise<Set<string>> {
  const names = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: "answer", ...(cursor ? { cursor } : {}) });
    for (const key of page.keys) names.add(key.name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return names;
}

/** The keys written while `work` ran. */
async function written(work: () => Promise<unknown>): Promise<string[]> {
  const before = await trailKeys();
  await work();
  return [...(await trailKeys())].filter((k) => !before.has(k)).sort();
}

async function apiKey(gw: ReturnType<typeof gateway>, name: string) {
  const res = await gw.call("/admin/keys", { name }, auth);
  expect(res.status).toBe(201);
  return { "x-api-key": ((await res.json()) as { key: string }).key };
}

describe("the answer trail's batches", () => {
  it("N answers in one window are ONE KV write; another isolate finds each by id, student and teacher", async () => {
    const gw = gateway();
    const texts = [SURE, UNSURE, `${SURE} please`, `${UNSURE} zxcv`, `${SURE} now`, SURE];
    let answered: Response[] = [];
    const keys = await written(async () => {
      answered = await Promise.all(texts.map((text) => gw.call("/v1/classify", { text })));
    });
    const batchId = batchIdOf(answered[0]!);
    expect(answered.map(batchIdOf)).toEqual(texts.map(() => batchId));
    expect(keys).toEqual([batchKey(batchId)]);

    const results = await Promise.all(
      answered.map(async (res) => ClassifyResponse.parse(await res.json()).results[0]!),
    );
    expect(new Set(results.map((r) => r.source))).toEqual(new Set(["student", "teacher"]));
    // A fresh app: nothing of the batch in its memory, so this is the batch as KV holds it.
    const other = gateway();
    for (const res of answered) {
      const fb = await other.call("/v1/feedback", { request_id: idOf(res), label: "balance" });
      expect(fb.status, await fb.clone().text()).toBe(202);
    }
    expect(other.feedback().map((r) => [r.request_id, r.text, r.source, r.teacher_label !== null])).toEqual(
      answered.map((res, i) => [idOf(res), texts[i], results[i]!.source, results[i]!.source === "teacher"]),
    );
  });

  it("before the write, the answering isolate reads the open batch; another says answer_not_found until it lands", async () => {
    const gw = gateway({ FEEDBACK_BATCH_MS: "3000" });
    const other = gateway({ FEEDBACK_BATCH_MS: "3000" });
    const ctx = createExecutionContext();
    const res = await gw.app.request("/v1/classify", post({ text: SURE }), gw.env, ctx);
    const named = { request_id: idOf(res), label: "credit_score" };
    // The entry joins the batch after the response (redaction runs later): wait for it.
    let here = await gw.call("/v1/feedback", named);
    for (let i = 0; i < 100 && here.status === 404; i++) {
      await sleep(10);
      here = await gw.call("/v1/feedback", named);
    }
    expect(here.status, await here.clone().text()).toBe(202);
    expect(gw.feedback()[0]).toMatchObject({ request_id: named.request_id, text: SURE, source: "student" });
    expect(await kv.get(batchKey(batchIdOf(res)))).toBeNull();
    const notYet = await other.call("/v1/feedback", named);
    expect(await notYet.clone().text()).toContain("3000 ms after the answer (FEEDBACK_BATCH_MS)");
    await expectError(notYet, 404, "answer_not_found");

    await waitOnExecutionContext(ctx);
    expect(await kv.get(batchKey(batchIdOf(res)))).not.toBeNull();
    expect((await other.call("/v1/feedback", named)).status).toBe(202);
    expect(other.feedback()[0]).toMatchObject({ request_id: named.request_id, text: SURE });
  });

  it("keeps clients apart inside one batch, and a client's copy of another's id names its own answer", async () => {
    const gw = gateway({ CLIENT_AUTH: "api-key" });
    const alice = await apiKey(gw, "alice");
    const mallory = await apiKey(gw, "mallory");
    const [forAlice, forMallory] = await Promise.all([
      gw.call("/v1/classify", { text: SURE }, alice),
      gw.call("/v1/classify", { text: UNSURE }, mallory),
    ]);
    expect(batchIdOf(forAlice!)).toBe(batchIdOf(forMallory!));
    const aliceId = idOf(forAlice!);
    const malloryId = idOf(forMallory!);

    const other = gateway({ CLIENT_AUTH: "api-key" });
    for (const gwx of [gw, other]) {
      const stolen = { request_id: aliceId, label: "alarm" };
      await expectError(await gwx.call("/v1/feedback", stolen, mallory), 404, "answer_not_found");
      const swapped = { request_id: malloryId, label: "alarm" };
      await expectError(await gwx.call("/v1/feedback", swapped, alice), 404, "answer_not_found");
    }
    // Mallory sends Alice's id as her own: kept on its own, under her key; Alice's stays Alice's.
    const copy = await gw.call(
      "/v1/classify",
      { text: `${UNSURE} copy` },
      { ...mallory, "x-request-id": aliceId },
    );
    expect(idOf(copy)).toBe(aliceId);
    expect((await other.call("/v1/feedback", { request_id: aliceId, label: "alarm" }, mallory)).status).toBe(
      202,
    );
    expect((await other.call("/v1/feedback", { request_id: aliceId, label: "alarm" }, alice)).status).toBe(
      202,
    );
    expect(
      (await other.call("/v1/feedback", { request_id: malloryId, label: "alarm" }, mallory)).status,
    ).toBe(202);
    expect(other.feedback().map((r) => r.text)).toEqual([`${UNSURE} copy`, SURE, UNSURE]);
  });

  it("keeps clients apart in the open batch too, before it is written", async () => {
    const gw = gateway({ CLIENT_AUTH: "api-key", FEEDBACK_BATCH_MS: "3000" });
    const alice = await apiKey(gw, "alice");
    const mallory = await apiKey(gw, "mallory");
    const ctx = createExecutionContext();
    const res = await gw.app.request("/v1/classify", post({ text: SURE }, alice), gw.env, ctx);
    const named = { request_id: idOf(res), label: "credit_score" };
    let own = await gw.call("/v1/feedback", named, alice);
    for (let i = 0; i < 100 && own.status === 404; i++) {
      await sleep(10);
      own = await gw.call("/v1/feedback", named, alice);
    }
    expect(own.status, await own.clone().text()).toBe(202);
    expect(await kv.get(batchKey(batchIdOf(res)))).toBeNull();
    await expectError(await gw.call("/v1/feedback", named, mallory), 404, "answer_not_found");
    await waitOnExecutionContext(ctx);
  });

  it("an id the client chose is kept on its own, under the same key as ever, whatever its shape", async () => {
    const gw = gateway();
    for (const id of [`client-${crypto.randomUUID()}`, crypto.randomUUID()]) {
      const keys = await written(() => gw.call("/v1/classify", { text: SURE }, { "x-request-id": id }));
      expect(keys).toEqual([trailKey(undefined, id)]);
      expect((await gateway().call("/v1/feedback", { request_id: id, label: "credit_score" })).status).toBe(
        202,
      );
    }
  });

  it("an answer that arrives after its batch was written (a slow teacher) is kept on its own", async () => {
    const gw = gateway({}, inject("teachers").slow);
    let slowId = "";
    let fastId = "";
    const keys = await written(async () => {
      // The slow request's id is issued first, in the same batch; the fast answer opens the window.
      const slow = gw.call("/v1/classify", { text: UNSURE, options: { teacher: "always" } });
      const fast = await gw.call("/v1/classify", { text: SURE, options: { teacher: "never" } });
      fastId = idOf(fast);
      slowId = idOf(await slow);
    });
    expect(batchPlace(slowId)!.batchId).toBe(batchPlace(fastId)!.batchId);
    expect(keys).toEqual([batchKey(batchPlace(fastId)!.batchId), trailKey(undefined, slowId)].sort());
    const other = gateway();
    expect((await other.call("/v1/feedback", { request_id: slowId, label: "alarm" })).status).toBe(202);
    expect((await other.call("/v1/feedback", { request_id: fastId, label: "alarm" })).status).toBe(202);
    expect(other.feedback().map((r) => [r.text, r.source])).toEqual([
      [UNSURE, "teacher"],
      [SURE, "student"],
    ]);
  }, 20_000);

  it(`is written at once when it reaches ${MAX_BATCH_CHARS} characters; what comes later is kept on its own`, async () => {
    const gw = gateway({ FEEDBACK_BATCH_MS: "5000" });
    const texts = (i: number) =>
      Array.from({ length: 60 }, (_, j) => `${i} ${j} ${"please tell me my credit score ".repeat(33)}`);
    let answered: Response[] = [];
    const keys = await written(async () => {
      answered = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          gw.call("/v1/classify", { texts: texts(i), options: { teacher: "never" } }),
        ),
      );
    });
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    const batchId = batchIdOf(answered[0]!);
    const batch = await kv.get(batchKey(batchId));
    expect(batch!.length).toBeGreaterThanOrEqual(MAX_BATCH_CHARS);
    const inBatch = Object.keys((JSON.parse(batch!) as { requests: object }).requests).length;
    expect(inBatch).toBeLessThan(20);
    const alone = answered.filter((r) => keys.includes(trailKey(undefined, idOf(r))));
    expect(keys).toHaveLength(1 + alone.length);
    expect(inBatch + alone.length).toBe(20);
    const other = gateway();
    for (const res of answered)
      expect(
        (await other.call("/v1/feedback", { request_id: idOf(res), index: 59, label: "alarm" })).status,
      ).toBe(202);
    expect(other.feedback().map((r) => r.request_id)).toEqual(answered.map(idOf));
  });

  it("keeps every answer on its own with FEEDBACK_BATCH_MS = 0", async () => {
    const gw = gateway({ FEEDBACK_BATCH_MS: "0" });
    let answered: Response[] = [];
    const keys = await written(async () => {
      answered = await Promise.all([SURE, UNSURE].map((text) => gw.call("/v1/classify", { text })));
    });
    expect(keys).toEqual(answered.map((r) => trailKey(undefined, idOf(r))).sort());
    expect(
      (await gateway().call("/v1/feedback", { request_id: idOf(answered[1]!), label: "alarm" })).status,
    ).toBe(202);
  });
});

describe("the Worker's own requests (SELF): one batch across request contexts", () => {
  it("concurrent answers share one write, each request waiting for it; feedback finds every one", async () => {
    const answered = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        SELF.fetch("http://gateway/v1/classify", post({ text: `${SURE} ${i}` })),
      ),
    );
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    const batchIds = new Set(answered.map(batchIdOf));
    expect(batchIds.size).toBe(1);
    const key = batchKey([...batchIds][0]!);
    // Written after the responses, in their waitUntil: wait for it.
    let batch = await kv.get(key);
    for (let i = 0; i < 120 && batch === null; i++) {
      await sleep(50);
      batch = await kv.get(key);
    }
    const seqs = Object.keys((JSON.parse(batch!) as { requests: object }).requests).sort();
    expect(seqs).toEqual(answered.map((r) => batchPlace(idOf(r))!.seq).sort());
    for (const res of answered) {
      const fb = await SELF.fetch(
        "http://gateway/v1/feedback",
        post({ request_id: idOf(res), label: "credit_score" }),
      );
      expect(fb.status, await fb.clone().text()).toBe(202);
    }
  });

  it("an id is a secret: its neighbours in the batch name nothing, so without keys no one can guess another's id", async () => {
    const answered = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        SELF.fetch("http://gateway/v1/classify", post({ text: `${SURE} neighbour ${i}` })),
      ),
    );
    expect(new Set(answered.map(batchIdOf)).size).toBe(1);
    const seqs = answered.map((r) => Number.parseInt(batchPlace(idOf(r))!.seq, 16)).sort((a, b) => a - b);
    // 48 random bits each: four of them within 4,096 of one another is a 1-in-10^9 chance.
    expect(seqs.at(-1)! - seqs[0]!).toBeGreaterThan(4096);
    const { batchId, seq } = batchPlace(idOf(answered[0]!))!;
    for (const step of [1, -1]) {
      const neighbour = (Number.parseInt(seq, 16) + step).toString(16).padStart(12, "0");
      const fb = await SELF.fetch(
        "http://gateway/v1/feedback",
        post({ request_id: `${batchId}-${neighbour}`, label: "credit_score" }),
      );
      expect(fb.status).toBe(404);
      expect(((await fb.json()) as { error: { code: string } }).error.code).toBe("answer_not_found");
    }
  });
});
