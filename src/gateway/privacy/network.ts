import { placeholder, type RedactionRule, whole } from "./rule.ts";

/** E-mail addresses, IPv4 and IPv6 addresses. */

// local@domain.tld: the domain needs at least one dot and a top-level domain of 2+ letters, so
// `root@localhost`, `user@server` and `@handles` are left alone. Linear by construction: every
// quantifier is followed by a character it cannot match ("@", ".") or is bounded, so no run of
// characters can be split two ways; that a label neither starts nor ends with "-" is checked on the
// candidate (a regex that says so needs two adjacent quantifiers over the same characters).
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]{1,63}\.)+\p{L}{2,63}(?![\p{L}\p{N}-])/gu;

const domainOf = (address: string) => address.slice(address.indexOf("@") + 1);

export const email: RedactionRule = {
  kind: "email",
  pattern: EMAIL,
  replace: (match) =>
    domainOf(match)
      .split(".")
      .every((label) => !label.startsWith("-") && !label.endsWith("-"))
      ? whole("email")
      : null,
};

// Four dot-separated numbers, not part of a longer dotted run (1.2.3.4.5) or glued to a word (v1.2.3.4).
const IPV4 = /(?<![\p{L}\p{N}_.])(?:\d{1,3}\.){3}\d{1,3}(?![\p{L}\p{N}_]|\.\d)/gu;
// Octets 0–255 without leading zeros ("010" is not how anyone writes an address).
const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
// A dotted quad right after one of these words is a version, not an address ("version 10.0.19041.1"
// fails the octet test anyway; "firmware 1.2.3.4" would not).
const VERSION_BEFORE = /(?:\bversion|\bver\.?|\bbuild|\brelease|\bfirmware)\s*[:#]?\s*$/i;

export function isIPv4(candidate: string): boolean {
  const parts = candidate.split(".");
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

export const ipv4: RedactionRule = {
  kind: "ip",
  pattern: IPV4,
  replace(match, offset, text) {
    if (!isIPv4(match)) return null;
    if (VERSION_BEFORE.test(text.slice(Math.max(0, offset - 24), offset))) return null;
    return whole("ip");
  },
};

// A run of hex digits, colons and dots with at least two colons, not glued to a word (std::vector) or
// to more colons or a dotted number; a zone index (%eth0, at most 64 characters, so that no quantifier
// is unbounded) is taken along. Whether it is an address is decided by isIPv6 below.
const IPV6 =
  /(?<![\p{L}\p{N}_:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?::?(?:\d{1,3}\.){3}\d{1,3})?(?:%[\p{L}\p{N}_.]{1,64})?(?![\p{L}\p{N}_:]|\.\d)/giu;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/**
 * RFC 4291 text forms: eight groups, or fewer with one "::"; the last 32 bits may be written as IPv4.
 * A digit is required, so hex words joined by "::" (cafe::beef) and times (12:30:45, too few groups)
 * are not addresses; neither are MAC addresses (six groups, no "::").
 */
export function isIPv6(candidate: string): boolean {
  if (!/\d/.test(candidate)) return false;
  const halves = candidate.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
  const all = groups.flat();
  let count = all.length;
  const last = all[all.length - 1];
  if (last?.includes(".")) {
    if (!isIPv4(last)) return false;
    count += 1; // the IPv4 tail is two groups
    all.pop();
  }
  if (!all.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export const ipv6: RedactionRule = {
  kind: "ip",
  pattern: IPV6,
  replace(candidate) {
    // A zone index (fe80::1%eth0) names the local interface; it goes with the address.
    const match = candidate.replace(/%.*$/, "");
    if (isIPv6(match)) return whole("ip");
    // "fe80::1:" at the end of a clause: the address without its trailing colon.
    if (match.endsWith(":") && !match.endsWith("::") && isIPv6(match.slice(0, -1)))
      return { text: `${placeholder("ip")}:`, count: 1 };
    return null;
  },
};
