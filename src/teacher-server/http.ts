import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Plain node:http helpers. Every failure is an HttpError; the router renders it in the error shape of
 * the protocol surface that was called (V2: `{"error": "..."}`, OpenAI: `{"error": {message, ...}}`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** OpenAI-style machine code (e.g. "model_not_found"); V2 has none. */
    readonly code: string | null = null,
    /** OpenAI-style name of the offending request field. */
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** Server-sent events as OpenAI streams them: `data: <json>` per event, then `data: [DONE]`. */
export function sendEvents(
  res: ServerResponse,
  events: readonly unknown[],
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
  res.end("data: [DONE]\n\n");
}

/** application/json, with or without parameters such as charset. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(";")[0]!.trim().toLowerCase();
  return type === "application/json";
}

// How much of an oversized body is read (and thrown away) before the connection is cut. Reading some of
// it lets the client finish sending and see the 413, instead of a reset mid-upload.
const DRAIN_SLACK = 8 * 1024 * 1024;

/** Reads the whole body as UTF-8, or fails with 413 once it passes `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    const fail = () =>
      reject(new HttpError(413, `request body is larger than ${maxBytes} bytes`, "payload_too_large"));
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > maxBytes + DRAIN_SLACK) {
        req.destroy();
        fail();
      }
    });
    req.on("end", () => (tooLarge ? fail() : resolve(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

/** Lets an unread request body flow away so the connection can be reused after an early answer. */
export function discardBody(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}

export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = await readBody(req, maxBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`, "invalid_json");
  }
}
