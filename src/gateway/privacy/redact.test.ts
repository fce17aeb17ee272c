import { describe, expect, it } from "vitest";
import { isIPv4, isIPv6 } from "./network.ts";
import { luhn } from "./numbers.ts";
import { forLog, forTeacher, modeFor, RedactionVar } from "./policy.ts";
import { redact, redactionForm } from "./redact.ts";
import { isSecretParam } from "./url.ts";

/**
 * Redaction on real-looking texts: what must go, and, as important, what must stay (a text that loses
 * its order number or its date is a worse training example, for nothing).
 */
const r = (text: string) => redact(text).text;

describe("e-mail addresses", () => {
  it.each([
    ["mail me at jane.doe+work@example.co.uk please", "mail me at [EMAIL] please"],
    ["From: J. Smith <j.smith@mail.example.org>", "From: J. Smith <[EMAIL]>"],
    ["contact: müller@beispiel.de.", "contact: [EMAIL]."],
    ["two: a@b.io, c_d@e-f.com", "two: [EMAIL], [EMAIL]"],
  ])("%s", (text, want) => expect(r(text)).toBe(want));

  it.each([
    "ssh root@localhost then sudo",
    "ping user@server from the box",
    "follow @openai and @cloudflare",
    "meet me @ 5pm",
    "price is 3@4.99 each",
  ])("not without a domain and TLD: %s", (text) => expect(r(text)).toBe(text));

  it("a domain label may hold a hyphen, but not start or end with one", () => {
    expect(r("write to ops@my-host.example.com")).toBe("write to [EMAIL]");
    for (const text of ["to a@-bad.com", "to a@bad-.example.com", "to a@ok.-bad.com", "to a@ok.bad-.com"])
      expect(r(text), text).toBe(text);
  });
});

describe("phone numbers", () => {
  it.each([
    ["call +44 20 7946 0958 now", "call [PHONE] now"],
    ["US: +1 (202) 555-0143.", "US: [PHONE]."],
    ["tel +44 (0)20 7946 0958", "tel [PHONE]"],
    ["whatsapp +4915112345678", "whatsapp [PHONE]"],
    ["from abroad 0044 20 7946 0958", "from abroad [PHONE]"],
    ["FR 00 33 1 23 45 67 89", "FR [PHONE]"],
    ["(202) 555-0143 or 202-555-0143 or 202.555.0143", "[PHONE] or [PHONE] or [PHONE]"],
    ["toll free 1-800-555-0199", "toll free [PHONE]"],
    ["my cell is 555-123-4567", "my cell is [PHONE]"],
    ["London 020 7946 0958, mobile 07700 900123", "London [PHONE], mobile [PHONE]"],
    ["Paris 01 23 45 67 89 ou 06.12.34.56.78", "Paris [PHONE] ou [PHONE]"],
    ["Berlin (030) 1234567 or 030 12345678", "Berlin [PHONE] or [PHONE]"],
    ["room 12 202-555-0143", "room 12 [PHONE]"],
  ])("%s", (text, want) => expect(r(text)).toBe(want));

  it.each([
    "where is order 2025550143", // a bare run of digits is an id as often as a phone number
    "order #123456789 has not arrived",
    "ref ORD-2024-000123 please",
    "born in 1987, moved in 2024",
    "it cost $1,234.56, or 1 234 567 € in total",
    "population 12 345 678 901",
    "meeting at 10:30 until 14:00:00",
    "on 2024-05-01 or 01.02.2024 12 people came",
    "due 12/05/2024 and 5/6/24",
    "call 911 or 112",
    "i have 3 kids and 2 dogs",
    "pin 1234, zip 94103, extension 4567",
    "isbn 978-3-16-148410-0",
    "score +3 2 1",
  ])("not: %s", (text) => expect(r(text)).toBe(text));

  // isPhone's digit counts, at both edges of each form: "+" 8–16, "00" 10–17, national 9–12.
  it.each([
    ["+12 345 678", "+12 345 67"],
    ["+1234 5678 9012 3456", "+1234 5678 9012 34567"],
    ["0033 123 456", "0033 123 45"],
    ["0033 12345 12345 123", "0033 1234 5678 9012 34"],
    ["020 794 609", "020 794 60"],
    ["020 7946 09581", "020 7946 095812"],
  ])("a phone number has as many digits as its form allows: %s, not %s", (phone, offByOne) => {
    expect(r(`call ${phone}`)).toBe("call [PHONE]");
    expect(r(`call ${offByOne}`)).toBe(`call ${offByOne}`);
  });

  it("every digit counts, the nines too", () => {
    expect(r("call +99 999 999, 0099 999 999 or 099 999 999")).toBe("call [PHONE], [PHONE] or [PHONE]");
  });
});

describe("payment card numbers (Luhn-checked)", () => {
  it.each([
    ["visa 4111 1111 1111 1111 exp 12/27", "visa [CARD] exp 12/27"],
    ["card 4111-1111-1111-1111", "card [CARD]"],
    ["card 5555555555554444.", "card [CARD]."],
    ["amex 3782 822463 10005", "amex [CARD]"],
    ["13 digits 4222222222222", "13 digits [CARD]"],
    // A card then an amount is one run of digit groups: the longest Luhn-valid prefix is the card.
    ["paid with 4111 1111 1111 1111 100 dollars", "paid with [CARD] 100 dollars"],
  ])("%s", (text, want) => expect(r(text)).toBe(want));

  it.each([
    "not a card 4111 1111 1111 1112", // fails Luhn
    "tracking 1234 5678 9012 3456",
    "order 1234567812345678",
    "a 20-digit id 12345678901234567890",
    "pi is 3.1415926535897932",
    // Luhn-invalid runs whose shorter prefixes pass it: one of 12 digits, ending between groups, and ones
    // of 13–15 digits ending inside a group (before a 2, a 0, a 9). A card is never cut out of a run.
    "ref 4242 4242 4242 4241",
    "ref 4242424242424241",
    "ref 4925946047314807",
    "ref 4818085485259986",
  ])("not: %s", (text) => expect(r(text)).toBe(text));

  it("a 9 is a digit like any other", () => {
    expect(r("card 4999 9999 9999 9996")).toBe("card [CARD]");
  });

  it("luhn", () => {
    expect(["4111111111111111", "378282246310005", "6011111111111117", "0"].map(luhn)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(["4111111111111112", "1234567812345678"].map(luhn)).toEqual([false, false]);
  });
});

describe("IP addresses", () => {
  it.each([
    ["server 192.168.1.1:8080 is down", "server [IP]:8080 is down"],
    ["from 10.0.0.255.", "from [IP]."],
    ["blocked 203.0.113.7, 198.51.100.23", "blocked [IP], [IP]"],
    ["v6 2001:db8::1 and ::1", "v6 [IP] and [IP]"],
    ["link-local fe80::1ff:fe23:4567:890a%eth0 ok", "link-local [IP] ok"],
    ["full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "full [IP]"],
    ["url [2001:db8:85a3::8a2e:370:7334]:443", "url [[IP]]:443"],
    ["mapped ::ffff:192.0.2.1 here", "mapped [IP] here"],
    ["fe80::1: unreachable", "[IP]: unreachable"],
  ])("%s", (text, want) => expect(r(text)).toBe(want));

  it.each([
    "not 256.1.1.1 or 1.2.3.4.5 or 01.02.03.04",
    // The version rule: a dotted quad after "version", "ver", "build", "release", "firmware" or glued to
    // a "v" is a version. Anywhere else it is an address, even if it was meant as a version.
    "upgrade to version 1.2.3.4 or v2.0.0.1, build 10.0.0.1, firmware: 3.1.0.2",
    "version 1.2.3 and 3.14 and 1,000,000",
    "at 12:30:45, std::vector, cafe::beef, mac 00:1a:2b:3c:4d:5e",
  ])("not: %s", (text) => expect(r(text)).toBe(text));

  it("an unmarked dotted quad is an address, even one meant as a version", () => {
    expect(r("update to 1.2.3.4 today")).toBe("update to [IP] today");
  });

  it("a trailing colon is left out only when the address is whole without it", () => {
    expect(r("see ::1: there")).toBe("see [IP]: there");
    // "1.2.3.456" is no IPv4 tail, and dropping the last character must not make it one.
    expect(r("v6 1:2:3:4:5:6:1.2.3.456 end")).toBe("v6 1:2:3:4:5:6:1.2.3.456 end");
  });

  it("validators", () => {
    expect(["0.0.0.0", "255.255.255.255"].every(isIPv4)).toBe(true);
    expect(["256.0.0.1", "1.2.3", "01.2.3.4"].some(isIPv4)).toBe(false);
    expect(
      ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "2001:db8::"].filter(isIPv6),
    ).toEqual(["::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "2001:db8::"]); // "::" alone has no digit
    // With "::" at most seven groups (an IPv4 tail counts two); without it exactly eight.
    expect(["1:2:3:4:5:6:7::", "1::1.2.3.4", "::1:2:3:4:5:1.2.3.4"].filter(isIPv6)).toHaveLength(3);
    expect(
      ["1:2:3:4::5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4", "::1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:8:"].some(isIPv6),
    ).toBe(false);
    expect(
      ["1:2:3:4:5:6:7", "1::2::3", "1:2::3:4:5:6::7:8", "12345::1", "1:2:3:4:5:6:7:8:9", "::1.2.3.256"].some(
        isIPv6,
      ),
    ).toBe(false);
  });
});

describe("secrets in URLs", () => {
  it.each([
    ["see https://user:hunter2@example.com/x", "see https://[SECRET]@example.com/x"],
    ["clone https://ghp_abc123def456@github.com/o/r.git", "clone https://[SECRET]@github.com/o/r.git"],
    [
      "https://api.example.com/v1?token=abc123&page=2&api_key=XYZ#access_token=zzz",
      "https://api.example.com/v1?token=[SECRET]&page=2&api_key=[SECRET]#access_token=[SECRET]",
    ],
    [
      "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=dead&monkey=1&keyword=shoes",
      "https://b.s3.amazonaws.com/k?X-Amz-Credential=[SECRET]&X-Amz-Signature=[SECRET]&monkey=1&keyword=shoes",
    ],
    ["reset: https://x.io/r?password=p%40ss&sig=abc", "reset: https://x.io/r?password=[SECRET]&sig=[SECRET]"],
    ["admin http://192.168.0.1/login?auth=xyz", "admin http://[IP]/login?auth=[SECRET]"],
  ])("%s", (text, want) => expect(r(text)).toBe(want));

  it.each([
    "docs at https://example.com/guide?page=2&lang=en#install",
    "https://shop.example.com/search?keyword=token+ring&sort_by=price",
    "mailto-less text: go to example.com/?token=abc (no scheme, not a URL)",
  ])("not: %s", (text) => expect(r(text)).toBe(text));

  it("names like credentials, by whole word", () => {
    const yes = [
      "token",
      "api_key",
      "apiKey",
      "access_token",
      "accessToken",
      "client_secret",
      "X-Amz-Signature",
    ];
    const no = ["monkey", "keyword", "passage", "tokens_left", "signal", "author"];
    expect(yes.filter(isSecretParam)).toEqual(yes);
    expect(no.filter(isSecretParam)).toEqual([]);
  });

  it("names written as one word that are credentials as a whole", () => {
    const oneWord = ["accesstoken", "refreshtoken", "idtoken", "clientsecret", "sessionkey", "ClientSecret"];
    expect(oneWord.filter(isSecretParam)).toEqual(oneWord);
    expect(isSecretParam("clientname")).toBe(false);
  });

  it("counts only what it hides", () => {
    expect(redact("see https://u:p@x.io")).toEqual({
      text: "see https://[SECRET]@x.io",
      redactions: { secret: 1 },
    });
    // An empty value hides nothing; a value already redacted is not counted twice; nor is a URL without secrets.
    for (const text of [
      "see https://x.io/?token=&page=1",
      "see https://x.io/?token=[SECRET]",
      "docs https://x.io/?page=2",
    ])
      expect(redact(text), text).toEqual({ text, redactions: {} });
  });

  it("a name that is not valid percent-encoding is read as written", () => {
    expect(r("see https://x.io/?bad%zz=1&pass%word=2&token=3")).toBe(
      "see https://x.io/?bad%zz=1&pass%word=2&token=[SECRET]",
    );
  });

  it("splits camelCase names into words", () => {
    expect(["userPassword", "uploadSig", "xAuth"].filter(isSecretParam)).toEqual([
      "userPassword",
      "uploadSig",
      "xAuth",
    ]);
  });

  it("leaves an empty userinfo alone, and redacts the last @ of the authority only", () => {
    expect(r("see https://@example.com/x")).toBe("see https://@example.com/x");
    expect(r("open file:///tmp/a@b/c")).toBe("open file:///tmp/a@b/c"); // an empty authority has no userinfo
    expect(r("see https://a@b@example.com/x?q=1")).toBe("see https://[SECRET]@example.com/x?q=1");
    expect(r("see https://example.com/x?to=a@b.io")).toBe("see https://example.com/x?to=[EMAIL]");
  });
});

describe("counts and policy", () => {
  it("counts what was removed, per kind", () => {
    const text =
      "I'm jo@example.com, +44 20 7946 0958 / 020 7946 0958, card 4111 1111 1111 1111, " +
      "host 10.1.2.3, see https://u:p@x.io/?key=1";
    expect(redact(text)).toEqual({
      text: "I'm [EMAIL], [PHONE] / [PHONE], card [CARD], host [IP], see https://[SECRET]@x.io/?key=[SECRET]",
      redactions: { secret: 2, email: 1, ip: 1, card: 1, phone: 2 },
    });
    expect(redact("nothing personal, order 12345 on 2024-05-01")).toEqual({
      text: "nothing personal, order 12345 on 2024-05-01",
      redactions: {},
    });
  });

  it("modes: log (default), log+teacher, off; per model with a '*' fallback", () => {
    const policy = RedactionVar.parse('{"sms-spam": "off", "*": "log+teacher"}');
    expect(modeFor(policy, "sms-spam")).toBe("off");
    expect(modeFor(policy, "clinc150")).toBe("log+teacher");
    expect(modeFor({}, "clinc150")).toBe("log");
    const text = "mail a@b.io";
    expect(forLog(text, "log")).toEqual({ text: "mail [EMAIL]", redactions: { email: 1 } });
    expect(forLog(text, "off")).toEqual({ text, redactions: {} });
    expect(forTeacher(text, "log")).toBe(text);
    expect(forTeacher(text, "log+teacher")).toBe("mail [EMAIL]");
    expect(RedactionVar.safeParse("{oops").success).toBe(false);
    expect(RedactionVar.safeParse('{"m": "always"}').success).toBe(false);
  });

  it("REDACTION: bad JSON is refused with an example; a TOML table is taken as it is", () => {
    const bad = RedactionVar.safeParse("{oops");
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      'must be a JSON object such as {"clinc150": "log+teacher"}',
    ]);
    expect(RedactionVar.parse({ clinc150: "off" })).toEqual({ clinc150: "off" });
    expect(RedactionVar.parse('{"clinc150": "off"}')).toEqual({ clinc150: "off" });
    expect(RedactionVar.safeParse("[]").success).toBe(false);
  });

  // Wall-clock, so skipped by mutation runs (their instrumentation slows every branch).
  it.skipIf(process.env.APPRENTICE_MUTATION_RUN === "1")("stays fast on long and adversarial texts", () => {
    const texts = [
      "a".repeat(4000),
      "1".repeat(4000),
      "+1 ".repeat(1300),
      `${"x.".repeat(2000)}@`,
      "1:".repeat(2000),
      `https://${"a".repeat(3990)}`,
      "0 ".repeat(2000),
    ];
    const started = performance.now();
    for (const t of texts) redact(t);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("Unicode forms of personal data (redacted in the NFKC form the models see)", () => {
  it.each([
    ["full-width digits", "call ＋４４ ２０ ７９４６ ０９５８ now", "call [PHONE] now"],
    ["full-width card", "card ４１１１ １１１１ １１１１ １１１１", "card [CARD]"],
    ["full-width @", "mail jane.doe＠example.com", "mail [EMAIL]"],
    ["full-width address", "mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "mail [EMAIL]"],
    ["no-break spaces in a card", "card 4111\u00A01111\u00A01111\u00A01111", "card [CARD]"],
    ["thin spaces in a card", "card 4111\u20091111\u20091111\u20091111", "card [CARD]"],
    ["narrow no-break spaces in a phone", "call +44\u202F20\u202F7946\u202F0958", "call [PHONE]"],
    ["no-break spaces in a phone", "call 020\u00A07946\u00A00958", "call [PHONE]"],
    ["zero-width space in an address", "mail jane\u200B.doe@example\u200B.com", "mail [EMAIL]"],
    ["zero-width (non-)joiners in an address", "mail ja\u200Cne@exa\u200Dmple.com", "mail [EMAIL]"],
    ["word joiner and BOM in an address", "mail jane\u2060@example.co\uFEFFm", "mail [EMAIL]"],
    ["zero-width space in a card", "card 4111\u200B1111 1111 1111", "card [CARD]"],
  ])("%s", (_, text, want) => expect(r(text)).toBe(want));

  it("the text left is in that form too, and redaction is idempotent on it", () => {
    expect(redactionForm("Ｃａｆé\u00A0ok\u200B!")).toBe("Café ok!");
    const once = r("mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ, call ＋４４ ２０ ７９４６ ０９５８");
    expect(r(once)).toBe(once);
  });

  it('"log+teacher" sends the teacher the redacted form', () => {
    expect(forTeacher("mail jane\u200B@example.com or ＋４４ ２０ ７９４６ ０９５８", "log+teacher")).toBe(
      "mail [EMAIL] or [PHONE]",
    );
  });
});

/**
 * Redaction is linear in the text: the worst inputs found (issue 12: "+" and thousands of digits
 * backtracked for seconds) cost about what ordinary prose of the same length costs. Measured as a ratio
 * in one run: the two texts alternate, each pair gives a ratio, and the median of the pairs' ratios is
 * the figure, so a busy machine (other test files run in parallel) slows both sides of a pair alike.
 */
// Mutation runs (vitest.mutation.config.ts) instrument every branch with counters, which skews a ratio.
describe.skipIf(process.env.APPRENTICE_MUTATION_RUN === "1")("redaction cost on adversarial texts", () => {
  const LENGTH = 10_000;
  const fill = (unit: string) => unit.repeat(Math.ceil(LENGTH / unit.length)).slice(0, LENGTH);
  const prose = fill(
    "Hi, I ordered a blue jacket on 2024-05-01 (order 12345) and it still has not arrived. Could you check? ",
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cost = (text: string): number => {
    const started = performance.now();
    redact(text);
    return performance.now() - started;
  };
  /** The median over alternating pairs of the cost of `text` over the cost of prose of its length. */
  const ratio = (text: string): number => {
    const ratios: number[] = [];
    for (let pair = 0; pair < 31; pair++) {
      const normal = cost(prose);
      ratios.push(cost(text) / normal);
    }
    return median(ratios);
  };

  it.each([
    ["+ and 40 digits", `+${"1".repeat(40)}`],
    ["+ and 10,000 digits", `+${"1".repeat(LENGTH - 1)}`],
    ["+ and 40 digits, repeated", fill(`+${"1".repeat(40)} `)],
    ["+ and full-width digits", `+${"１".repeat(LENGTH - 1)}`],
    ["digits", "1".repeat(LENGTH)],
    ["digits and spaces", fill("1 ")],
    ["digits and dashes", fill("1-")],
    ["digits and dots", fill("1.")],
    ["digits and colons", fill("1:")],
    ["digits in parentheses", fill("(1)")],
    ["+1 and a parenthesis", fill("+1(")],
    ["+1 and a space", fill("+1 ")],
    ["digits and no-break spaces", fill("4\u00A0")],
    ["@", "@".repeat(LENGTH)],
    ["a@", fill("a@")],
    ["dots, then @", `${fill("x.").slice(1)}@`],
    ["an address with a domain of dots", `a@${fill("b.").slice(2)}`],
    ["a URL without an end", `https://${"a".repeat(LENGTH - 8)}`],
    ["an IPv6 zone without an end", `1::1%${"a".repeat(LENGTH - 6)}:`],
  ])("%s: within 3x of prose", (_, text) => {
    ratio(text.slice(0, 1000)); // warm-up: the regexes compiled, the JIT settled
    expect(ratio(text.slice(0, 40 + LENGTH))).toBeLessThan(3);
  });
});
