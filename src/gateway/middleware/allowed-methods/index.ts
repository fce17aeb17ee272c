import type { Env, Hono, NotFoundHandler } from "hono";
import { METHOD_NAME_ALL } from "hono/router";
import { PatternRouter } from "hono/router/pattern-router";
import { ApiError } from "../../errors.ts";
import { onError } from "../json-errors/index.ts";

/**
 * HTTP method semantics (RFC 9110) for every route of an app, as its notFound handler: Hono reaches that
 * only when no route of the request's method matched, so here a path that some route has is either a
 * 405 with `Allow` (a JSON error like any other) or, for OPTIONS, a 204 with `Allow`. A CORS preflight
 * never gets here: the cors middleware answers it first. HEAD is allowed wherever GET is (Hono answers it
 * from the GET route); OPTIONS is allowed everywhere it can be answered.
 */
const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** The methods the routes of `app` take on a path; the table is read once, when every route is in. */
function allowedMethodsOf<E extends Env>(app: Hono<E>): (path: string) => string[] {
  let table: { router: PatternRouter<string>; methods: string[] } | undefined;
  const build = () => {
    const router = new PatternRouter<string>();
    const methods = new Set<string>();
    // Middleware is registered for ALL methods; a route names its own.
    for (const route of app.routes) {
      if (route.method === METHOD_NAME_ALL) continue;
      router.add(route.method, route.path, route.method);
      methods.add(route.method);
    }
    return { router, methods: [...methods] };
  };
  return (path) => {
    table ??= build();
    const { router, methods } = table;
    const found = new Set(methods.filter((method) => router.match(method, path)[0].length > 0));
    if (found.size === 0) return [];
    if (found.has("GET")) found.add("HEAD");
    found.add("OPTIONS");
    return ORDER.filter((method) => found.has(method));
  };
}

export function methodAwareNotFound<E extends Env>(
  app: Hono<E>,
  notFound: NotFoundHandler<E>,
): NotFoundHandler<E> {
  const allowedOn = allowedMethodsOf(app);
  return (c) => {
    const allowed = allowedOn(c.req.path);
    if (allowed.length === 0) return notFound(c);
    const allow = allowed.join(", ");
    if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
    const message = `method ${c.req.method} is not allowed on ${c.req.path} (allowed: ${allow})`;
    return onError(new ApiError(405, "method_not_allowed", message, { Allow: allow }), c);
  };
}
