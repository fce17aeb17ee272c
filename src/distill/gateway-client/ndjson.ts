import { z } from "zod";

/**
 * Streams newline-delimited JSON, validating each line as it arrives, so a 100,000-record export is
 * never held as one string and a bad record is reported by its line number, not as "invalid body".
 * Blank lines (a trailing newline, CRLF leftovers) are skipped; everything else must parse.
 */
export async function* parseNdjson<T>(
  body: AsyncIterable<Uint8Array>,
  schema: z.ZodType<T>,
  source: string,
): AsyncGenerator<T> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let pending = "";
  let lineNumber = 0;
  const parseLine = (line: string): T | null => {
    lineNumber++;
    if (line.trim() === "") return null;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new NdjsonError(source, lineNumber, `invalid JSON (${(error as Error).message})`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new NdjsonError(source, lineNumber, z.prettifyError(parsed.error));
    return parsed.data;
  };
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = pending.indexOf("\n", start);
    while (newline >= 0) {
      const value = parseLine(pending.slice(start, newline));
      if (value !== null) yield value;
      start = newline + 1;
      newline = pending.indexOf("\n", start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  // A last line without its newline is still a line: a cut-off stream fails here as invalid JSON.
  if (pending !== "") {
    const value = parseLine(pending);
    if (value !== null) yield value;
  }
}

export class NdjsonError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}: line ${line}: ${detail}`);
  }
}
