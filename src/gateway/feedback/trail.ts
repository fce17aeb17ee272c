import type { AnswerListener } from "../answered.ts";
import { type AppContext, afterResponse, clientOf, waitUntilOf } from "../context.ts";
import type { ShadowRun } from "../evidence/shadow.ts";
import { modeFor } from "../privacy/policy.ts";
import { batchKey, batchPlace, entryInBatch, type TrailBatches } from "./trail-batch.ts";
import { TrailEntry, trailEntry, trailKey } from "./trail-entry.ts";

/**
 * The answer trail: what feedback by request id needs of an answer the hard-example log may never have
 * seen (a confident student answer is logged only if audited). Every answered request leaves an entry
 * (trail-entry.ts) that KV deletes after FEEDBACK_WINDOW_S:
 * - a request whose id the gateway issued joins its isolate's open batch, written as one KV entry
 *   `answer-batch/{batch}` per FEEDBACK_BATCH_MS (trail-batch.ts), the client kept per answer;
 * - a request with the client's own id, an answer that arrives after its batch was written, and every
 *   answer with FEEDBACK_BATCH_MS = 0, as one KV entry `answer/{client}/{request id}`.
 *
 * Written in ctx.waitUntil after the answer, like the log; a failed write costs only the chance of
 * feedback by request id for those answers (the client can still send the text), so it is logged, not
 * retried.
 */

/** The listener that keeps a request's trail entry; a no-op without the binding or with a window of 0. */
export function answerTrail(c: AppContext, shadowOf: ShadowRun): AnswerListener {
  const kv = c.env?.ANSWER_TRAIL;
  const { config, answerTrail: batches } = c.var.services;
  const { windowS, batchMs } = config.feedback;
  if (!kv || windowS === 0) return () => {};
  const { waitUntil } = waitUntilOf(c);
  const slot = batchMs > 0 ? c.var.trailSlot : undefined;
  return (batch) => {
    // Read when the answer is ready: the listener is made before the API key is checked.
    const { client } = clientOf(c);
    const requestId = c.var.requestId;
    // Redaction runs in a later task than the answer, as the log's does.
    // On a shadowed request the entry waits for the shadow's run, so it is kept once, with its labels.
    const work = afterResponse()
      .then(() => shadowOf(batch))
      .then((shadow) => {
        const entry = trailEntry(batch, modeFor(config.redaction, batch.model.name), shadow);
        const batched = slot ? batches.keep(slot, client, entry, { kv, ttlS: windowS, batchMs }) : null;
        // Every request of a batch waits for its write, so the isolate stays until the batch is in KV.
        return (
          batched ?? kv.put(trailKey(client, requestId), JSON.stringify(entry), { expirationTtl: windowS })
        );
      })
      .catch((error: unknown) => console.error("answer trail: not kept:", error));
    if (waitUntil) waitUntil(work);
  };
}

/**
 * The trail entry of a client's request, or null when there is none (expired, never kept, not theirs).
 * A batched id is looked for in its batch (in this isolate until written, then in KV), then on its own
 * (a late answer); any other id on its own.
 */
export async function readTrail(
  kv: KVNamespace,
  client: string | undefined,
  requestId: string,
  batches: TrailBatches,
): Promise<TrailEntry | null> {
  const place = batchPlace(requestId);
  if (place) {
    const held = batches.find(place, client);
    const found =
      held === undefined ? entryInBatch(await kv.get(batchKey(place.batchId), "json"), place, client) : held;
    if (found) return found;
  }
  const raw = await kv.get(trailKey(client, requestId), "json");
  if (raw === null) return null;
  const parsed = TrailEntry.safeParse(raw);
  if (!parsed.success) {
    console.error(`answer trail: entry of ${requestId} does not validate`);
    return null;
  }
  return parsed.data;
}
