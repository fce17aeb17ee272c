import fc from "fast-check";
import type { BodySpec } from "./case.ts";

/**
 * Hostile building blocks shared by every endpoint's generator: strings that break naive code (prototype
 * keys, path tricks, percent-encoding junk, lone surrogates, very long), path segments and query strings
 * made from them, and the hostile bodies: content-type lies, bodies over the size limit (with and
 * without Content-Length), invalid UTF-8, deep nesting, prototype-pollution keys, truncated JSON.
 */
const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

export const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      " ",
      ...PROTO_KEYS,
      "..",
      "../..",
      "null",
      "undefined",
      "NaN",
      "-1",
      "0",
      "1e309",
      "9".repeat(400),
      "\u0000",
      "\ud800",
      "\u202e",
      "<script>alert(1)</script>",
      "'; DROP TABLE hard_examples; --",
      "1.0.0",
      "clinc150",
      "a".repeat(3000),
      // Issue 12: redaction's worst inputs, and personal data in the forms redaction once missed.
      `+${"1".repeat(5000)}`,
      "1-".repeat(2000),
      `${"x.".repeat(2000)}@`,
      "call ＋４４ ２０ ７９４６ ０９５８, card 4111\u00A01111\u20091111\u202F1111",
      "mail jane\u200B.doe＠example\u2060.com",
    ),
  },
);

/** UTF-8 bytes of a string (lone surrogates become U+FFFD), every byte but the unreserved ones escaped. */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Raw fragments a client may send unescaped: malformed escapes, encoded slashes and dots, NULs. */
const RAW_JUNK = ["%", "%zz", "%00", "%ff", "%c0%af", "%ED%A0%80", "..%2f..%2f", "%2e%2e", ";a=b", "%25"];

/** A path segment: one of `valid` most of the time, else something hostile. */
export function segment(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid) },
    { weight: 3, arbitrary: nastyString.map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_JUNK) },
  );
}

/** A query string ("" or "?…") over the endpoint's own parameters (with plausible values) and junk ones. */
export function queryString(params: Readonly<Record<string, readonly string[]>>): fc.Arbitrary<string> {
  const names = Object.keys(params);
  const known =
    names.length > 0
      ? fc
          .constantFrom(...names)
          .chain((name) =>
            fc.tuple(
              fc.constant(name),
              fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom(...(params[name] ?? [""])) },
                { weight: 2, arbitrary: nastyString },
              ),
            ),
          )
      : fc.tuple(nastyString, nastyString);
  const pair = fc.oneof(
    { weight: 4, arbitrary: known.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(nastyString, nastyString)
        .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_JUNK, "=", "&", "a", "=x", "limit", "limit=") },
  );
  return fc.array(pair, { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? "" : `?${pairs.join("&")}`));
}

/** A generated body with the content type it is sent under ("" sends none) and whether it is streamed. */
export interface BodyCase {
  body: BodySpec;
  type: string;
  chunked: boolean;
}

const text = (t: string): BodySpec => ({ kind: "text", text: t });

/** The JSON text of `base` with extra keys spliced in as own properties (JSON.stringify would drop __proto__). */
export function withKeys(base: unknown, extra: readonly [string, unknown][]): string {
  const json = JSON.stringify(base) ?? "null";
  if (!json.startsWith("{") || extra.length === 0) return json;
  const inserted = extra.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",");
  return json === "{}" ? `{${inserted}}` : `{${inserted},${json.slice(1)}`;
}

const LIES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonp",
  "application/json-patch+json",
  "application/xml",
  "",
  "application/json; charset=utf-16",
  'APPLICATION/JSON; charset="utf-8"',
  "application/json, text/plain",
];

/** Bytes that are not UTF-8: stray continuation bytes, overlongs, surrogates, out-of-range lead bytes. */
const BAD_UTF8 = [
  "ff",
  "fe",
  "c0af",
  "c1bf",
  "80",
  "ed a080",
  "eda080edb080",
  "f4908080",
  "f8888080",
  "e282",
];

/**
 * Bodies for a JSON endpoint: mostly `valid` (the endpoint's own near-valid values) as JSON, the rest the
 * hostile kinds. `maxBodyBytes` is the limit the endpoint enforces.
 */
export function hostileBodies(valid: fc.Arbitrary<unknown>, maxBodyBytes: number): fc.Arbitrary<BodyCase> {
  const json = (b: unknown) => ({
    body: text(JSON.stringify(b) ?? "null"),
    type: "application/json",
    chunked: false,
  });
  const oversize = fc
    .record({
      times: fc.integer({ min: maxBodyBytes + 1, max: 3 * maxBodyBytes }),
      unit: fc.constantFrom("a", " ", "é"),
      chunked: fc.boolean(),
    })
    .map(({ times, unit, chunked }) => ({
      body: { kind: "repeat", prefix: '{"text":"', unit, times, suffix: '"}' } as BodySpec,
      type: "application/json",
      chunked,
    }));
  const badUtf8 = fc
    .tuple(fc.constantFrom(...BAD_UTF8), fc.constantFrom('{"text":"', '{"model":"', '["', ""), fc.boolean())
    .map(([bad, open, chunked]) => {
      const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
      const close = open === "" ? "" : open.startsWith("[") ? '"]' : '"}';
      return {
        body: { kind: "bytes", hex: `${hex(open)}${bad.replace(/\s/g, "")}${hex(close)}` } as BodySpec,
        type: "application/json",
        chunked,
      };
    });
  const nested = fc
    .record({
      depth: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1000, max: 40_000 })),
      open: fc.constantFrom("[", '{"a":', '{"text":'),
      where: fc.constantFrom("top", "options", "texts"),
    })
    .map(({ depth, open, where }) => {
      const close = open === "[" ? "]" : "}";
      const [prefix, suffix] =
        where === "top"
          ? ["", ""]
          : where === "options"
            ? ['{"text":"hi","options":', "}"]
            : ['{"texts":', "}"];
      return {
        body: {
          kind: "repeat",
          prefix: `${prefix}`,
          unit: open,
          times: depth,
          suffix: `1${close.repeat(depth)}${suffix}`,
        } as BodySpec,
        type: "application/json",
        chunked: false,
      };
    });
  const proto = fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 })), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([base, extra]) => ({
      body: text(withKeys(base, extra)),
      type: "application/json",
      chunked: false,
    }));
  const broken = fc
    .tuple(valid, fc.nat())
    .map(([base, cut]) => {
      const whole = JSON.stringify(base) ?? "null";
      return whole.slice(0, cut % (whole.length + 1));
    })
    .chain((t) => fc.constantFrom(t, `\ufeff${t}`, `${t}\u0000`, `${t},`))
    .map((t) => ({ body: text(t), type: "application/json", chunked: false }));
  return fc.oneof(
    { weight: 10, arbitrary: valid.map(json) },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, fc.constantFrom(...LIES)).map(([b, type]) => ({ ...json(b), type })),
    },
    { weight: 1, arbitrary: oversize },
    { weight: 1, arbitrary: badUtf8 },
    { weight: 1, arbitrary: nested },
    { weight: 2, arbitrary: proto },
    { weight: 1, arbitrary: broken },
  );
}
