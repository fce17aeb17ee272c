/**
 * Reading HTTP bodies with a byte cap, on web streams, for every side that takes bodies from the network:
 * the gateway's JSON requests, the teacher server's requests and the gateway's teacher client (answers).
 * A cap counts the bytes as they arrive and stops reading once past it, so an endless body costs at most
 * the cap in memory. A gzip body is decoded while it streams, and the cap applies to the decoded bytes
 * too: a small compressed body that inflates past the cap (a zip bomb) is refused, never inflated.
 */
export type BodyErrorKind = "too_large" | "unsupported_encoding" | "corrupt";

export class BodyError extends Error {
  constructor(
    readonly kind: BodyErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

/** The content codings a request body may use: gzip, as tritonclient and KServe's clients send it. */
export const ACCEPTED_ENCODINGS = "gzip";

/**
 * The codings of a Content-Encoding header, identity dropped: [] for a plain body, ["gzip"] for gzip.
 * Anything else is a BodyError "unsupported_encoding" (answer 415 with `Accept-Encoding: gzip`).
 */
export function contentCodings(header: string | null | undefined): "gzip"[] {
  const codings = (header ?? "")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length === 0) return [];
  if (codings.length === 1 && (codings[0] === "gzip" || codings[0] === "x-gzip")) return ["gzip"];
  throw new BodyError(
    "unsupported_encoding",
    `content-encoding ${JSON.stringify(header)} is not supported (accepted: ${ACCEPTED_ENCODINGS})`,
  );
}

const tooLarge = (maxBytes: number) =>
  new BodyError("too_large", `the body is larger than ${maxBytes} bytes`);

/** The stream, failing with BodyError "too_large" as soon as more than `maxBytes` have passed. */
export function capped(stream: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  let size = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          controller.error(tooLarge(maxBytes));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

/** The decoded body of a stream sent with `codings` (from contentCodings). */
export function decoded(
  stream: ReadableStream<Uint8Array>,
  codings: readonly "gzip"[],
): ReadableStream<Uint8Array> {
  if (codings.length === 0) return stream;
  return stream.pipeThrough(new DecompressionStream("gzip"));
}

/**
 * A stream's bytes, failing with BodyError "too_large" as soon as more than `maxBytes` have arrived. An
 * abort of `signal` cancels the read and rethrows the signal's reason, so a deadline covers the body, not
 * just the headers. Reads the stream itself (no pipe), so a source that fails leaves no stray promise.
 */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const stop = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      // A cancel at the abort ends the stream early: that is the deadline, not the end of the body.
      signal?.throwIfAborted();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads a body sent with `contentEncoding`, at most `maxBytes` on the wire and `maxBytes` decoded. A gzip
 * body that does not decode is a BodyError "corrupt"; other read failures (a cut connection, the abort)
 * are rethrown as they are.
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  contentEncoding: string | null | undefined,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const codings = contentCodings(contentEncoding);
  if (body === null) return new Uint8Array(0);
  if (codings.length === 0) return readAll(body, maxBytes, signal);
  try {
    return await readAll(decoded(capped(body, maxBytes), codings), maxBytes, signal);
  } catch (error) {
    if (error instanceof BodyError || signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new BodyError("corrupt", `the body is not valid ${codings.join(", ")}: ${message}`);
  }
}
