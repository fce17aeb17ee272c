/**
 * One generated request, kept as plain data so a failing case can be written to the results JSON and
 * replayed. Large bodies are described, not spelled out: `repeat` is prefix + unit × times + suffix
 * (an oversize text, a deep nesting), `bytes` is raw bytes in hex (invalid UTF-8). The admin token is
 * never part of a case: `auth` says which kind of credential to send.
 */
export type BodySpec =
  | { kind: "text"; text: string }
  | { kind: "bytes"; hex: string }
  | { kind: "repeat"; prefix: string; unit: string; times: number; suffix: string };

export type Auth = "admin" | "none" | "wrong" | "malformed";

export interface FuzzCase {
  /** The route as OpenAPI names it, e.g. "POST /v2/models/{name}/infer": what the report counts by. */
  endpoint: string;
  method: string;
  /** Path and query, already percent-encoded where needed. */
  path: string;
  headers: Record<string, string>;
  auth: Auth;
  body: BodySpec | null;
  /** Sent as a stream (chunked, no Content-Length), so a size limit must count while reading. */
  chunked: boolean;
}

const encoder = new TextEncoder();

export function bodyBytes(spec: BodySpec): Uint8Array {
  switch (spec.kind) {
    case "text":
      return encoder.encode(spec.text);
    case "bytes":
      return Uint8Array.from(spec.hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    case "repeat":
      return encoder.encode(`${spec.prefix}${spec.unit.repeat(spec.times)}${spec.suffix}`);
  }
}

/** The credential a case's `auth` stands for. */
export function authHeader(auth: Auth, token: string): string | null {
  switch (auth) {
    case "admin":
      return `Bearer ${token}`;
    case "none":
      return null;
    case "wrong":
      return `Bearer ${"x".repeat(token.length)}`;
    case "malformed":
      return `Basic ${token}`;
  }
}

/** The fetch request for a case against a gateway. */
export function requestOf(c: FuzzCase, baseUrl: string, token: string): { url: string; init: RequestInit } {
  const headers = new Headers(c.headers);
  const auth = authHeader(c.auth, token);
  if (auth !== null) headers.set("authorization", auth);
  const init: RequestInit & { duplex?: "half" } = { method: c.method, headers };
  if (c.body !== null) {
    const bytes = bodyBytes(c.body);
    if (c.chunked) {
      init.body = new ReadableStream<Uint8Array>({
        start(controller) {
          // A few chunks, so the limit is crossed part-way through reading.
          const step = Math.max(1, Math.ceil(bytes.length / 4));
          for (let at = 0; at < bytes.length; at += step) controller.enqueue(bytes.slice(at, at + step));
          controller.close();
        },
      });
      init.duplex = "half";
    } else init.body = bytes;
  }
  return { url: `${baseUrl}${c.path}`, init };
}

/** A case as the results JSON records it: long texts cut, so a shrunk case stays readable. */
export function describeCase(c: FuzzCase, maxChars = 2000): FuzzCase {
  const cut = (s: string) => (s.length > maxChars ? `${s.slice(0, maxChars)}… (${s.length} chars)` : s);
  const body: BodySpec | null =
    c.body === null
      ? null
      : c.body.kind === "text"
        ? { kind: "text", text: cut(c.body.text) }
        : c.body.kind === "bytes"
          ? { kind: "bytes", hex: cut(c.body.hex) }
          : { ...c.body, prefix: cut(c.body.prefix), suffix: cut(c.body.suffix) };
  const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, cut(v)]));
  return { ...c, path: cut(c.path), headers, body };
}
