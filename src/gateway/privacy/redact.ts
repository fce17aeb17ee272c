import { email, ipv4, ipv6 } from "./network.ts";
import { card, phone } from "./numbers.ts";
import type { RedactionKind, RedactionRule } from "./rule.ts";
import { urlSecrets } from "./url.ts";

/**
 * Removes personal data from a text before it is logged (and, per model, before the teacher sees it):
 * secrets in URLs, e-mail addresses, IP addresses, payment card numbers and phone numbers, each replaced
 * by a typed placeholder ([SECRET], [EMAIL], [IP], [CARD], [PHONE]) and counted by kind.
 *
 * Order matters, each rule running on the output of the ones before: URLs first (their userinfo looks
 * like an e-mail, their hosts like IPs); e-mail before IPs; IPv6 before IPv4 (an IPv6 address may end in
 * a dotted quad); cards before phones (a grouped card number is also a long run of digit groups); phones
 * last, after everything else with digits in it has become a placeholder.
 */
export const RULES: readonly RedactionRule[] = [urlSecrets, email, ipv6, ipv4, card, phone];

export interface Redacted {
  text: string;
  /** How many items of each kind were removed; kinds with none are absent. */
  redactions: Partial<Record<RedactionKind, number>>;
}

// Characters that show nothing, yet break a pattern in two: zero-width space, non-joiner and joiner,
// direction marks, word joiner, invisible operators, the byte-order mark, the soft hyphen.
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/gu;

/**
 * The form of a text that is redacted, logged and (under "log+teacher") sent to the teacher: NFKC, as the
 * models see it, so full-width digits and "＠" become ASCII and no-break and thin spaces become spaces;
 * and without invisible characters, so "jane\u200B@example.com" is the address it reads as.
 */
export function redactionForm(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "");
}

/**
 * Every rule is a regex linear in the text by construction (no quantifier next to or inside another over
 * the same characters; see each rule) plus a check on the bounded candidate, so the whole is linear: an
 * adversarial text costs about what ordinary prose of its length costs (redact.test.ts measures it).
 */
export function redact(text: string, rules: readonly RedactionRule[] = RULES): Redacted {
  const redactions: Partial<Record<RedactionKind, number>> = {};
  let out = redactionForm(text);
  for (const rule of rules) out = applyRule(rule, out, redactions);
  return { text: out, redactions };
}

/** One rule over a text: an exec loop rather than replace(), whose callback costs an array per candidate. */
function applyRule(
  rule: RedactionRule,
  text: string,
  redactions: Partial<Record<RedactionKind, number>>,
): string {
  const { pattern } = rule;
  pattern.lastIndex = 0;
  let out = "";
  let copied = 0;
  for (let found = pattern.exec(text); found !== null; found = pattern.exec(text)) {
    const match = found[0];
    // An empty match would never advance; no rule has one, but a loop must not depend on that.
    if (match === "") {
      pattern.lastIndex++;
      continue;
    }
    const result = rule.replace(match, found.index, text);
    if (!result) continue;
    redactions[rule.kind] = (redactions[rule.kind] ?? 0) + result.count;
    out += text.slice(copied, found.index) + result.text;
    copied = found.index + match.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
