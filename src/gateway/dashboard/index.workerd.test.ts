import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "../../../test/workerd/gateway-helpers.ts";
import { ASSETS } from "./assets.ts";

/**
 * GET /dashboard and its assets through the Worker entry itself (wrangler.toml's module rules bundle the
 * files as text): the security headers on every answer, content types, caching, the 404s, and that the
 * page loads nothing from anywhere but /dashboard/assets.
 */
// `exports` is typed by `wrangler types`, which this project does not generate.
const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const get = (path: string, headers: Record<string, string> = {}) =>
  worker.fetch(new Request(`http://gateway.test${path}`, { headers, redirect: "manual" }));

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get("content-security-policy") ?? "";
  const directives = csp
    .split(";")
    .map((d) => d.trim())
    .filter(Boolean);
  expect(directives.sort()).toEqual([...CSP].sort());
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
}

/** Every src/href of the page, and every module a served script imports. */
const references = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
const imports = (js: string) => [...js.matchAll(/^import[^"]*"([^"]+)";$/gm)].map((m) => m[1]!);

describe("GET /dashboard", () => {
  it("is the page, with a strict CSP, no sniffing, no referrer, revalidated by ETag", async () => {
    const res = await get("/dashboard");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expectSecurityHeaders(res);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(await res.text()).toContain("<title>Apprentice · dashboard</title>");

    const again = await get("/dashboard", { "if-none-match": etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expectSecurityHeaders(again);
  });

  it("has no inline script, style or event handler, and refers only to its own assets", async () => {
    const html = await (await get("/dashboard")).text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const refs = references(html);
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const ref of refs) expect(ref).toMatch(/^(\/dashboard\/assets\/[\w.-]+|data:,)$/);
  });

  it("holds no data: the figures need the admin token", async () => {
    // The test pool sets no ADMIN_TOKEN: the admin routes are off, and the dashboard cannot read them.
    await expectError(await get("/admin/stats"), 503, "admin_disabled");
  });

  it("redirects /dashboard/ to /dashboard", async () => {
    const res = await get("/dashboard/");
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/dashboard");
    expectSecurityHeaders(res);
  });
});

describe("GET /dashboard/assets/{name}", () => {
  const types: Record<string, string> = {
    js: "text/javascript; charset=utf-8",
    css: "text/css; charset=utf-8",
  };

  it.each([...ASSETS.keys()])("serves %s with its type and the security headers", async (name) => {
    const res = await get(`/dashboard/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(types[name.split(".").at(-1)!]);
    expectSecurityHeaders(res);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("etag")).toBeTruthy();
    expect((await res.text()).length).toBeGreaterThan(100);
  });

  it("serves every asset the page and its modules load, and uPlot's real browser build", async () => {
    const html = await (await get("/dashboard")).text();
    const pending = references(html).filter((r) => r.startsWith("/dashboard/assets/"));
    const seen = new Set<string>();
    while (pending.length) {
      const path = pending.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await get(path);
      expect(res.status, path).toBe(200);
      const body = await res.text();
      // Module imports are relative to the importing asset, so they stay under /dashboard/assets.
      if (path.endsWith(".js"))
        for (const spec of imports(body)) {
          expect(spec, `${path} imports ${spec}`).toMatch(/^\.\/[\w-]+\.js$/);
          pending.push(new URL(spec, `http://x${path}`).pathname);
        }
    }
    expect([...seen].sort()).toEqual([...ASSETS.keys()].map((name) => `/dashboard/assets/${name}`).sort());
    const uPlot = await (await get("/dashboard/assets/uPlot.iife.min.js")).text();
    // The head only: a failure must not print 50 kB.
    expect(uPlot.slice(0, 80)).toMatch(
      /^\/\*! https:\/\/github\.com\/leeoniya\/uPlot \(v1\.6\.\d+\) \*\/\nvar uPlot=/,
    );
  });

  it.each([
    "/dashboard/assets/nope.js",
    "/dashboard/assets/index.html",
    "/dashboard/assets/..%2Findex.ts",
    "/dashboard/assets/",
    "/dashboard/elsewhere",
  ])("%s is a JSON 404, with the CSP too", async (path) => {
    const res = await get(path);
    expectSecurityHeaders(res);
    await expectError(res, 404, "not_found");
  });
});
