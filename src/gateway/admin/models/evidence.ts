import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Comparison } from "../../../core/sequential-test.ts";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { standingOf } from "../../evidence/standing.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import { type DocumentedApp, jsonContent, jsonRequest, mount } from "../../openapi.ts";
import { CanaryPolicy } from "../../registry/canary-decision.ts";
import { ModelName } from "../../registry/keys.ts";
import { type Pointer, startShadow, stopShadow } from "../../registry/pointer.ts";
import { adminRoute } from "../route.ts";
import { Decisions, type Evidence, ModelState, ShadowRequest } from "./schemas.ts";
import { currentPointer, modelState, requireModel, requirePointers, type Stores } from "./state.ts";

/**
 * The admin side of shadows and canary decisions: start and stop a shadow, and read the automatic
 * decisions with the evidence the next one will be taken on (src/gateway/evidence).
 */
const nameParams = z.object({ name: ModelName.meta({ description: "Model name" }) });
const MAX_SHADOW_BODY = 1024;

const startShadowRoute = adminRoute(
  createRoute({
    method: "put",
    path: "/admin/models/{name}/shadow",
    operationId: "startShadow",
    summary: "Run a version beside the live one on a share of requests, never answering",
    description:
      "On `percent` % of inference requests (by request id) served by the live version, the shadow runs after the response on all the request's texts; its agreement with the teacher (escalated texts and the audit sample) is counted per version in D1, and its labels are kept in the answer trail so feedback by request id counts for it too (GET /admin/models/{name}/decisions). Replaces a running shadow.",
    request: { params: nameParams, body: jsonRequest(ShadowRequest) },
    responses: { 200: jsonContent(ModelState, "The new pointer") },
  }),
  400,
  404,
  413,
  415,
);

const stopShadowRoute = adminRoute(
  createRoute({
    method: "delete",
    path: "/admin/models/{name}/shadow",
    operationId: "stopShadow",
    summary: "Stop the model's shadow (its counts stay in D1)",
    request: { params: nameParams },
    responses: { 200: jsonContent(ModelState, "The new pointer") },
  }),
  400,
  404,
);

const decisionsRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/models/{name}/decisions",
    operationId: "listCanaryDecisions",
    summary:
      "Automatic canary decisions with their figures, and the evidence on the running canary and shadow",
    request: { params: nameParams },
    responses: { 200: jsonContent(Decisions, "OK") },
  }),
  400,
  404,
);

/** The running canary's and shadow's standing against live, as the scheduled decision reads it. */
async function evidenceOf(
  db: D1Database | undefined,
  name: string,
  pointer: Omit<Pointer, "updated_at">,
): Promise<Evidence[]> {
  if (!db) return [];
  const found: Evidence[] = [];
  const compare = async (role: Evidence["role"], version: string, since: Date, policy: CanaryPolicy) => {
    const {
      evidence,
      comparison: c,
      feedback,
    } = await standingOf(db, {
      model: name,
      candidate: version,
      role,
      live: pointer.live,
      since,
      alpha: policy.alpha,
      minFeedback: policy.min_feedback,
    });
    const rates = (comparison: Comparison) => ({
      verdict: comparison.verdict,
      candidate: { version, ...comparison.canary },
      live: { version: pointer.live, ...comparison.live },
      difference: comparison.difference,
    });
    const { comparison: onFeedback, ...counts } = feedback;
    found.push({
      role,
      since: since.toISOString(),
      alpha: policy.alpha,
      evidence,
      feedback: { ...counts, accuracy: rates(onFeedback) },
      ...rates(c),
    });
  };
  const { canary, shadow } = pointer;
  const updatedAt = "updated_at" in pointer ? String(pointer.updated_at) : new Date(0).toISOString();
  if (canary) {
    const policy = canary.decision ?? CanaryPolicy.parse({});
    await compare("canary", canary.version, new Date(canary.started_at ?? updatedAt), policy);
  }
  if (shadow) await compare("shadow", shadow.version, new Date(shadow.started_at), CanaryPolicy.parse({}));
  return found;
}

export function mountEvidenceRoutes(
  app: DocumentedApp,
  stores: (c: AppContext) => Stores,
  param: (c: AppContext) => string,
  requireServable: (s: Stores, name: string, version: string) => Promise<unknown>,
): void {
  mount(app, startShadowRoute, jsonBody<AppEnv>({ maxBytes: () => MAX_SHADOW_BODY }), async (c) => {
    const name = param(c);
    const body = parseRequest(ShadowRequest, c.var.jsonBody);
    const s = stores(c);
    const pointers = requirePointers(s);
    await requireModel(s, name);
    await requireServable(s, name, body.version);
    const next = startShadow(await currentPointer(s, name), body.version, body.percent, new Date());
    await pointers.put(name, next);
    return c.json(await modelState(s, name, next));
  });
  mount(app, stopShadowRoute, async (c) => {
    const name = param(c);
    const s = stores(c);
    const pointers = requirePointers(s);
    await requireModel(s, name);
    const next = stopShadow(await currentPointer(s, name), new Date());
    await pointers.put(name, next);
    return c.json(await modelState(s, name, next));
  });
  mount(app, decisionsRoute, async (c) => {
    const name = param(c);
    const s = stores(c);
    await requireModel(s, name);
    const pointer = await currentPointer(s, name);
    if (pointer === null) throw new ApiError(404, "model_not_found", `model "${name}" has no live version`);
    const evidence = await evidenceOf(c.env?.DB, name, pointer);
    return c.json({ decisions: pointer.decisions ?? [], evidence });
  });
}
