import type { Context, MiddlewareHandler } from "hono";
import { ACCEPTED_ENCODINGS, BodyError, contentCodings, readBody } from "../../../core/body.ts";
import { ApiError } from "../../errors.ts";

/**
 * For routes that take a JSON body: 415 unless the content type is application/json, 413 over the size
 * limit (checked against Content-Length when given, and while streaming), 400 when the bytes are not
 * JSON. A gzip body (`Content-Encoding: gzip`) is decoded first, under the same limit for its decoded
 * size; any other coding is a 415 with `Accept-Encoding: gzip`. The parsed value is `c.get("jsonBody")`;
 * schemas validate it later.
 */
/** The body parsed, and as the client sent it (decoded): a route may forward it unchanged. */
export type JsonBodyVariables = { jsonBody: unknown; jsonText: string };

export interface JsonBodyOptions<E extends { Variables: JsonBodyVariables }> {
  /** The limit in bytes; a function so it can come from per-env configuration. */
  maxBytes: (c: Context<E>) => number;
  /**
   * Read a body sent without Content-Type as JSON. For the Open Inference Protocol's infer routes:
   * tritonclient and KServe's REST client send none, and Triton and KServe accept that.
   */
  untypedIsJson?: boolean;
  /** How the text becomes the value, JSON.parse by default (the HTTP benchmark replays it: stages.ts). */
  parse?: (c: Context<E>, text: string) => unknown;
}

// application/json, with parameters (charset) allowed; application/problem+json-style suffixes are not
// the API's type, so they are refused like any other.
const JSON_TYPE = /^application\/json\s*(;|$)/i;

function checkType(type: string | undefined, untypedIsJson: boolean): void {
  if (untypedIsJson && (type === undefined || type.trim() === "")) return;
  if (!JSON_TYPE.test(type ?? ""))
    throw new ApiError(415, "unsupported_media_type", "content-type must be application/json");
}

function bodyRefusal(error: BodyError, maxBytes: number): ApiError {
  switch (error.kind) {
    case "too_large":
      return new ApiError(413, "payload_too_large", `the body is larger than ${maxBytes} bytes`);
    case "unsupported_encoding":
      return new ApiError(415, "unsupported_media_type", error.message, {
        "Accept-Encoding": ACCEPTED_ENCODINGS,
      });
    case "corrupt":
      return new ApiError(400, "invalid_request", error.message);
  }
}

async function readText(c: Context, maxBytes: number): Promise<string> {
  const encoding = c.req.header("content-encoding");
  const declared = Number(c.req.header("content-length"));
  try {
    // Before reading: a coding we refuse is a 415 even when the body is also too large.
    contentCodings(encoding);
    if (Number.isFinite(declared) && declared > maxBytes)
      throw new BodyError("too_large", "Content-Length is over the limit");
    return new TextDecoder().decode(await readBody(c.req.raw.body, encoding, maxBytes));
  } catch (error) {
    if (error instanceof BodyError) throw bodyRefusal(error, maxBytes);
    throw error;
  }
}

export function jsonBody<E extends { Variables: JsonBodyVariables }>(
  options: JsonBodyOptions<E>,
): MiddlewareHandler<E> {
  return async (c, next) => {
    checkType(c.req.header("content-type"), options.untypedIsJson ?? false);
    const text = await readText(c, options.maxBytes(c));
    let value: unknown;
    try {
      value = options.parse ? options.parse(c, text) : JSON.parse(text);
    } catch {
      throw new ApiError(400, "invalid_json", "the body is not valid JSON");
    }
    c.set("jsonBody", value);
    c.set("jsonText", text);
    await next();
  };
}
