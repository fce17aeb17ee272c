import type { ClassFigures } from "../eval/types.ts";

/** A non-finite figure (e.g. F1 of a class never predicted nor present) counts as the worst possible. */
function key(value: number): number {
  return Number.isFinite(value) ? value : Number.NEGATIVE_INFINITY;
}

/**
 * The k classes with the lowest F1, ties broken by recall, then support (bigger first, as it costs more),
 * then name. EvalDetails promises worst-first already, but the chart and the table must agree even if
 * a caller passes them in another order.
 */
export function worstClasses(classes: readonly ClassFigures[], k = 15): ClassFigures[] {
  return [...classes]
    .sort(
      (a, b) =>
        key(a.f1) - key(b.f1) ||
        key(a.recall) - key(b.recall) ||
        b.support - a.support ||
        (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
    )
    .slice(0, Math.max(0, k));
}
