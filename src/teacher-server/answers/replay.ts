import { HttpError } from "../http.ts";
import type { AnswerSource, Prediction, RunModel } from "../model.ts";
import type { AnswerBook } from "./answer-book.ts";

/**
 * What a model with recorded answers does with a text that has none: `none` refuses it (422, in the
 * error shape of the protocol called), `model` answers it with the model's own (n-gram) prediction.
 */
export const FALLBACKS = ["none", "model"] as const;
export type Fallback = (typeof FALLBACKS)[number];

const SHOWN_CHARS = 80;

/** Recorded answers served in place of a model's own (`--answers`), with its fallback. */
export class Replay implements AnswerSource {
  constructor(
    readonly model: string,
    readonly book: AnswerBook,
    readonly fallback: Fallback,
  ) {}

  async predict(texts: readonly string[], runModel: RunModel): Promise<Prediction[]> {
    const found = texts.map((text) => this.book.lookup(text));
    const missing = found.flatMap((prediction, i) => (prediction ? [] : [i]));
    if (missing.length === 0) return found as Prediction[];
    if (this.fallback === "none") throw this.unknown(texts, missing);
    const answered = await runModel(missing.map((i) => texts[i]!));
    missing.forEach((i, k) => {
      found[i] = answered[k]!;
    });
    return found as Prediction[];
  }

  private unknown(texts: readonly string[], missing: readonly number[]): HttpError {
    const first = missing[0]!;
    const text = texts[first]!;
    const shown = text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
    const which =
      texts.length > 1 ? `text ${first} of the request (${JSON.stringify(shown)})` : JSON.stringify(shown);
    const others = missing.length > 1 ? ` (${missing.length} texts of this request have none)` : "";
    return new HttpError(
      422,
      `model "${this.model}" has no recorded answer for ${which}${others}; the teacher replays recorded` +
        " answers only (texts match after normalisation); start it with --answers-fallback model to" +
        " answer unknown texts with the model",
      "unknown_text",
    );
  }
}
