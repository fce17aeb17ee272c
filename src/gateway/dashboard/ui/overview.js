// @ts-check
/**
 * The figures around the charts: the totals, the live agreement with its Wilson interval, the most
 * confused label pairs, and the accuracy of student and teacher against feedback, from one /admin/stats
 * answer.
 */
import { byId, count, dollars, el, fillRows, percent } from "./format.js";

/** @typedef {import("./api.js").Stats} Stats */

const ui = {
  windowLabel: byId("window-label", HTMLSpanElement),
  kpis: byId("kpis", HTMLDListElement),
  agreementFigure: byId("agreement-figure", HTMLParagraphElement),
  agreementBar: byId("agreement-bar", HTMLDivElement),
  agreementNote: byId("agreement-note", HTMLParagraphElement),
  confusions: byId("confusions-table", HTMLTableElement),
  feedback: byId("feedback-table", HTMLTableElement),
  teacherErrors: byId("teacher-errors-table", HTMLTableElement),
};

/** @param {Stats} s */
function showKpis(s) {
  const t = s.totals;
  const kpis = [
    ["Answers", count(t.answers)],
    ["Student", count(t.student)],
    ["Teacher rate", `${percent(t.teacher_rate)} (${count(t.teacher)})`],
    ["Escalated", percent(t.escalation_rate)],
    ["Cache", count(t.cache)],
    ["Degraded", count(t.degraded)],
    ["Money saved", dollars(t.money_saved)],
    ["Money spent", dollars(t.money_spent)],
    [
      "Hard examples",
      `${count(s.routes.teacher + s.routes.degraded + s.routes.cache + s.routes.audit)} (audit ${count(s.routes.audit)})`,
    ],
    ["Endpoints", `v1 ${count(s.endpoints.v1)} · v2 ${count(s.endpoints.v2)}`],
  ];
  ui.kpis.replaceChildren(
    ...kpis.map(([term, value]) =>
      el("div", { className: "kpi" }, [el("dt", { text: term }), el("dd", { text: value })]),
    ),
  );
  ui.windowLabel.textContent = `${s.model}${s.version ? ` ${s.version}` : ""}, last ${s.hours} h, at $${s.teacher_price_per_call} per teacher call`;
}

/** @param {Stats} s */
function showAgreement(s) {
  const a = s.agreement;
  const [band, point] = /** @type {HTMLElement[]} */ ([...ui.agreementBar.children]);
  ui.agreementBar.hidden = a.rate === null;
  if (a.rate === null || a.low === null || a.high === null) {
    ui.agreementFigure.textContent = "No audit samples yet";
    ui.agreementNote.textContent =
      "A share of confident answers (AUDIT_RATE) is checked by the teacher in the background.";
    return;
  }
  ui.agreementFigure.textContent = percent(a.rate);
  ui.agreementNote.textContent = `${a.agree} of ${a.samples} audit samples agreed; ${a.level * 100}% Wilson interval ${percent(a.low)}–${percent(a.high)}.`;
  // CSSOM, which the CSP allows (it forbids style attributes and inline <style>, not this).
  if (band && point) {
    band.style.left = `${a.low * 100}%`;
    band.style.width = `${(a.high - a.low) * 100}%`;
    point.style.left = `${a.rate * 100}%`;
  }
}

/** @param {Stats} s */
function showConfusions(s) {
  const rows = s.confusions.map((c) =>
    el("tr", {}, [
      el("td", { text: c.student }),
      el("td", { text: c.teacher }),
      el("td", { text: count(c.count) }),
    ]),
  );
  fillRows(
    /** @type {HTMLTableSectionElement} */ (ui.confusions.tBodies[0]),
    rows,
    "No disagreements logged.",
  );
}

/** @param {Stats} s */
function showFeedback(s) {
  const f = s.feedback;
  /** @type {[string, import("./api.js").Accuracy][]} */
  const who = [
    ["Student", f.student],
    ["Teacher", f.teacher],
  ];
  const rows = who
    .filter(([, a]) => a.samples > 0)
    .map(([name, a]) =>
      el("tr", {}, [
        el("td", { text: name }),
        el("td", { text: percent(a.rate) }),
        el("td", { text: a.low === null || a.high === null ? "–" : `${percent(a.low)}–${percent(a.high)}` }),
        el("td", { text: `${count(a.correct)} of ${count(a.samples)}` }),
      ]),
    );
  fillRows(
    /** @type {HTMLTableSectionElement} */ (ui.feedback.tBodies[0]),
    rows,
    "No feedback yet (POST /v1/feedback).",
  );
  const errors = f.teacher_errors.map((e) =>
    el("tr", {}, [
      el("td", { text: e.label }),
      el("td", { text: count(e.wrong) }),
      el("td", { text: count(e.samples) }),
    ]),
  );
  fillRows(
    /** @type {HTMLTableSectionElement} */ (ui.teacherErrors.tBodies[0]),
    errors,
    "No teacher mistakes in the feedback.",
  );
}

/** @param {Stats} stats */
export function showOverview(stats) {
  showKpis(stats);
  showAgreement(stats);
  showConfusions(stats);
  showFeedback(stats);
}
