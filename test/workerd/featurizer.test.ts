import { describe, expect, it } from "vitest";
import { featurize } from "../../src/core/featurizer.ts";
import golden from "../fixtures/featurizer-golden.json";
import { FEATURIZER_CASES, GOLDEN_CONFIG } from "../helpers/featurizer-cases.ts";

/**
 * The Worker must featurise exactly as the toolkit trained. The same ids are frozen in
 * test/fixtures/featurizer-golden.json and checked in Node by src/core/featurizer.test.ts; equal ids
 * here prove Node and workerd (their ICU normalisation and case mapping included) agree.
 */
describe("featuriser in workerd matches the frozen Node ids", () => {
  it("runs inside workerd", () => {
    // Guards against this file being picked up by the Node pool, where the comparison proves nothing new.
    expect(typeof navigator !== "undefined" && navigator.userAgent).toBe("Cloudflare-Workers");
  });

  it("the fixture holds exactly the shared cases under the shared config", () => {
    expect(golden.config).toEqual(GOLDEN_CONFIG);
    expect(golden.cases.map((c) => c.name)).toEqual(FEATURIZER_CASES.map((c) => c.name));
  });

  it.each(FEATURIZER_CASES.map((c, i) => [c.name, c.text, golden.cases[i]?.ids] as const))(
    "%s",
    (_name, text, expected) => {
      expect(Array.from(featurize(text, GOLDEN_CONFIG))).toEqual(expected);
    },
  );
});
