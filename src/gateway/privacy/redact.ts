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

export function redact(text: string, rules: readonly RedactionRule[] = RULES): Redacted {
  const redactions: Partial<Record<RedactionKind, number>> = {};
  let out = text;
  for (const rule of rules) {
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      // replace() passes capture groups, then the offset, then the whole string (no named groups here).
      const offset = rest[rest.length - 2] as number;
      const source = rest[rest.length - 1] as string;
      const result = rule.replace(match, offset, source);
      if (!result) return match;
      redactions[rule.kind] = (redactions[rule.kind] ?? 0) + result.count;
      return result.text;
    });
  }
  return { text: out, redactions };
}
