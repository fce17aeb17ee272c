import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/gateway/errors.ts";

/**
 * The error codes a client can rely on: docs/api.md's table, the ERROR_CODES list that ApiError accepts,
 * and the codes the gateway's source actually sends must be one and the same set, with the same statuses.
 */

const ROOT = join(import.meta.dirname, "../..");
const API_DOC = "docs/api.md";

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .map((path) => join(dir, path))
    .filter(keep);
}

/** code → statuses, from the rows `| \`code\` | 404, 500 | meaning |` of the "## Errors" table. */
function documentedCodes(markdown: string): Map<string, Set<number>> {
  const start = markdown.indexOf("\n## Errors");
  if (start < 0) throw new Error(`${API_DOC} has no "## Errors" section`);
  const next = markdown.indexOf("\n## ", start + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const codes = new Map<string, Set<number>>();
  for (const row of section.matchAll(/^\| `([a-z_]+)` \| ([\d, ]+) \|/gm)) {
    const statuses = row[2]!.split(",").map((s) => Number(s.trim()));
    codes.set(row[1]!, new Set(statuses));
  }
  return codes;
}

/**
 * code → statuses the gateway sends it with: every `new ApiError(status, "code"`, the json-errors
 * middleware's `render(c, status, "code"` and its status → code table (`413: "payload_too_large",`).
 */
function sentCodes(): Map<string, Set<number>> {
  const sent = new Map<string, Set<number>>();
  const add = (status: string, code: string) => {
    const statuses = sent.get(code) ?? new Set<number>();
    statuses.add(Number(status));
    sent.set(code, statuses);
  };
  const sources = filesUnder("src/gateway", (p) => p.endsWith(".ts") && !p.endsWith(".test.ts"));
  for (const path of sources) {
    const source = readFileSync(join(ROOT, path), "utf8");
    for (const m of source.matchAll(/(?:new ApiError\(\s*|render\(c,\s*)(\d{3}),\s*"([a-z_]+)"/g))
      add(m[1]!, m[2]!);
    for (const m of source.matchAll(/^\s*(\d{3}): "([a-z_]+)",$/gm)) add(m[1]!, m[2]!);
  }
  return sent;
}

const sorted = (codes: Iterable<string>) => [...codes].sort();
const byCode = (codes: Map<string, Set<number>>) =>
  Object.fromEntries(sorted(codes.keys()).map((code) => [code, [...codes.get(code)!].sort()]));

describe("error codes", () => {
  const documented = documentedCodes(readFileSync(join(ROOT, API_DOC), "utf8"));
  const sent = sentCodes();

  it("docs/api.md documents exactly the codes of ERROR_CODES", () => {
    expect(sorted(documented.keys())).toEqual(sorted(ERROR_CODES));
  });

  it("the gateway sends every code of ERROR_CODES and no other", () => {
    expect(sorted(sent.keys())).toEqual(sorted(ERROR_CODES));
  });

  it("each code is documented with the statuses the gateway sends it with", () => {
    expect(byCode(documented)).toEqual(byCode(sent));
  });

  it("every `status `code`` written in the README and docs/ is a code the gateway sends with that status", () => {
    const pages = ["README.md", ...filesUnder("docs", (p) => p.endsWith(".md"))];
    const wrong: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(ROOT, page), "utf8");
      // "404 `model_not_found`", "a 400 (`invalid_json`, `invalid_request`)", "503 `admin_disabled`".
      for (const m of text.matchAll(/\b([45]\d\d) \(?`([a-z_]+)`/g)) {
        if (!sent.get(m[2]!)?.has(Number(m[1]))) wrong.push(`${page}: ${m[1]} ${m[2]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
