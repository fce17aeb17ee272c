import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * No reference to a file that does not exist: every relative link of the Markdown pages (and its
 * #anchor, when it points into a Markdown page), every repository path a page names in backticks, and
 * every repository path a code comment names.
 */

const ROOT = join(import.meta.dirname, "../..");
/** Not the project's own files: installed packages, build and run output, git. */
const SKIPPED_DIRS = new Set([
  "node_modules",
  ".git",
  ".wrangler",
  "dist",
  "coverage",
  "runs",
  "scratch",
  "tmp",
  "test-results",
  ".stryker-tmp",
  "reports",
]);
const CODE = /\.(ts|js|mjs|cjs|toml|sh)$|^\.ci\/run$/;
/** A path into the repository's own top folders, as prose names one: `src/gateway/cascade/`, `docs/api.md`. */
const REPO_PATH = /(?<![\w./@-])(?:src|docs|test|bench|migrations)\/[\w./-]*[\w/]/g;

/** A cited section: `docs/api.md "Errors"`, `README "Set-up"`. */
const SECTION_REF = /(?<![\w./-])((?:docs\/[\w-]+|README|BENCHMARKS)(?:\.md)?) "([^"\n]+)"/g;

function projectFiles(dir = ""): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : projectFiles(path);
    return entry.isFile() ? [path] : [];
  });
}

const files = projectFiles();
const exists = (path: string) => existsSync(join(ROOT, path));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** The comment text of a source line: whole-line comments, and what follows ` // ` on a code line. */
function commentOf(line: string): string {
  const trimmed = line.trim();
  if (/^(\/\/|\/\*|\*|#)/.test(trimmed)) return trimmed;
  const at = line.indexOf(" // ");
  return at >= 0 ? line.slice(at) : "";
}

function missingLinks(page: string): string[] {
  const markdown = readFileSync(join(ROOT, page), "utf8").replace(/^```[\s\S]*?^```/gm, "");
  const missing: string[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [path = "", anchor] = target.split("#");
    const file = path === "" ? page : normalize(join(dirname(page), path));
    if (!exists(file)) {
      missing.push(`${page}: ${target}`);
      continue;
    }
    if (anchor && file.endsWith(".md") && !anchorsOf(readFileSync(join(ROOT, file), "utf8")).has(anchor))
      missing.push(`${page}: ${target} (no such heading)`);
  }
  return missing;
}

/**
 * The repository paths named in `text`. A glob or brace pattern (`test/node/bench-fuzz*.test.ts`) is not
 * one path, and a bare `word/word` without an extension may be prose ("every src/href").
 */
function pathsIn(text: string): string[] {
  return [...text.matchAll(REPO_PATH)]
    .filter((m) => !/[*{]/.test(text.charAt(m.index + m[0].length)))
    .map((m) => m[0])
    .filter((path) => path.split("/").length > 2 || /\.\w+$/.test(path));
}

function missingPaths(file: string, text: string): string[] {
  return pathsIn(text)
    .filter((path) => !exists(path))
    .map((path) => `${file}: ${path}`);
}

describe("references inside the repository", () => {
  const pages = files.filter((f) => f.endsWith(".md"));

  it("finds the pages and sources it checks", () => {
    expect(pages).toContain("README.md");
    expect(pages).toContain("docs/architecture.md");
    expect(files.filter((f) => CODE.test(f)).length).toBeGreaterThan(100);
  });

  it("every relative link of a Markdown page points at a file (and heading) that exists", () => {
    expect(pages.flatMap(missingLinks)).toEqual([]);
  });

  it("every repository path a Markdown page names in backticks exists", () => {
    const missing = pages.flatMap((page) => {
      const markdown = readFileSync(join(ROOT, page), "utf8");
      const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!).join("\n");
      return missingPaths(page, spans);
    });
    expect(missing).toEqual([]);
  });

  it("every repository path a code comment names exists", () => {
    const missing = files
      .filter((f) => CODE.test(f))
      .flatMap((file) => {
        const comments = readFileSync(join(ROOT, file), "utf8").split("\n").map(commentOf).join("\n");
        return missingPaths(file, comments);
      });
    expect(missing).toEqual([]);
  });

  it('every section a comment or a page cites as `docs/api.md "Errors"` is a heading of that page', () => {
    const missing = files
      .filter((f) => CODE.test(f) || f.endsWith(".md"))
      .flatMap((file) => {
        const text = readFileSync(join(ROOT, file), "utf8");
        const prose = file.endsWith(".md") ? text : text.split("\n").map(commentOf).join("\n");
        return [...prose.matchAll(SECTION_REF)]
          .filter((m) => {
            const page = m[1]!.endsWith(".md") ? m[1]! : `${m[1]}.md`;
            return !exists(page) || !anchorsOf(readFileSync(join(ROOT, page), "utf8")).has(slug(m[2]!));
          })
          .map((m) => `${file}: ${m[0]}`);
      });
    expect(missing).toEqual([]);
  });

  it("every project page (README.md, BENCHMARKS.md…) a code comment or a page names is in the repository", () => {
    const names = new Set(files.map((f) => f.slice(f.lastIndexOf("/") + 1)));
    const unknown = files
      .filter((f) => CODE.test(f) || f.endsWith(".md"))
      .flatMap((file) => {
        const text = readFileSync(join(ROOT, file), "utf8");
        const prose = file.endsWith(".md") ? text : text.split("\n").map(commentOf).join("\n");
        return [...prose.matchAll(/(?<![\w./-])[A-Z][A-Z_-]*\.md\b/g)]
          .filter((m) => !names.has(m[0]))
          .map((m) => `${file}: ${m[0]}`);
      });
    expect(unknown).toEqual([]);
  });
});
