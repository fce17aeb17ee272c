import { Hono } from "hono";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
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

export const dashboardRoutes = new Hono<AppEnv>()
  // "/dashboard/*" matches /dashboard itself too: one registration, so the page is not handled twice.
  .use("/dashboard/*", headers, etag())
  .get("/dashboard", (c) => send(c, PAGE))
  .get("/dashboard/", (c) => c.redirect("/dashboard", 308))
  .get("/dashboard/assets/:name", (c) => {
    const name = c.req.param("name");
    const asset = ASSETS.get(name);
    if (!asset) throw new ApiError(404, "not_found", `the dashboard has no asset "${name}"`);
    return send(c, asset);
  });
