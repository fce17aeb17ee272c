import { z } from "zod";
import { CompletionAnswer, TokenLogprobAnswer } from "../../core/openai-chat.ts";
import { labelLogprobs } from "../teacher-client/openai-logprobs.ts";
import { type TeacherAnswer, TeacherError } from "../teacher-client/types.ts";

/**
 * The label in a teacher's chat answer, read by the rule the gateway answers by (request.ts): the content
 * is the label itself, or a JSON object whose one string value is the label (`{"label": …}`, or the one
 * property of the client's schema). Confidence is exp(logprob) of the label's tokens when the teacher sent
 * logprobs (openai-logprobs.ts), else 1 (one-hot). An answer with no label of the model is a TeacherError,
 * so the hard-example record says why it holds no teacher label.
 */
type Tokens = readonly z.output<typeof TokenLogprobAnswer>[];

function labelIn(content: string, labels: readonly string[]): string | null {
  const trimmed = content.trim();
  if (labels.includes(trimmed)) return trimmed;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const values = Object.values(json).filter((v): v is string => typeof v === "string");
  return values.length === 1 && labels.includes(values[0]!) ? values[0]! : null;
}

function confidenceOf(content: string, label: string, tokens: Tokens, labels: readonly string[]) {
  const read = labelLogprobs(content, tokens, labels);
  if (read) return { confidence: Math.min(1, Math.exp(read.logprob)), probs: read.probs };
  // A bare label: every token spells it.
  if (content === label && tokens.map((t) => t.token).join("") === content) {
    const logprob = tokens.reduce((sum, t) => sum + t.logprob, 0);
    return { confidence: Math.min(1, Math.exp(logprob)), probs: null };
  }
  return { confidence: 1, probs: null };
}

export function labelFromContent(
  content: string | null,
  tokens: Tokens | null,
  labels: readonly string[],
): TeacherAnswer {
  if (content === null) throw new TeacherError("bad_response", "the teacher's answer has no content");
  const label = labelIn(content, labels);
  if (label === null)
    throw new TeacherError(
      "unknown_label",
      `the teacher's answer holds no label of the model: ${content.slice(0, 200)}`,
    );
  return {
    label,
    ...(tokens && tokens.length > 0
      ? confidenceOf(content, label, tokens, labels)
      : { confidence: 1, probs: null }),
  };
}

/** A whole (non-streamed) completion's body. */
export function labelFromCompletion(body: string, labels: readonly string[]): TeacherAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TeacherError("bad_response", "the teacher's answer is not JSON");
  }
  const parsed = CompletionAnswer.safeParse(json);
  if (!parsed.success)
    throw new TeacherError("bad_response", "the teacher's answer is not a chat completion");
  const choice = parsed.data.choices[0]!;
  return labelFromContent(choice.message.content, choice.logprobs?.content ?? null, labels);
}

const Chunk = z.looseObject({
  choices: z.array(
    z.looseObject({
      index: z.number().optional(),
      delta: z.looseObject({ content: z.string().nullish() }).optional(),
      logprobs: z.looseObject({ content: z.array(TokenLogprobAnswer).nullish() }).nullish(),
    }),
  ),
});

/** A streamed completion's server-sent events, read up to `maxBytes`: the first choice's content. */
export async function labelFromStream(
  stream: ReadableStream<Uint8Array>,
  labels: readonly string[],
  maxBytes: number,
): Promise<TeacherAnswer> {
  const decoder = new TextDecoder();
  let buffered = "";
  let read = 0;
  let content = "";
  const tokens: z.output<typeof TokenLogprobAnswer>[] = [];
  let sawLogprobs = false;
  const take = (line: string) => {
    if (!line.startsWith("data:")) return;
    const data = line.slice(5).trim();
    if (data === "" || data === "[DONE]") return;
    const chunk = Chunk.safeParse(JSON.parse(data));
    if (!chunk.success) throw new TeacherError("bad_response", "a streamed chunk is not a completion chunk");
    for (const choice of chunk.data.choices) {
      if ((choice.index ?? 0) !== 0) continue;
      content += choice.delta?.content ?? "";
      if (choice.logprobs?.content) {
        sawLogprobs = true;
        tokens.push(...choice.logprobs.content);
      }
    }
  };
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.byteLength;
      if (read > maxBytes)
        throw new TeacherError("bad_response", `the streamed answer is larger than ${maxBytes} bytes`);
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? "";
      for (const line of lines) take(line);
    }
    take(buffered + decoder.decode());
  } catch (error) {
    // Stop reading: a tee's unread branch would otherwise keep the rest of the stream in memory.
    void reader.cancel().catch(() => {});
    if (error instanceof TeacherError) throw error;
    throw new TeacherError("bad_response", `the streamed answer could not be read: ${String(error)}`);
  }
  return labelFromContent(content, sawLogprobs ? tokens : null, labels);
}
