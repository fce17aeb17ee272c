import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BodyError, contentCodings, readBody } from "./body.ts";

/** Bodies read with a cap: what the gateway, the teacher server and the teacher client rely on. */
const streamOf = (bytes: Uint8Array, chunk = 1000): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
      controller.close();
    },
  });

/** A stream that never ends: `pulled` counts the chunks it was asked for. */
function endless() {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++;
      controller.enqueue(new Uint8Array(1024));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return error instanceof BodyError ? error.kind : String(error);
  }
}

describe("content codings", () => {
  it("reads none, identity and gzip; refuses everything else", () => {
    for (const header of [undefined, null, "", "identity", " Identity "])
      expect(contentCodings(header)).toEqual([]);
    for (const header of ["gzip", "GZIP", "x-gzip", "identity, gzip"])
      expect(contentCodings(header)).toEqual(["gzip"]);
    for (const header of ["br", "deflate", "compress", "gzip, gzip", "gzip, br"])
      expect(() => contentCodings(header), header).toThrow(BodyError);
  });
});

describe("readBody", () => {
  it("reads a plain body up to the cap exactly, and refuses one byte more", async () => {
    const bytes = new TextEncoder().encode("x".repeat(5000));
    expect(text(await readBody(streamOf(bytes), null, 5000))).toBe("x".repeat(5000));
    expect(await kindOf(readBody(streamOf(bytes), null, 4999))).toBe("too_large");
  });

  it("stops reading an endless body at the cap and cancels it", async () => {
    const { stream, state } = endless();
    expect(await kindOf(readBody(stream, null, 64 * 1024))).toBe("too_large");
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(80);
  });

  it("decodes gzip, with the cap on the decoded size: a zip bomb is too_large, never inflated in full", async () => {
    const json = JSON.stringify({ texts: ["hello", "world"] });
    expect(text(await readBody(streamOf(gzipSync(json)), "gzip", 1000))).toBe(json);
    const bomb = gzipSync(" ".repeat(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await kindOf(readBody(streamOf(bomb), "gzip", 100 * 1024))).toBe("too_large");
    // The compressed size counts too.
    expect(await kindOf(readBody(streamOf(gzipSync(json)), "gzip", 10))).toBe("too_large");
  });

  it("a body that is not gzip is corrupt; an unknown coding is refused before reading", async () => {
    const plain = new TextEncoder().encode('{"a":1}');
    expect(await kindOf(readBody(streamOf(plain), "gzip", 1000))).toBe("corrupt");
    const { stream, state } = endless();
    expect(await kindOf(readBody(stream, "br", 1000))).toBe("unsupported_encoding");
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it("an abort cancels the read and rethrows the signal's reason: a deadline covers the body", async () => {
    let push: ((chunk: Uint8Array) => void) | undefined;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (chunk) => controller.enqueue(chunk);
      },
    });
    const controller = new AbortController();
    const reading = readBody(slow, null, 1000, controller.signal);
    push!(new Uint8Array(10));
    const reason = new Error("deadline");
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
  });
});
