// @ts-check
/**
 * Shadow and canary: where the running ones stand against the live version, with the anytime-valid
 * intervals the automatic decision reads (GET /admin/models/{name}/decisions `evidence`), and the
 * decisions taken so far with the figures they were taken on. Each rate is the share of the student's
 * answers that agreed with the teacher, or (evidence "feedback") that the client's feedback confirmed.
 */
import { count, el, fillRows, minute, percent, points } from "./format.js";

/** @typedef {import("./api.js").Decisions} Decisions */
/** @typedef {import("./api.js").RateFigures} RateFigures */

/** Decisions listed, newest first. */
const DECISION_ROWS = 20;

/** @param {RateFigures} r */
export const rateText = (r) =>
  r.total === 0
    ? "no evidence yet"
    : `${percent(r.rate)} (${percent(r.lower)}–${percent(r.upper)}, ${count(r.agree)} of ${count(r.total)})`;

/** @param {import("./api.js").Difference} d */
export const differenceText = (d) => `${points(d.lower)} to ${points(d.upper)}`;

/**
 * The difference's interval drawn on a −100…+100 pp axis with 0 marked: wholly right of the mark is
 * "better", wholly left "worse". CSSOM, which the CSP allows (not style attributes).
 * @param {import("./api.js").Difference} d
 */
function differenceBar(d) {
  const lower = Math.max(-1, d.lower);
  const upper = Math.min(1, d.upper);
  const band = el("div", { className: "interval-band" });
  band.style.left = `${(lower + 1) * 50}%`;
  band.style.width = `${Math.max(0, upper - lower) * 50}%`;
  const bar = el("div", { className: "interval difference", title: "canary − live; the line is 0" }, [
    band,
    el("div", { className: "interval-zero" }),
  ]);
  bar.setAttribute("aria-hidden", "true");
  return bar;
}

/** @param {import("./api.js").Evidence["feedback"]} f */
const feedbackText = (f) =>
  f === null ? "–" : `${count(f.candidate)} / ${count(f.live)} of ${count(f.required)}`;

/** @param {{ evidence: HTMLTableSectionElement, decisions: HTMLTableSectionElement }} ui */
export function experimentsPanel(ui) {
  /** @param {Decisions} d */
  function show(d) {
    const standing = d.evidence.map((e) =>
      el("tr", { className: `verdict-${e.verdict}` }, [
        el("td", { text: e.role }),
        el("td", { text: e.candidate.version }),
        el("td", { text: e.evidence }),
        el("td", { text: rateText(e.candidate) }),
        el("td", { text: rateText(e.live) }),
        el("td", {}, [differenceText(e.difference), differenceBar(e.difference)]),
        el("td", { text: e.verdict }),
        el("td", { text: feedbackText(e.feedback) }),
      ]),
    );
    fillRows(ui.evidence, standing, "No shadow or canary running.");
    const decided = [...d.decisions]
      .reverse()
      .slice(0, DECISION_ROWS)
      .map((x) =>
        el("tr", {}, [
          el("td", { text: minute(x.at) }),
          el("td", { text: `${x.action} ${x.canary}` }),
          el("td", { text: x.reason }),
          el("td", { text: x.evidence }),
          el("td", { text: rateText(x.figures.canary) }),
          el("td", { text: `${x.live}: ${rateText(x.figures.live)}` }),
          el("td", { text: differenceText(x.figures.difference) }),
        ]),
      );
    fillRows(ui.decisions, decided, "No automatic decision yet.");
  }
  return { show };
}
