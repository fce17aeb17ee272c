/**
 * The soak's request texts. The hard-example index is keyed by SHA-256 of (model, normalised logged
 * text), so a text sent twice would be one row and the count check would be meaningless: every request
 * gets its own text. The uniqueness lives in a letters-only tag, because the gateway's redaction turns
 * digit runs (phone and card numbers) into placeholders, which would make numbered texts collide.
 */
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** A lowercase letters-only word unique to `i` (bijective base 26: a, …, z, aa, ab, …), prefixed "ref". */
export function uniqueTag(i: number): string {
  if (!Number.isInteger(i) || i < 0) throw new Error(`uniqueTag: ${i} is not a non-negative integer`);
  let n = i + 1;
  let word = "";
  while (n > 0) {
    n -= 1;
    word = LETTERS[n % 26] + word;
    n = Math.floor(n / 26);
  }
  return `ref${word}`;
}

/** Request i's text: a base text (cycled) with i's tag appended. */
export function soakText(bases: readonly string[], i: number): string {
  if (bases.length === 0) throw new Error("soakText: no base texts");
  return `${bases[i % bases.length]} ${uniqueTag(i)}`;
}

/** Which requests ask for the teacher: every `every`-th one (0, every, 2·every, …), deterministically. */
export function isEscalated(i: number, every: number): boolean {
  return i % every === 0;
}
