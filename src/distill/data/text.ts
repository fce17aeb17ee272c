/** Shared text plumbing for the line-based loaders. */

/** Drops a UTF-8 byte-order mark, which editors on Windows add and which would stick to the first field. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Splits into physical lines, accepting LF and CRLF endings. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}
