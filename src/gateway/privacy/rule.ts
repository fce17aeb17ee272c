/**
 * One kind of personal data: a global regex that finds candidates, and a check that decides what a
 * candidate becomes. Regexes alone over-match (a 16-digit order number, a version string), so every rule
 * may look at the candidate and the text around it before replacing it.
 */
export type RedactionKind = "secret" | "email" | "ip" | "card" | "phone";

export interface RedactionRule {
  kind: RedactionKind;
  /** Must carry the `g` flag (replaceAll). */
  pattern: RegExp;
  /**
   * What the candidate becomes: a replacement (usually the rule's placeholder, sometimes with part of the
   * candidate kept), or null to leave it as it is. `count` is how many items the replacement removed.
   */
  replace(match: string, offset: number, text: string): { text: string; count: number } | null;
}

/** The placeholder a kind leaves behind, e.g. `[EMAIL]`; typed so the student still sees "an e-mail". */
export const placeholder = (kind: RedactionKind): string =>
  kind === "secret" ? "[SECRET]" : `[${kind.toUpperCase()}]`;

/** The usual answer: the whole candidate becomes the placeholder. */
export const whole = (kind: RedactionKind) => ({ text: placeholder(kind), count: 1 });
