/**
 * Finds places in JSON text. JSON.parse in Node 20 often reports a syntax error without any
 * position, and a schema error only knows the path (`train[812][1]`); both must become a line number
 * for the user. This is a small strict JSON scanner, run only after something has gone wrong.
 */

export type JsonPath = readonly (string | number)[];

/** A syntax fault at a character offset. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings; excluding them is the point.
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Scans the whole text as strict JSON. Returns the offset where the value at `target` starts
 * (null if there is none); throws JsonSyntaxError at the first fault.
 */
export function locateJson(text: string, target: JsonPath = []): number | null {
  let pos = 0;
  let found: number | null = null;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(pos, message);
  };
  const skipWs = () => {
    while (pos < text.length && " \t\n\r".includes(text[pos]!)) pos++;
  };
  const expect = (c: string, what: string) => {
    skipWs();
    if (text[pos] !== c)
      fail(pos >= text.length ? `unexpected end of JSON, expected ${what}` : `expected ${what}`);
    pos++;
  };
  const readString = (): string => {
    const start = pos;
    pos++; // opening quote
    STRING_BODY.lastIndex = pos;
    if (!STRING_BODY.test(text)) fail("unterminated string or bad escape");
    pos = STRING_BODY.lastIndex;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const object = (depth: number, onPath: boolean) => {
    pos++; // "{"
    skipWs();
    if (text[pos] === "}") {
      pos++;
      return;
    }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') fail("expected a property name in double quotes");
      const key = readString();
      expect(":", "':' after a property name");
      value(depth + 1, onPath && target[depth] === key);
      skipWs();
      if (text[pos] !== ",") break;
      pos++;
    }
    expect("}", "',' or '}' after a property value");
  };
  const array = (depth: number, onPath: boolean) => {
    pos++; // "["
    skipWs();
    if (text[pos] === "]") {
      pos++;
      return;
    }
    for (let index = 0; ; index++) {
      value(depth + 1, onPath && target[depth] === index);
      skipWs();
      if (text[pos] !== ",") break;
      pos++;
    }
    expect("]", "',' or ']' after an array element");
  };
  const scalar = () => {
    if (text[pos] === '"') {
      readString();
      return;
    }
    const literal = ["true", "false", "null"].find((word) => text.startsWith(word, pos));
    if (literal !== undefined) {
      pos += literal.length;
      return;
    }
    NUMBER.lastIndex = pos;
    if (!NUMBER.test(text)) {
      fail(
        pos >= text.length ? "unexpected end of JSON" : `unexpected character ${JSON.stringify(text[pos])}`,
      );
    }
    pos = NUMBER.lastIndex;
  };
  // `depth` is how many steps into the document we are; `onPath` says whether every step so far
  // matched `target`, so the value where both line up is the one asked for.
  function value(depth: number, onPath: boolean): void {
    skipWs();
    if (onPath && depth === target.length && found === null) found = pos;
    if (text[pos] === "{") object(depth, onPath);
    else if (text[pos] === "[") array(depth, onPath);
    else scalar();
  }

  value(0, true);
  skipWs();
  if (pos < text.length) fail("unexpected text after the JSON value");
  return found;
}
