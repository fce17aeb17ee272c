// @ts-check
/**
 * The model's versions: which is live, canary or previous, each one's traffic and agreement in the
 * window, and the registry's two switches, promote and roll back, each after a confirmation.
 */
import { el, fillRows, percent } from "./format.js";

/** @typedef {import("./api.js").ModelState} ModelState */
/** @typedef {import("./api.js").Stats} Stats */

/** @param {ModelState} state @param {string} version */
function status(state, version) {
  if (state.live === version) return "live";
  if (state.canary?.version === version) return `canary ${state.canary.percent}%`;
  return state.previous.includes(version) ? "previous" : "";
}

/** @param {import("./api.js").Agreement | undefined} a */
const agreementText = (a) =>
  a && a.rate !== null ? `${percent(a.rate)} (${percent(a.low)}–${percent(a.high)}, n=${a.samples})` : "–";

/**
 * @param {{ tbody: HTMLTableSectionElement, rollback: HTMLButtonElement, status: HTMLElement }} ui
 * @param {{ promote(version: string): Promise<void>, rollback(): Promise<void> }} actions
 */
export function versionsPanel(ui, actions) {
  /** @type {ModelState | null} */
  let state = null;

  /** Runs a switch after the operator confirmed it; the buttons stay off meanwhile. @param {string} question @param {() => Promise<void>} act */
  async function confirmed(question, act) {
    if (!window.confirm(question)) return;
    const buttons = [ui.rollback, ...ui.tbody.querySelectorAll("button")];
    for (const b of buttons) b.disabled = true;
    try {
      await act();
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  ui.rollback.addEventListener("click", () => {
    const target = state?.previous.at(-1);
    if (!state || !target) return;
    const name = state.name;
    void confirmed(`Roll ${name} back from ${state.live} to ${target}?`, () => actions.rollback());
  });

  /** @param {ModelState} current @param {Stats | null} stats */
  function rowsOf(current, stats) {
    return [...current.versions].reverse().map((v) => {
      const figures = stats?.versions.find((s) => s.version === v.version);
      const action = el("td");
      if (current.live !== v.version) {
        const button = el("button", { text: "Promote" });
        button.type = "button";
        button.setAttribute("aria-label", `Promote ${v.version}`);
        button.addEventListener("click", () =>
          confirmed(`Make ${v.version} the live version of ${current.name}?`, () =>
            actions.promote(v.version),
          ),
        );
        action.append(button);
      }
      const name = el("th", { text: v.version });
      name.scope = "row";
      return el("tr", {}, [
        name,
        el("td", { text: status(current, v.version) }),
        el("td", { text: v.source, title: `sha256 ${v.sha256}` }),
        el("td", { text: figures ? String(figures.answers) : "0" }),
        el("td", { text: percent(figures?.teacher_rate ?? null) }),
        el("td", { text: agreementText(figures?.agreement) }),
        action,
      ]);
    });
  }

  return {
    /** @param {ModelState} current @param {Stats | null} stats */
    show(current, stats) {
      state = current;
      fillRows(ui.tbody, rowsOf(current, stats), "No versions.");
      const previous = current.previous.at(-1);
      ui.rollback.hidden = !previous;
      ui.rollback.textContent = previous ? `Roll back to ${previous}` : "Roll back";
    },
    /** @param {string} message */
    say(message) {
      ui.status.textContent = message;
    },
  };
}
