import { createRoute } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import { documentedApp, errorResponses, mount } from "../openapi.ts";
import { ASSETS, type Asset, etagOf, PAGE } from "./assets.ts";

/**
 * GET /dashboard: the operator's page over /admin/stats, /admin/hard-examples and /admin/models. The page
 * and its assets hold no data and need no token; the client asks for the admin token and sends it to the
 * admin API itself. Every answer under /dashboard (errors too) carries a strict Content-Security-Policy:
 * only this origin's scripts, styles and API, nothing inline, no framing, no forms posting anywhere.
 */
const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  connectSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

const headers = secureHeaders({
  contentSecurityPolicy: DASHBOARD_CSP,
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
});

// The file names are not content-addressed, so browsers revalidate each time; the ETag makes that a 304.
// hono/etag only compares it with If-None-Match: it hashes a body only when no ETag is set.
const send = async (c: AppContext, asset: Asset): Promise<Response> =>
  c.body(asset.body, 200, {
    "content-type": asset.type,
    "cache-control": "no-cache",
    etag: await etagOf(asset),
  });

const pageRoute = createRoute({
  method: "get",
  path: "/dashboard",
  operationId: "getDashboard",
  summary: "The operator's dashboard page (it asks for the admin token and calls the admin API itself)",
  responses: {
    200: { description: "The page", content: { "text/html": { schema: z.string() } } },
    304: { description: "Not modified (If-None-Match matched the ETag)" },
  },
});

const assetRoute = createRoute({
  method: "get",
  path: "/dashboard/assets/{name}",
  operationId: "getDashboardAsset",
  summary: "A script or stylesheet of the dashboard page",
  request: { params: z.object({ name: z.string().meta({ description: "The asset's file name" }) }) },
  responses: {
    200: {
      description: "The asset",
      content: { "text/javascript": { schema: z.string() }, "text/css": { schema: z.string() } },
    },
    304: { description: "Not modified (If-None-Match matched the ETag)" },
    ...errorResponses(404),
  },
});

export const dashboardRoutes = documentedApp();
// "/dashboard/*" matches /dashboard itself too: one registration, so the page is not handled twice.
dashboardRoutes.use("/dashboard/*", headers, etag());
mount(dashboardRoutes, pageRoute, (c) => send(c, PAGE));
// Not an operation of its own: the page's address with a trailing slash.
dashboardRoutes.get("/dashboard/", (c) => c.redirect("/dashboard", 308));
mount(dashboardRoutes, assetRoute, (c) => {
  const name = c.req.param("name") ?? "";
  const asset = ASSETS.get(name);
  if (!asset) throw new ApiError(404, "not_found", `the dashboard has no asset "${name}"`);
  return send(c, asset);
});
