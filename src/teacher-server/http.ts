import type { IncomingMessage, ServerResponse } from "node:http";
import { ACCEPTED_ENCODINGS, BodyError, contentCodings, readBody as decodeBody } from "../core/body.ts";

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

const tooLargeError = (maxBytes: number) =>
  new HttpError(413, `request body is larger than ${maxBytes} bytes`, "payload_too_large");

/** The body's bytes as sent, or fails with 413 once it passes `maxBytes`. */
function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    const fail = () => reject(tooLargeError(maxBytes));
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > maxBytes + DRAIN_SLACK) {
        req.destroy();
        fail();
      }
    });
    req.on("end", () => (tooLarge ? fail() : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

/** A body error of core/body.ts as the HTTP answer it calls for. */
function httpErrorOf(error: BodyError, maxBytes: number): HttpError {
  switch (error.kind) {
    case "too_large":
      return tooLargeError(maxBytes);
    case "unsupported_encoding":
      return new HttpError(415, error.message, "unsupported_media_type", null, {
        "accept-encoding": ACCEPTED_ENCODINGS,
      });
    case "corrupt":
      return new HttpError(400, error.message, "invalid_encoding");
  }
}

/**
 * Reads the whole body as UTF-8, or fails with 413 once it passes `maxBytes`. A gzip body
 * (`Content-Encoding: gzip`) is decoded under the same cap for its decoded size, so a zip bomb is a 413;
 * any other coding is a 415 with `Accept-Encoding: gzip`, before anything is read.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = req.headers["content-encoding"];
  try {
    const codings = contentCodings(encoding);
    const raw = await readRaw(req, maxBytes);
    if (codings.length === 0) return raw.toString("utf8");
    const decoded = await decodeBody(new Blob([raw]).stream(), encoding, maxBytes);
    return Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength).toString("utf8");
  } catch (error) {
    throw error instanceof BodyError ? httpErrorOf(error, maxBytes) : error;
  }
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
