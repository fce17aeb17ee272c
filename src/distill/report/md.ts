/** Markdown building blocks; labels come from data sets, so every piece of data text is escaped. */

/**
 * Escapes text for inline markdown and table cells: backslash-escapes the punctuation CommonMark and GFM
 * give meaning to inside a line (a label like `a|b` would otherwise split a table cell, `<x>` become HTML,
 * `*x*` emphasis) and folds line breaks, which would end a table row. Data text never starts a line here,
 * so line-start syntax (`#`, `-`, `1.`) needs no escaping.
 */
export function mdText(value: string): string {
  return value
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/[\\`*_[\]<>|~&]/g, (ch) => `\\${ch}`)
    .trim();
}

/**
 * Data identifiers (class labels, score kinds) as inline code: they read unescaped in the raw file and
 * nothing in them is interpreted. The fence outgrows any backtick run inside. In a table `|` must still be
 * escaped, because GFM splits cells before it parses code spans; in prose the backslash would show.
 */
export function mdCode(value: string, inTable = true): string {
  const oneLine = value.replace(/\r\n|\r|\n/g, " ");
  const flat = inTable ? oneLine.replace(/\|/g, "\\|") : oneLine;
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  // A space on each side keeps a leading or trailing backtick from merging with the fence.
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

export type Align = "left" | "right";

/** A GFM table; cells are taken as already escaped markdown so callers can mix in emphasis. */
export function mdTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const rule = header.map((_, i) => (align[i] === "right" ? "---:" : "---"));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function mdImage(alt: string, path: string): string {
  // Paths are ours (report/*.svg); encodeURI guards against spaces should one ever appear.
  return `![${mdText(alt)}](${encodeURI(path)})`;
}
