/**
 * Made-up but plausible evaluation figures (shaped like an intent data set with an out-of-scope label),
 * for the tests and for rendering an example report to look at. Deterministic: no randomness.
 */
import type { ClassFigures, CurvePoint, EvalDetails, EvalSummary, ReliabilityBin } from "../eval/types.ts";

const TEACHER = 0.962;
const STUDENT = 0.903;

/** A concave curve: the least confident answers are the likeliest wrong, so escalating them pays most. */
function curve(): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (let i = 0; i <= 40; i++) {
    const threshold = i / 40;
    const teacher_rate = Math.min(1, threshold ** 2.2);
    const gain = 1 - (1 - teacher_rate) ** 6;
    points.push({
      threshold,
      teacher_rate,
      accuracy: STUDENT + (TEACHER + 0.004 - STUDENT) * gain - 0.004 * teacher_rate,
    });
  }
  return points;
}

/** Overconfident before calibration (accuracy below confidence), close to the diagonal after. */
function bins(overconfidence: number): ReliabilityBin[] {
  const out: ReliabilityBin[] = [];
  for (let i = 0; i < 10; i++) {
    const lo = i / 10;
    const hi = (i + 1) / 10;
    const count = i < 1 ? 0 : Math.round(12 * 1.9 ** i);
    const confidence = count ? lo + 0.06 : 0;
    const accuracy = count
      ? Math.max(0, confidence - overconfidence * (1 - confidence) * 2.2 + 0.01 * Math.sin(i))
      : 0;
    out.push({ lo, hi, count, confidence, accuracy });
  }
  return out;
}

const WEAK = [
  "oos",
  "what_are_your_hobbies",
  "change_ai_name",
  "meaning_of_life",
  "who_made_you",
  "how_old_are_you",
  "are_you_a_bot",
  "what_is_your_name",
  "tell_joke",
  "fun_fact",
  "do_you_have_pets",
  "where_are_you_from",
  "travel_suggestion",
  "international_visa",
  "calendar_update",
  "reminder_update",
  "todo_list_update",
  "smart_home",
];

function classes(): ClassFigures[] {
  return WEAK.map((label, i) => {
    const recall = Math.min(0.98, 0.42 + i * 0.03);
    const precision = Math.min(0.99, 0.55 + ((i * 7) % 11) * 0.035);
    const f1 = (2 * precision * recall) / (precision + recall);
    const confusedWith =
      i === 0
        ? { label: "travel_suggestion", count: 31 }
        : { label: WEAK[(i * 5 + 1) % WEAK.length]!, count: 9 - (i % 7) };
    return { label, support: label === "oos" ? 1000 : 30, recall, precision, f1, confusedWith };
  });
}

export function exampleEvaluation(): { summary: EvalSummary; details: EvalDetails } {
  const points = curve();
  const chosenIndex = 18;
  const chosen = points[chosenIndex]!;
  const summary: EvalSummary = {
    dataset: "clinc150",
    n_test: 5500,
    teacher: { accuracy: TEACHER, in_scope_accuracy: 0.971, oos_recall: 0.912 },
    student: {
      accuracy: STUDENT,
      in_scope_accuracy: 0.918,
      oos_recall: 0.774,
      ece: 0.0183,
      ece_uncalibrated: 0.0947,
      onnx_bytes: 2_684_354,
    },
    cascade: {
      score: "max_prob",
      threshold: chosen.threshold,
      teacher_rate: chosen.teacher_rate,
      accuracy: chosen.accuracy,
      retention: chosen.accuracy / TEACHER,
    },
    curve: points,
  };
  const details: EvalDetails = {
    modelName: "clinc-intents",
    modelVersion: "1.3.0",
    reliabilityBefore: bins(0.09),
    reliabilityAfter: bins(0.008),
    classes: classes(),
    chosenIndex,
  };
  return { summary, details };
}
