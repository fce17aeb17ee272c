import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../context.ts";
import type { ModelCatalog } from "../../models/catalog.ts";

/**
 * Decides, once per request and before any route looks at a model, which version of each model serves
 * it, and puts that view in `services.registry`: the whole request then sees one version per model.
 * Inference (POST: /v1/classify, /v2/.../infer) may be answered by a canary, chosen by a stable hash of
 * the request id; reads (GET /v1/models, /healthz, V2 metadata) describe the live version, so a client
 * asking "what is live" never gets the canary's answer by chance.
 */
export function modelVersion(catalog: ModelCatalog): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const services = c.var.services;
    const requestId = c.req.method === "POST" ? c.var.requestId : null;
    const registry = await catalog.registryFor(c.env ?? {}, services.config.registry.ttlMs, requestId);
    if (registry !== services.registry) c.set("services", { ...services, registry });
    await next();
  };
}
