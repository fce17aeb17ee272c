import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { discardBody, HttpError, isJsonContentType, readJson, sendEvents, sendJson } from "./http.ts";

/**
 * A tiny table router over node:http: the server has a dozen fixed routes, so a framework would add a
 * dependency without removing any code. It owns the cross-cutting rules: 404/405 (with Allow), OPTIONS
 * (204 with Allow), HEAD as GET, 415 for non-JSON POSTs (V2: a missing Content-Type is JSON), gzip
 * bodies, the body cap (413), bad JSON (400), and rendering every error in its surface's shape.
 */
export type Surface = "v2" | "openai";

export interface RouteRequest {
  req: IncomingMessage;
  params: Record<string, string>;
  /** The parsed JSON body for `json` routes, undefined otherwise. */
  body: unknown;
}

/** A JSON answer (a 204 has no body), or a stream of server-sent events (each a JSON object, then `[DONE]`). */
export type Reply =
  | { status?: number; body: unknown; headers?: Record<string, string> }
  | { events: readonly unknown[] };

export interface Route {
  method: "GET" | "POST";
  /** Literal segments and `:name` parameters, e.g. "/v2/models/:model/infer". */
  path: string;
  surface: Surface;
  /** POST routes that take a JSON body. */
  json?: boolean;
  handle(request: RouteRequest): Promise<Reply> | Reply;
}

export interface RouterOptions {
  maxBodyBytes: number;
  /** Where unexpected errors are reported; their details never reach the client. */
  onError(error: unknown): void;
  /** True once shutdown has begun: answers then close their connection instead of keeping it alive. */
  closing(): boolean;
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (g === "") return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        throw new HttpError(400, `malformed percent-encoding in path segment "${g}"`, "invalid_path");
      }
    } else if (w !== g) return null;
  }
  return params;
}

/** The surface a path belongs to, so even a 404 for an unknown route has the expected error shape. */
export function surfaceOf(path: string): Surface {
  return path === "/v1" || path.startsWith("/v1/") ? "openai" : "v2";
}

export function errorBody(surface: Surface, error: HttpError): unknown {
  if (surface === "v2") return { error: error.message };
  return {
    error: {
      message: error.message,
      type: error.status >= 500 ? "server_error" : "invalid_request_error",
      param: error.param,
      code: error.code,
    },
  };
}

/** The methods a path takes, in the Allow header's order; HEAD wherever GET, OPTIONS wherever any. */
function allowHeader(methods: readonly string[]): string {
  const found = new Set(methods);
  if (found.has("GET")) found.add("HEAD");
  found.add("OPTIONS");
  return ["GET", "HEAD", "POST", "OPTIONS"].filter((m) => found.has(m)).join(", ");
}

/**
 * A route's JSON body. The V2 surface reads a body sent with no Content-Type as JSON, as Triton and KServe
 * do (tritonclient and KServe's REST client send none); a gzip body is decoded (http.ts).
 */
function readRouteJson(route: Route, req: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const type = req.headers["content-type"];
  const untyped = route.surface === "v2" && (type === undefined || type.trim() === "");
  if (!untyped && !isJsonContentType(type)) {
    throw new HttpError(415, "content-type must be application/json", "unsupported_media_type");
  }
  return readJson(req, maxBodyBytes);
}

async function dispatch(
  routes: readonly Route[],
  options: RouterOptions,
  req: IncomingMessage,
): Promise<Reply> {
  const path = (req.url ?? "/").split("?")[0]!;
  // HEAD is GET without a body: node:http leaves the body out of an answer to HEAD by itself.
  const method = req.method === "HEAD" ? "GET" : req.method;
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const body = route.json ? await readRouteJson(route, req, options.maxBodyBytes) : undefined;
    return route.handle({ req, params, body });
  }
  if (allowed.length > 0) {
    const allow = allowHeader(allowed);
    // OPTIONS asks what the path takes: the answer is Allow, with no body.
    if (req.method === "OPTIONS") return { status: 204, body: null, headers: { allow } };
    const message = `method ${req.method} is not allowed on ${path} (allowed: ${allow})`;
    throw new HttpError(405, message, "method_not_allowed", null, { allow });
  }
  throw new HttpError(404, `no route for ${req.method} ${path}`, "not_found");
}

// A caller's own id is echoed when it is a plain token, so both sides' logs name the same request.
const CALLER_ID = /^[\w.:-]{1,128}$/;

/** The answer's x-request-id: the caller's, or a new one in OpenAI's `req_…` form. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  if (typeof given === "string" && CALLER_ID.test(given)) return given;
  return `req_${randomUUID().replaceAll("-", "")}`;
}

export function createRouter(routes: readonly Route[], options: RouterOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const surface = surfaceOf((req.url ?? "/").split("?")[0]!);
    // Without this, a keep-alive connection that finishes its request after close() began would stay
    // open until the client drops it, and close() would wait for it.
    const connection = (): Record<string, string> => (options.closing() ? { connection: "close" } : {});
    const headers = () => ({ "x-request-id": requestIdOf(req), ...connection() });
    try {
      const reply = await dispatch(routes, options, req);
      discardBody(req);
      if ("events" in reply) {
        sendEvents(res, reply.events, headers());
        return;
      }
      const sent = { ...reply.headers, ...headers() };
      if (reply.status === 204) {
        res.writeHead(204, sent);
        res.end();
        return;
      }
      sendJson(res, reply.status ?? 200, reply.body, sent);
    } catch (caught) {
      discardBody(req);
      let error: HttpError;
      if (caught instanceof HttpError) error = caught;
      else {
        options.onError(caught);
        error = new HttpError(500, "internal error", "internal_error");
      }
      // The client may already have gone (e.g. the socket was cut after an oversized upload).
      if (res.headersSent || res.destroyed) return;
      sendJson(res, error.status, errorBody(surface, error), { ...error.headers, ...headers() });
    }
  };
}
