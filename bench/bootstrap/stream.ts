import { normalizeText } from "../../src/core/featurizer.ts";
import { mulberry32, shuffleInPlace } from "../../src/core/random.ts";
import type { Example } from "../../src/distill/data/index.ts";
import type { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import { GatewayError } from "../../src/distill/gateway-client/errors.ts";
import type { AnswerLine } from "../../src/teacher-server/answers/file.ts";
import type { Outcome } from "./windows.ts";

/** The featuriser's normalisation, under which the teacher server matches recorded answers. */
const NORM = { normalization: "NFKC", lowercase: true } as const;

/** Every example of every split, shuffled with a fixed seed: the stream's order. */
export function shuffledStream(examples: readonly Example[], seed: number): Example[] {
  const stream = [...examples];
  shuffleInPlace(stream, mulberry32(seed));
  return stream;
}

/** A text as the teacher server and the hard-example log key it. */
export const normalised = (text: string): string => normalizeText(text, NORM);

/** The teacher's answer per normalised text, as the teacher server replays it. */
export function answerLookup(lines: readonly AnswerLine[]): (text: string) => string {
  const byText = new Map(lines.map((l) => [normalised(l.text), l.label]));
  return (text) => {
    const label = byText.get(normalised(text));
    if (label === undefined) throw new Error(`no recorded teacher answer for "${text}"`);
    return label;
  };
}

/** A 503 teacher_unavailable (no student yet, the teacher failed) is resent, as a client would. */
async function classifyWithRetry(client: GatewayClient, model: string, texts: string[], attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.classify(model, texts, "auto");
    } catch (error) {
      const retryable = error instanceof GatewayError && error.code === "teacher_unavailable";
      if (!retryable || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Sends `examples` through POST /v1/classify in batches, `inFlight` requests at a time (teacher mode
 * auto, as production traffic), and returns each text's outcome in stream order.
 */
export async function sendWindow(
  client: GatewayClient,
  model: string,
  examples: readonly Example[],
  teacherAnswer: (text: string) => string,
  { batch, inFlight }: { batch: number; inFlight: number },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(examples.length);
  let next = 0;
  const worker = async () => {
    while (next < examples.length) {
      const from = next;
      next += batch;
      const slice = examples.slice(from, from + batch);
      const answer = await classifyWithRetry(
        client,
        model,
        slice.map((e) => e.text),
      );
      if (answer.results.length !== slice.length)
        throw new Error(`asked ${slice.length} texts, got ${answer.results.length} results`);
      answer.results.forEach((r, i) => {
        const e = slice[i]!;
        outcomes[from + i] = {
          gold: e.label,
          served: r.label,
          teacher: teacherAnswer(e.text),
          teacherCall: r.source === "teacher",
        };
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return outcomes;
}
