import { placeholder, type RedactionRule, whole } from "./rule.ts";

/**
 * Payment card numbers and phone numbers. Texts are full of other numbers (order ids, years, amounts,
 * times, dates), so both rules want evidence beyond "many digits": a card must pass the Luhn check; a
 * phone number must be written the way phone numbers are written (a "+" or "00" country prefix, a
 * national trunk "0" with groups, or the North American 3-3-4 shape). A bare run of digits is never a
 * phone number: "order 2025550143" and "call 2025550143" cannot be told apart.
 */

/** The Luhn (mod 10) checksum every payment card number carries. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// 13–19 digits, optionally grouped by single spaces or dashes; not part of a longer number or a decimal.
const CARD = /(?<![\p{L}\p{N}_+.,])[1-9](?:[ -]?\d){12,18}(?!\p{N})/gu;

export const card: RedactionRule = {
  kind: "card",
  pattern: CARD,
  replace(match) {
    // The regex is greedy: "4111 1111 1111 1111 100" (a card, then an amount) is one candidate. Try the
    // whole, then every shorter prefix that ends between groups, longest first.
    const ends: number[] = [];
    let digits = 0;
    for (let i = 0; i < match.length; i++) {
      if (match[i] === " " || match[i] === "-") continue;
      digits++;
      const next = match[i + 1];
      if (digits >= 13 && (next === undefined || next === " " || next === "-")) ends.push(i + 1);
    }
    for (const end of ends.reverse()) {
      if (luhn(match.slice(0, end).replace(/\D/g, "")))
        return { text: placeholder("card") + match.slice(end), count: 1 };
    }
    return null;
  },
};

// Not glued to a word, a number, or the punctuation of ids and paths (#123, ORD-2024-…, /v1/…).
const START = String.raw`(?<![\p{L}\p{N}_#/.+-])`;
// Not followed by more digits, or by a separator and more digits of the same run.
const END = String.raw`(?![\p{N}]|[.-]\d)`;
// "+44 20 7946 0958", "+1 (202) 555-0143", "+44 (0)20 7946 0958", "+442079460958", "0044 20 7946 0958",
// "00 33 1 23 45 67 89". After "00" the groups must be separated: "0012345678" is an id.
const INTERNATIONAL = String.raw`(?:\+\d{1,4}(?:[ .-]?\(?\d{1,5}\)?){1,7}|00[ .-]?[1-9]\d{0,3}(?:(?:[ .-]|(?<=\)))\(?\d{1,5}\)?){1,7})`;
// "(202) 555-0143", "202-555-0143", "202.555.0143", "1-800-555-0199".
const NORTH_AMERICAN = String.raw`(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}`;
// "020 7946 0958", "07700 900123", "01 23 45 67 89", "(030) 1234567", "0800-123-4567".
const TRUNK = String.raw`(?:\(0[1-9]\d{0,3}\)[ ]?\d{2,8}|0[1-9]\d{0,3}[ .-]\d{2,8})(?:[ .-]\d{2,8}){0,3}`;
const PHONE = new RegExp(`${START}(?:${INTERNATIONAL}|${NORTH_AMERICAN}|${TRUNK})${END}`, "gu");

// 01.02.2024 or 1-2-2024 at the start of a candidate: a date followed by another number. A four-digit
// year is required, so French numbers written with dots (01.23.45.67.89) stay phone numbers.
const DATE_LIKE = /^\(?\d{1,2}([./-])\d{1,2}\1\d{4}\b/;

function isPhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, "");
  if (candidate.startsWith("+")) return digits.length >= 8 && digits.length <= 16; // E.164 + "(0)"
  if (candidate.startsWith("00")) return digits.length >= 10 && digits.length <= 17;
  if (DATE_LIKE.test(candidate)) return false;
  return digits.length >= 9 && digits.length <= 12;
}

export const phone: RedactionRule = {
  kind: "phone",
  pattern: PHONE,
  replace: (match) => (isPhone(match) ? whole("phone") : null),
};
