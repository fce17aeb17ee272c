import { request } from "node:http";
import { authHeader, bodyBytes, type FuzzCase, requestOf } from "./case.ts";
import type { Observed } from "./check.ts";

/**
 * Sending cases to the gateway. Two things here are about the test rig, not the gateway:
 *
 * - A streamed (chunked) body the gateway refuses part-way (413, or 415 before reading) is answered while
 *   the client is still sending; the server may then close the connection. curl reads that early answer;
 *   fetch (undici) often reports "other side closed" instead. Streamed cases therefore go through
 *   node:http, which, like curl, keeps the answer that arrived before the write failed.
 * - `wrangler dev` puts a proxy Worker in front of the gateway. After a streamed body the gateway did not
 *   read to the end, the proxy's next non-GET request to the gateway fails and the proxy itself answers
 *   503 text/plain "Your worker restarted mid-request…" (a GET hangs until another request arrives).
 *   Reproduced with curl alone; it does not happen with Content-Length bodies. So streamed cases run
 *   alone (every other request waits) and are followed by small POSTs until the proxy answers normally
 *   again; those proxy 503s are counted and reported, and any other answer to a flush is a failure.
 *   The streamed request's own answer is sometimes spoilt the same way (transportGlitch): such a case is
 *   sent again, at most STREAM_ATTEMPTS times in all, and the retries are counted and reported. A
 *   gateway that really failed would fail every attempt.
 */
export type Exec = (c: FuzzCase) => Promise<Observed>;

export const DEV_PROXY_RESTART = "Your worker restarted mid-request.";

const noAnswer = ({ method, path }: FuzzCase, error: unknown): Observed => {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return {
    method,
    path,
    status: null,
    contentType: null,
    requestId: null,
    body: "",
    error: `${String(error)}${cause}`,
  };
};

async function viaFetch(c: FuzzCase, baseUrl: string, token: string, timeoutMs: number): Promise<Observed> {
  const { url, init } = requestOf(c, baseUrl, token);
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return {
      method: c.method,
      path: c.path,
      status: res.status,
      contentType: res.headers.get("content-type"),
      requestId: res.headers.get("x-request-id"),
      body: await res.text(),
    };
  } catch (error) {
    return noAnswer(c, error);
  }
}

/** A chunked request through node:http; an answer that arrived counts even if writing then failed. */
export function viaNodeHttp(
  c: FuzzCase,
  baseUrl: string,
  token: string,
  timeoutMs: number,
): Promise<Observed> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...c.headers };
    const auth = authHeader(c.auth, token);
    if (auth !== null) headers.authorization = auth;
    let settled = false;
    const settle = (o: Observed) => {
      if (!settled) resolve(o);
      settled = true;
    };
    const req = request(`${baseUrl}${c.path}`, { method: c.method, headers, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      const done = () =>
        settle({
          method: c.method,
          path: c.path,
          status: res.statusCode ?? null,
          contentType: res.headers["content-type"] ?? null,
          requestId: (res.headers["x-request-id"] as string | undefined) ?? null,
          body,
        });
      res.on("end", done);
      res.on("error", done);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // After an answer, a failed write is the server closing a connection it answered on: not a failure.
    req.on("error", (error) => settle(noAnswer(c, error)));
    const bytes = c.body === null ? new Uint8Array() : bodyBytes(c.body);
    const step = Math.max(1, Math.ceil(bytes.length / 4));
    for (let at = 0; at < bytes.length; at += step) req.write(bytes.slice(at, at + step));
    req.end();
  });
}

/** Lets many shared runs overlap, and runs an exclusive one alone: after the shared ones already running, before any shared one that comes later. */
export class Gate {
  private active = 0;
  /** Exclusive runs queued or running; while any are, new shared runs wait. */
  private exclusives = 0;
  private waiting: (() => void)[] = [];
  private idle: (() => void) | null = null;
  private chain: Promise<void> = Promise.resolve();

  async shared<T>(run: () => Promise<T>): Promise<T> {
    while (this.exclusives > 0)
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
      });
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      if (this.active === 0) this.idle?.();
    }
  }

  async exclusive<T>(run: () => Promise<T>): Promise<T> {
    this.exclusives++;
    const previous = this.chain;
    let done: () => void = () => {};
    this.chain = new Promise<void>((resolve) => {
      done = resolve;
    });
    await previous;
    if (this.active > 0)
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
    this.idle = null;
    try {
      return await run();
    } finally {
      this.exclusives--;
      done();
      if (this.exclusives === 0) for (const wake of this.waiting.splice(0)) wake();
    }
  }
}

/**
 * The ways the local transport (wrangler's proxy, workerd's HTTP parser) spoils the answer to a streamed
 * body refused part-way, none of which the gateway's code produces: the proxy's own 503 text, kj-http's
 * 501 or 431 for leftover body bytes read as a request line or headers, an error status whose body was
 * lost, or no answer.
 */
export function transportGlitch(o: Observed): string | null {
  if (o.status === null) return "no answer";
  if (o.status === 503 && o.body.startsWith(DEV_PROXY_RESTART)) return "dev-proxy 503";
  if (o.status === 501 && o.body.startsWith("ERROR: Unrecognized request method")) return "kj-http 501";
  if (o.status === 431 && o.body.startsWith("ERROR: header too large")) return "kj-http 431";
  if (o.status >= 400 && o.body === "" && o.method !== "HEAD") return "error with its body lost";
  return null;
}

/** Streamed cases are tried this many times at most; the first answer free of transport glitches counts. */
export const STREAM_ATTEMPTS = 4;

export interface RigStats {
  /** Proxy 503s the flushes after streamed cases absorbed. */
  flushRestarts: number;
  /** Streamed cases sent again, by the glitch that spoilt the earlier answer. */
  streamRetries: Record<string, number>;
  /** Flush answers that were neither a 200 nor the proxy's 503: failures. */
  flushFailures: string[];
}

export interface HttpExec {
  exec: Exec;
  stats: () => RigStats;
}

export function httpExec(baseUrl: string, token: string, timeoutMs = 30_000): HttpExec {
  const gate = new Gate();
  const stats: RigStats = { flushRestarts: 0, streamRetries: {}, flushFailures: [] };
  const flush = async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const o = await viaFetch(FLUSH, baseUrl, token, timeoutMs);
      if (o.status === 200) return;
      if (o.status === 503 && o.body.startsWith(DEV_PROXY_RESTART)) stats.flushRestarts++;
      else stats.flushFailures.push(`flush answered ${o.status ?? o.error}: ${o.body.slice(0, 200)}`);
    }
    stats.flushFailures.push("the dev proxy kept failing after a streamed body (5 flushes)");
  };
  const streamed = async (c: FuzzCase): Promise<Observed> => {
    let observed = await viaNodeHttp(c, baseUrl, token, timeoutMs);
    await flush();
    for (let attempt = 1; attempt < STREAM_ATTEMPTS; attempt++) {
      const glitch = transportGlitch(observed);
      if (glitch === null) break;
      stats.streamRetries[glitch] = (stats.streamRetries[glitch] ?? 0) + 1;
      observed = await viaNodeHttp(c, baseUrl, token, timeoutMs);
      await flush();
    }
    return observed;
  };
  const exec: Exec = (c) =>
    c.chunked ? gate.exclusive(() => streamed(c)) : gate.shared(() => viaFetch(c, baseUrl, token, timeoutMs));
  return {
    exec,
    stats: () => ({
      ...stats,
      streamRetries: { ...stats.streamRetries },
      flushFailures: [...stats.flushFailures],
    }),
  };
}

const FLUSH: FuzzCase = {
  endpoint: "flush",
  method: "POST",
  path: "/v1/classify",
  headers: { "content-type": "application/json" },
  auth: "none",
  body: { kind: "text", text: '{"text":"flush","options":{"teacher":"never"}}' },
  chunked: false,
};
