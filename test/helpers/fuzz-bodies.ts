import fc from "fast-check";

/**
 * Generated POST /v1/classify bodies, one definition for the workerd fuzz test (in-process, a few
 * thousand runs) and `npm run bench:fuzz` (over HTTP against a running stack): random JSON values and
 * strings, near-valid bodies with wrong types, missing or extra keys, bad options and oversize texts,
 * schema-valid bodies, oversize bodies and content-type variants.
 */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

/** The models the gateway ships: a schema-valid body naming one of them must be answered. */
export const SERVED_MODELS: ReadonlySet<string> = new Set(["clinc150", "sms-spam"]);

const optional = { requiredKeys: [] as [] };

const whitespace = fc.string({
  unit: fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u3000", "\u2028"),
  maxLength: 5,
});
const textish = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: whitespace },
  { weight: 1, arbitrary: fc.constant("a".repeat(4001)) },
  { weight: 1, arbitrary: fc.constant("b".repeat(4000)) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const options = fc.oneof(
  fc.record(
    {
      threshold: fc.oneof(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.jsonValue({ maxDepth: 1 })),
      teacher: fc.oneof(
        fc.constantFrom("auto", "never", "always", "sometimes"),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      explain: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
      verbose: fc.boolean(),
    },
    optional,
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const model = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("clinc150", "sms-spam") },
  { weight: 1, arbitrary: fc.constantFrom("nope", "") },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const texts = fc.oneof(
  fc.array(textish, { maxLength: 8 }),
  fc.array(fc.constantFrom("hi", "you have won", "book a flight"), { minLength: 60, maxLength: 70 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Mostly one of text/texts (the valid shapes, with wrong types inside), sometimes both or neither. */
export const nearValidClassify = fc.oneof(
  { weight: 4, arbitrary: fc.record({ text: textish, model, options }, { requiredKeys: ["text"] }) },
  { weight: 4, arbitrary: fc.record({ texts, model, options }, { requiredKeys: ["texts"] }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { model, text: textish, texts, options, extra: fc.jsonValue({ maxDepth: 1 }) },
      optional,
    ),
  },
);

/** Bodies the schema accepts: every text non-blank, every option in range (200, or 404 for "nope"). */
const nonBlank = fc.string({ minLength: 1, maxLength: 60 }).filter((t) => /\S/.test(t));
const validOptions = fc.record(
  {
    threshold: fc.double({ min: 0, max: 1, noNaN: true }),
    teacher: fc.constantFrom("auto", "never", "always"),
    explain: fc.boolean(),
  },
  optional,
);
// "nope" keeps the schema-valid but unknown-model case (404) common enough to be seen on every run.
const someModel = fc.constantFrom("clinc150", "sms-spam", "nope");
export const validClassify = fc.oneof(
  fc.record({ text: nonBlank, model: someModel, options: validOptions }, { requiredKeys: ["text"] }),
  fc.record(
    { texts: fc.array(nonBlank, { minLength: 1, maxLength: 64 }), model: someModel, options: validOptions },
    { requiredKeys: ["texts"] },
  ),
);

/** A raw body and the content type it is sent with ("" sends none). */
export interface RawBody {
  body: string;
  type: string;
}

const asJson = (b: unknown): RawBody => ({ body: JSON.stringify(b) ?? "null", type: "application/json" });

/** Every kind of body above, weighted towards the near-valid ones. */
export function classifyRequests(maxBodyBytes = DEFAULT_MAX_BODY_BYTES): fc.Arbitrary<RawBody> {
  const oversize = fc
    .integer({ min: maxBodyBytes, max: 2 * maxBodyBytes })
    .map((n) => ({ text: "a ".repeat(n / 2) }));
  return fc.oneof(
    { weight: 6, arbitrary: nearValidClassify.map(asJson) },
    { weight: 3, arbitrary: validClassify.map(asJson) },
    { weight: 1, arbitrary: oversize.map(asJson) },
    { weight: 2, arbitrary: fc.jsonValue().map(asJson) },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 200 }).map((body) => ({ body, type: "application/json" })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          nearValidClassify,
          fc.constantFrom(
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
          ),
        )
        .map(([b, type]) => ({ body: JSON.stringify(b), type })),
    },
  );
}
