import type { Context } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { AnsweredVariables } from "./answered.ts";
import type { Env } from "./bindings.ts";
import type { ClassifyDeps } from "./cascade/classify.ts";
import type { GatewayConfig } from "./config.ts";
import type { TrailBatches, TrailSlot } from "./feedback/trail-batch.ts";
import type { ApiKeyVariables } from "./middleware/api-key/store.ts";
import type { JsonBodyVariables } from "./middleware/json-body/index.ts";
import type { ModelSet } from "./models/model-set.ts";
import type { StageSwitch } from "./stages.ts";

/** What every handler can reach through the Hono context, set by app.ts before the routes run. */
export interface Services extends ClassifyDeps {
  config: GatewayConfig;
  registry: ModelSet;
  /** The isolate's answer trail batches (feedback/trail-batch.ts). */
  answerTrail: TrailBatches;
}

export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables &
    JsonBodyVariables &
    ApiKeyVariables &
    AnsweredVariables & {
      services: Services;
      stages: StageSwitch;
      /** Set when the gateway issued the request id: the trail batch it names (not read back from the id). */
      trailSlot?: TrailSlot;
    };
};

export type AppContext = Context<AppEnv>;

/**
 * The request's ctx.waitUntil when there is an execution context (Hono's getter throws without one, as
 * under app.request() in tests).
 */
/** The request's client as the teacher cache partitions it: its API key id, when it presented one. */
export function clientOf(c: AppContext): { client?: string } {
  const key = c.var.apiKey;
  return key ? { client: key.id } : {};
}

export function waitUntilOf(c: AppContext): { waitUntil?(promise: Promise<unknown>): void } {
  try {
    const ctx = c.executionCtx;
    return { waitUntil: (promise) => ctx.waitUntil(promise) };
  } catch {
    return {};
  }
}

/**
 * Resolves in a later task than the one that returns the response: work after it (redaction, hashing,
 * the audit's teacher call and its redaction under "log+teacher") runs once the answer is on its way.
 */
export const afterResponse = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
