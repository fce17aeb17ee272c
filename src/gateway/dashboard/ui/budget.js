// @ts-check
/**
 * The model's teacher budget (GET /admin/stats `budget`, read from its counter, exact across isolates):
 * texts sent to the teacher and refused in the current UTC hour and day against the limits, and the
 * busiest client keys.
 */
import { count, el, fillRows, minute, percent } from "./format.js";

/** @typedef {import("./api.js").BudgetWindow} BudgetWindow */

/** @param {BudgetWindow} w */
export const usedText = (w) =>
  w.limit === null
    ? count(w.used)
    : `${count(w.used)} of ${count(w.limit)} (${percent(w.limit === 0 ? 1 : w.used / w.limit)})`;

/** @param {{ windows: HTMLTableSectionElement, clients: HTMLTableSectionElement, note: HTMLElement }} ui */
export function budgetPanel(ui) {
  /** @param {import("./api.js").Budget} budget */
  function show(budget) {
    ui.note.textContent =
      budget === null
        ? "No teacher budget for this model (TEACHER_BUDGET_PER_HOUR, TEACHER_BUDGET_PER_DAY)."
        : "Texts sent to the teacher, across every isolate; over the limit the student answers (degraded, reason budget).";
    /** @type {[string, BudgetWindow][]} */
    const windows = budget
      ? [
          ["This hour", budget.hour],
          ["Today", budget.day],
        ]
      : [];
    fillRows(
      ui.windows,
      windows.map(([name, w]) =>
        el("tr", {}, [
          el("td", { text: name }),
          el("td", { text: usedText(w) }),
          el("td", { text: count(w.refused) }),
          el("td", { text: minute(w.resets_at) }),
        ]),
      ),
      "No budget.",
    );
    fillRows(
      ui.clients,
      (budget?.clients ?? []).map((c) =>
        el("tr", {}, [
          el("td", { text: c.client }),
          el("td", { text: count(c.hour.used) }),
          el("td", { text: count(c.day.used) }),
          el("td", { text: count(c.day.refused) }),
        ]),
      ),
      "No client keys used the teacher today.",
    );
  }
  return { show };
}
