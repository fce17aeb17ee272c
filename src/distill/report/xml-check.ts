/**
 * A small XML well-formedness checker for the tests: tags balanced and properly nested, one root,
 * attributes quoted and unique, no raw `<` or stray `&` in text or attribute values. No DTDs — the
 * charts never use them — and no namespace checks. Enough to catch broken SVG without an XML dependency.
 */

const NAME = "[A-Za-z_:][-A-Za-z0-9_:.]*";
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
const START_TAG = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`, "y");
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "g");
const END_TAG = new RegExp(`</(${NAME})\\s*>`, "y");

/** Errors in `text` where only character data is allowed (text content or an attribute value). */
function checkCharData(text: string, where: string): string[] {
  const errors: string[] = [];
  if (text.includes("<")) errors.push(`raw "<" in ${where}`);
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(text)) errors.push(`bare "&" in ${where} at ${i}`);
  }
  return errors;
}

/** Returns the problems found; an empty list means well-formed (within the limits above). */
export function xmlErrors(xml: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  if (xml.startsWith("<?xml")) {
    const end = xml.indexOf("?>");
    if (end < 0) return ["unterminated XML declaration"];
    pos = end + 2;
  }
  while (pos < xml.length) {
    const lt = xml.indexOf("<", pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== "")
      errors.push(`text outside the root element: ${text.trim().slice(0, 20)}`);
    errors.push(...checkCharData(text, "text"));
    if (lt < 0) break;
    pos = lt;
    if (xml.startsWith("<!--", pos)) {
      const end = xml.indexOf("-->", pos + 4);
      if (end < 0) return [...errors, "unterminated comment"];
      if (xml.slice(pos + 4, end).includes("--")) errors.push("'--' inside a comment");
      pos = end + 3;
      continue;
    }
    END_TAG.lastIndex = pos;
    const end = END_TAG.exec(xml);
    if (end) {
      const open = stack.pop();
      if (open !== end[1]) errors.push(`</${end[1]}> closes <${open ?? "nothing"}>`);
      pos = END_TAG.lastIndex;
      continue;
    }
    START_TAG.lastIndex = pos;
    const start = START_TAG.exec(xml);
    if (!start) return [...errors, `malformed tag at ${pos}: ${xml.slice(pos, pos + 40)}`];
    const [, name, attrs = "", selfClosing] = start;
    if (stack.length === 0 && ++roots > 1) errors.push(`second root element <${name}>`);
    const seen = new Set<string>();
    for (const attr of attrs.matchAll(ATTRIBUTE)) {
      const attrName = attr[1]!;
      if (seen.has(attrName)) errors.push(`duplicate attribute ${attrName} on <${name}>`);
      seen.add(attrName);
      errors.push(...checkCharData(attr[2] ?? attr[3] ?? "", `attribute ${attrName} of <${name}>`));
    }
    if (!selfClosing) stack.push(name!);
    pos = START_TAG.lastIndex;
  }
  if (stack.length > 0) errors.push(`unclosed elements: ${stack.join(" > ")}`);
  if (roots === 0) errors.push("no root element");
  return errors;
}
