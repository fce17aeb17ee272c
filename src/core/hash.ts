/**
 * Stable 32-bit hashing of UTF-8 text, identical in Node and workerd: FNV-1a over the UTF-8 bytes
 * (as fastText hashes its n-grams) followed by murmur3's fmix32 finaliser, which spreads FNV's weak
 * low bits before we take the value modulo the bucket count.
 *
 * The hasher is incremental so n-grams are hashed from code points without building strings.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnvInit(seed: number): number {
  return (FNV_OFFSET ^ seed) >>> 0;
}

export function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME) >>> 0;
}

/** Feeds one Unicode code point to the hash as its UTF-8 bytes. */
export function fnvCodePoint(h: number, cp: number): number {
  if (cp < 0x80) return fnvByte(h, cp);
  if (cp < 0x800) return fnvByte(fnvByte(h, 0xc0 | (cp >> 6)), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) {
    h = fnvByte(h, 0xe0 | (cp >> 12));
    h = fnvByte(h, 0x80 | ((cp >> 6) & 0x3f));
    return fnvByte(h, 0x80 | (cp & 0x3f));
  }
  h = fnvByte(h, 0xf0 | (cp >> 18));
  h = fnvByte(h, 0x80 | ((cp >> 12) & 0x3f));
  h = fnvByte(h, 0x80 | ((cp >> 6) & 0x3f));
  return fnvByte(h, 0x80 | (cp & 0x3f));
}

/** murmur3 fmix32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a whole string (by code points), for tests and one-off keys. */
export function hashString(text: string, seed = 0): number {
  let h = fnvInit(seed);
  for (const ch of text) h = fnvCodePoint(h, ch.codePointAt(0)!);
  return fmix32(h);
}
