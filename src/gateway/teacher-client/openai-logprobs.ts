import type { TokenLogprobAnswer as TokenLogprob } from "../../core/openai-chat.ts";

/**
 * The probability an OpenAI-style model gave its JSON answer's label, read from the token logprobs.
 *
 * Under a JSON-schema answer `{"label":"<label>"}` the structure is forced, so the model's only choice is
 * the label itself: p(label) is the product of the probabilities of the tokens that spell it, i.e.
 * exp(sum of their logprobs). Tokenisation differs between servers: the local teacher sends the label
 * as one token, a real LLM splits it ("sp" + "am") or merges it with quotes (`":"sp`). So the label's
 * characters are located inside the raw content and every token overlapping them is counted; tokens that
 * only carry structure (`{"`, `label`, `"}`) are not. Offsets are taken in UTF-8 bytes when every token
 * has `bytes` (a token may end inside a multi-byte character), else in UTF-16 code units of the token
 * strings. If the tokens do not spell the content, the logprobs cannot be placed and the answer has none.
 */
export interface LabelLogprobs {
  /** log p(label): the sum over the tokens carrying the label. */
  logprob: number;
  /** Full distribution over `labels` (in their order) when it can be read off, else null. */
  probs: number[] | null;
}

const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;

// The value of the "label" key: the characters between its quotes, escapes included.
const LABEL_VALUE = /"label"\s*:\s*"((?:[^"\\]|\\.)*)"/;

interface Span {
  start: number;
  end: number;
}

/** Where each token sits in the content, or null when the tokens do not spell it. */
function tokenSpans(
  content: string,
  tokens: readonly TokenLogprob[],
): { spans: Span[]; bytes: boolean } | null {
  const useBytes = tokens.every((t) => Array.isArray(t.bytes));
  const spans: Span[] = [];
  let at = 0;
  for (const t of tokens) {
    const length = useBytes ? t.bytes!.length : t.token.length;
    spans.push({ start: at, end: at + length });
    at += length;
  }
  if (useBytes) {
    const all = new Uint8Array(tokens.flatMap((t) => t.bytes!));
    const expected = encoder.encode(content);
    if (all.length !== expected.length || all.some((b, i) => b !== expected[i])) return null;
  } else if (tokens.map((t) => t.token).join("") !== content) return null;
  return { spans, bytes: useBytes };
}

/** Whole-label alternatives of the single token carrying the label, if they cover every label. */
function distribution(carrier: TokenLogprob, labels: readonly string[]): number[] | null {
  const byLabel = new Map<string, number>();
  for (const alt of carrier.top_logprobs ?? []) {
    let label: string;
    try {
      label = JSON.parse(`"${alt.token}"`);
    } catch {
      continue;
    }
    if (!byLabel.has(label)) byLabel.set(label, alt.logprob);
  }
  if (!labels.every((l) => byLabel.has(l))) return null;
  return labels.map((l) => Math.exp(byLabel.get(l)!));
}

export function labelLogprobs(
  content: string,
  tokens: readonly TokenLogprob[],
  labels: readonly string[],
): LabelLogprobs | null {
  const match = LABEL_VALUE.exec(content);
  if (!match || match[1] === "") return null;
  const placed = tokenSpans(content, tokens);
  if (!placed) return null;
  // match[0] ends with the closing quote; the value sits just before it.
  const valueEnd = match.index + match[0].length - 1;
  const valueStart = valueEnd - match[1]!.length;
  const start = placed.bytes ? byteLength(content.slice(0, valueStart)) : valueStart;
  const end = placed.bytes ? start + byteLength(match[1]!) : valueEnd;

  const carriers = tokens.filter((_, i) => placed.spans[i]!.start < end && placed.spans[i]!.end > start);
  if (carriers.length === 0) return null;
  const logprob = carriers.reduce((sum, t) => sum + t.logprob, 0);
  // Alternatives are whole labels only when one token is exactly the label.
  const single = carriers.length === 1 && carriers[0]!.token === match[1] ? carriers[0]! : null;
  return { logprob, probs: single ? distribution(single, labels) : null };
}
