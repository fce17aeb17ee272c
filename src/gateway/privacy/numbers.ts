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
  return digits.length > 0 && luhnPrefixEnd(digits, digits.length) === digits.length;
}

/**
 * Where the longest prefix of a digit run ends that holds at least `minDigits` digits, ends between
 * groups (before a " ", a "-" or the end) and passes Luhn; -1 if none. One pass: Luhn doubles every
 * second digit from the right, so which digits a prefix doubles depends only on its length's parity, and
 * running sums of the digits at even and odd positions, plain and doubled, answer for every prefix.
 */
function luhnPrefixEnd(run: string, minDigits: number): number {
  let plainEven = 0;
  let plainOdd = 0;
  let doubledEven = 0;
  let doubledOdd = 0;
  let digits = 0;
  let end = -1;
  for (let i = 0; i < run.length; i++) {
    const d = run.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue; // a group separator
    const doubled = d > 4 ? 2 * d - 9 : 2 * d;
    if (digits % 2 === 0) {
      plainEven += d;
      doubledEven += doubled;
    } else {
      plainOdd += d;
      doubledOdd += doubled;
    }
    digits++;
    if (digits < minDigits) continue;
    const next = run.charCodeAt(i + 1) - 48; // NaN past the end
    if (next >= 0 && next <= 9) continue; // inside a group
    // The last digit is kept, the one before it doubled: the other parity's digits are the doubled ones.
    const sum = digits % 2 === 1 ? plainEven + doubledOdd : plainOdd + doubledEven;
    if (sum % 10 === 0) end = i + 1;
  }
  return end;
}

// 13–19 digits, optionally grouped by single spaces or dashes; not part of a longer number or a decimal.
// Each repetition takes one digit and the separator before it, if any: one way to match a given text.
const CARD = /(?<![\p{L}\p{N}_+.,])[1-9](?:[ -]?\d){12,18}(?!\p{N})/gu;

export const card: RedactionRule = {
  kind: "card",
  pattern: CARD,
  replace(match) {
    // The regex is greedy: "4111 1111 1111 1111 100" (a card, then an amount) is one candidate. The card
    // is its longest prefix that ends between groups and passes Luhn.
    const end = luhnPrefixEnd(match, 13);
    if (end > 0) return { text: placeholder("card") + match.slice(end), count: 1 };
    return null;
  },
};

// Not glued to a word, a number, or the punctuation of ids and paths (#123, ORD-2024-…, /v1/…).
const START = String.raw`(?<![\p{L}\p{N}_#/.+-])`;
// Not followed by more digits, or by a separator and more digits of the same run.
const END = String.raw`(?![\p{N}]|[.-]\d)`;
// Between two digit groups of an international number: a separator, an opening parenthesis (after an
// optional separator) or a closing one (before an optional separator). Never empty and never a digit,
// so where one group ends and the next begins is fixed by the text: the engine has no way to split a run
// of digits in two, and no run of digits can be tried more than a bounded number of ways (each group is
// at most 15 digits). The former `(?:[ .-]?\(?\d{1,5}\)?){1,7}`, whose separators were optional, split
// "+" and 40 digits in exponentially many ways: a ReDoS any client could trigger (issue 12).
const GROUP_SEPARATOR = String.raw`(?:[ .-]?\(|\)[ .-]?|[ .-])`;
// "+44 20 7946 0958", "+1 (202) 555-0143", "+44 (0)20 7946 0958", "+442079460958", "0044 20 7946 0958",
// "00 33 1 23 45 67 89". After "00" the groups must be separated: "0012345678" is an id. How many
// digits a phone number has is isPhone's to check, on the bounded candidate.
// A "+" number is one unbroken run of 8+ digits or a shorter one followed by groups ("+1 " alone is
// no candidate: a text of them would be a candidate every three characters).
const GROUPS = (min: number) => String.raw`(?:${GROUP_SEPARATOR}\d{1,5}){${min},7}`;
const INTERNATIONAL = String.raw`(?:\+(?:\d{8,15}${GROUPS(0)}|\d{1,7}${GROUPS(1)})|00[ .-]?[1-9]\d{0,3}${GROUPS(1)})`;
// "(202) 555-0143", "202-555-0143", "202.555.0143", "1-800-555-0199".
const NORTH_AMERICAN = String.raw`(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}`;
// "020 7946 0958", "07700 900123", "01 23 45 67 89", "(030) 1234567", "0800-123-4567".
const TRUNK = String.raw`(?:\(0[1-9]\d{0,3}\)[ ]?\d{2,8}|0[1-9]\d{0,3}[ .-]\d{2,8})(?:[ .-]\d{2,8}){0,3}`;
const PHONE = new RegExp(`${START}(?:${INTERNATIONAL}|${NORTH_AMERICAN}|${TRUNK})${END}`, "gu");

// 01.02.2024 or 1-2-2024 at the start of a candidate: a date followed by another number. A four-digit
// year is required, so French numbers written with dots (01.23.45.67.89) stay phone numbers.
const DATE_LIKE = /^\(?\d{1,2}([./-])\d{1,2}\1\d{4}\b/;

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

function isPhone(candidate: string): boolean {
  const digits = digitCount(candidate);
  if (candidate.startsWith("+")) return digits >= 8 && digits <= 16; // E.164 + "(0)"
  if (candidate.startsWith("00")) return digits >= 10 && digits <= 17;
  if (DATE_LIKE.test(candidate)) return false;
  return digits >= 9 && digits <= 12;
}

export const phone: RedactionRule = {
  kind: "phone",
  pattern: PHONE,
  replace: (match) => (isPhone(match) ? whole("phone") : null),
};
