import type { TokenLogprobAnswer as TokenLogprob } from "../../core/openai-chat.ts";

/**
 * The probability an OpenAI-style model gave its JSON answer's label, read from the token logprobs,
 * and its distribution over the label set, read from the alternatives (`top_logprobs`).
 *
 * Under a JSON-schema answer `{"label":"<label>"}` the structure is forced, so the model's only choice is
 * the label itself: p(label) is the product of the probabilities of the tokens that spell it, i.e.
 * exp(sum of their logprobs). Tokenisation differs between servers: the local teacher sends the label
 * as one token, a real LLM splits it ("sp" + "am") or merges it with quotes (`":"sp`). So the label's
 * characters are located inside the raw content and every token overlapping them is counted; tokens that
 * only carry structure (`{"`, `label`, `"}`) are not. Offsets are taken in UTF-8 bytes when every token
 * has `bytes` (a token may end inside a multi-byte character), else in UTF-16 code units of the token
 * strings. If the tokens do not spell the content, the logprobs cannot be placed and the answer has none.
 *
 * The distribution comes from the alternatives of the first token carrying the label: each is the
 * start of one or more labels (a whole label under the local teacher's convention, a prefix under a
 * real tokeniser), and its mass goes to them — see `distribution`.
 */
export interface LabelLogprobs {
  /** log p(label): the sum over the tokens carrying the label. */
  logprob: number;
  /**
   * Distribution over `labels` (in their order), summing to 1; null when the server listed no
   * alternatives (then only p(label) is known, and the answer is taken as one-hot).
   */
  probs: number[] | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const byteLength = (s: string) => encoder.encode(s).length;

// The value of the "label" key: the characters between its quotes, escapes included.
const LABEL_VALUE = /"label"\s*:\s*"((?:[^"\\]|\\.)*)"/;

interface Span {
  start: number;
  end: number;
}

interface Placed {
  spans: Span[];
  bytes: boolean;
}

/** Where each token sits in the content, or null when the tokens do not spell it. */
function tokenSpans(content: string, tokens: readonly TokenLogprob[]): Placed | null {
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

/** The label as it appears between the quotes of the JSON answer. */
const escaped = (label: string) => JSON.stringify(label).slice(1, -1);

/** The label a JSON string value spells ("" when its escapes are not JSON's, which no label is). */
function unescaped(value: string): string {
  try {
    return JSON.parse(`"${value}"`) as string;
  } catch {
    return "";
  }
}

type Alternative = Pick<TokenLogprob, "token" | "bytes">;

/**
 * What an alternative to the first label token says after `lead`, the structure that token carries
 * before the label's first character (`":"` in `":"sp`); null when it does not start with that
 * structure, i.e. it is not an alternative label start.
 */
function afterLead(alt: Alternative, lead: Uint8Array | string): string | null {
  if (typeof lead === "string") return alt.token.startsWith(lead) ? alt.token.slice(lead.length) : null;
  const bytes = alt.bytes ? Uint8Array.from(alt.bytes) : encoder.encode(alt.token);
  if (bytes.length < lead.length || lead.some((b, i) => b !== bytes[i])) return null;
  return decoder.decode(bytes.subarray(lead.length));
}

/**
 * The labels a token starting the label value can begin: the label it spells exactly if there is
 * one (the local teacher's whole-label tokens, or a short label that is one token), else every label
 * it is a prefix of (or that it spells and then closes, `spam"}`).
 */
function labelsBegunBy(start: string, values: readonly string[]): number[] {
  const exact = values.indexOf(start);
  if (exact >= 0) return [exact];
  const begun: number[] = [];
  values.forEach((v, i) => {
    if (v.startsWith(start) || start.startsWith(`${v}"`)) begun.push(i);
  });
  return begun;
}

/**
 * p over `labels` from the alternatives of the first label token. The answered label has its exact
 * probability, exp(logprob); an alternative's mass goes to the labels it begins, shared equally when
 * several do (a tokeniser prefix does not say which); the answered token's own mass beyond the
 * answered label goes to the other labels it begins. Labels no listed alternative begins share the
 * mass the list leaves (1 − Σ listed), each at most the smallest listed probability, since the server
 * ranked their first token below every listed one. Spreading that residual rather than zeroing it
 * keeps the student's soft target from calling those labels impossible (a log-floor the KD loss would
 * push hard towards) when the teacher only declined to list them. Mass on alternatives that begin no
 * label (impossible under the JSON schema) is dropped, and the result renormalised to sum to 1.
 */
function distribution(
  alternatives: readonly TokenLogprob[],
  answeredStart: string,
  lead: Uint8Array | string,
  answered: number,
  logprob: number,
  labels: readonly string[],
): number[] | null {
  if (alternatives.length === 0) return null;
  const values = labels.map(escaped);
  const mass = new Float64Array(labels.length);
  const assigned = new Uint8Array(labels.length);
  mass[answered] = Math.exp(logprob);
  assigned[answered] = 1;
  let listed = 0;
  let smallest = Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  for (const alt of alternatives) {
    const p = Math.exp(alt.logprob);
    listed += p;
    smallest = Math.min(smallest, p);
    const start = afterLead(alt, lead);
    if (start === null || start === "" || seen.has(start)) continue;
    seen.add(start);
    const share = start === answeredStart ? p - mass[answered]! : p;
    const begun = labelsBegunBy(start, values).filter((i) => i !== answered);
    if (begun.length === 0 || !(share > 0)) continue;
    for (const i of begun) {
      mass[i]! += share / begun.length;
      assigned[i] = 1;
    }
  }
  const unlisted = labels.length - assigned.reduce((n, a) => n + a, 0);
  if (unlisted > 0) {
    const each = Math.min(Math.max(0, 1 - listed) / unlisted, smallest);
    for (let i = 0; i < labels.length; i++) if (!assigned[i]) mass[i] = each;
  }
  const total = mass.reduce((s, p) => s + p, 0);
  if (!(total > 0)) return null;
  return Array.from(mass, (p) => p / total);
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

  const carrying = placed.spans.flatMap((span, i) => (span.start < end && span.end > start ? [i] : []));
  if (carrying.length === 0) return null;
  const logprob = carrying.reduce((sum, i) => sum + tokens[i]!.logprob, 0);
  const answered = labels.indexOf(unescaped(match[1]!));
  if (answered < 0) return { logprob, probs: null };
  const first = tokens[carrying[0]!]!;
  const leadLength = start - placed.spans[carrying[0]!]!.start;
  const lead = placed.bytes
    ? Uint8Array.from(first.bytes!).subarray(0, leadLength)
    : first.token.slice(0, leadLength);
  const answeredStart = afterLead(first, lead) ?? "";
  const probs = distribution(first.top_logprobs ?? [], answeredStart, lead, answered, logprob, labels);
  return { logprob, probs };
}
