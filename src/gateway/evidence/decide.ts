import { type CanaryDecision, CanaryPolicy, decideCanary } from "../registry/canary-decision.ts";
import { type Pointer, settleCanary } from "../registry/pointer.ts";
import { PointerStore } from "../registry/pointers.ts";
import { standingOf } from "./standing.ts";

/**
 * The automatic canary decision, run by the Worker's scheduled() handler (wrangler.toml [triggers]):
 * for every model with a canary, the canary's and the live version's standing since the canary started
 * (standing.ts: accuracy against client feedback once both have enough of it, else agreement with the
 * teacher) go through the anytime-valid comparison of core/sequential-test.ts; a verdict, or the time
 * limit, settles the canary in the pointer and the decision is appended to the pointer's history with its
 * figures and the evidence they count. Because the test is anytime-valid,
 * running it every few minutes (or on any other schedule) does not raise its error rate.
 *
 * KV has no transactions: the pointer is read again just before the write, and the decision is dropped
 * if an operator changed the canary meanwhile (it is taken again on the next run if still due).
 */
export interface DecideBindings {
  REGISTRY?: KVNamespace;
  DB?: D1Database;
}

export async function decideCanaries(env: DecideBindings, now = new Date()): Promise<CanaryDecision[]> {
  const { REGISTRY: kv, DB: db } = env;
  if (!kv || !db) return [];
  const pointers = new PointerStore(kv);
  const decisions: CanaryDecision[] = [];
  for (const [name, pointer] of await pointers.all()) {
    try {
      const decision = await decideOne(db, name, pointer, now);
      if (decision === null) continue;
      const fresh = await pointers.get(name);
      if (fresh?.canary?.version !== decision.canary || fresh.live !== decision.live) continue;
      await pointers.put(name, settleCanary(fresh, decision, now));
      console.log(
        `canary: ${name} ${decision.canary} ${decision.action} (${decision.reason}, on ${decision.evidence})`,
        JSON.stringify(decision.figures),
      );
      decisions.push(decision);
    } catch (error) {
      console.error(`canary: deciding ${name} failed:`, error);
    }
  }
  return decisions;
}

async function decideOne(
  db: D1Database,
  name: string,
  pointer: Pointer,
  now: Date,
): Promise<CanaryDecision | null> {
  const { canary } = pointer;
  if (canary === null) return null;
  const policy = canary.decision ?? CanaryPolicy.parse({});
  const startedAt = new Date(canary.started_at ?? pointer.updated_at);
  const { evidence, comparison } = await standingOf(
    db,
    {
      model: name,
      candidate: canary.version,
      role: "canary",
      live: pointer.live,
      since: startedAt,
      alpha: policy.alpha,
      minFeedback: policy.min_feedback,
    },
    now,
  );
  const run = { canary: canary.version, live: pointer.live, policy, startedAt };
  return decideCanary(run, comparison, now, evidence);
}
