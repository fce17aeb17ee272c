// @ts-check
/**
 * The dashboard page: sign-in, the model / version / window controls, and a refresh that reads
 * /admin/stats, /admin/hard-examples, /admin/models and the model's decisions and hands each part its data. The page holds no
 * data of its own; everything comes from the admin API with the operator's token.
 *
 * Plain JavaScript modules checked by tsc from their JSDoc (ui/tsconfig.json, `npm run typecheck`), not
 * TypeScript: the Worker serves these files as they are, so there is no build step `npm start`, the
 * tests or a deploy could skip or run differently.
 */
import * as api from "./api.js";
import { budgetPanel } from "./budget.js";
import { charts, thresholdLabel } from "./charts.js";
import { examplesTable } from "./examples.js";
import { experimentsPanel } from "./experiments.js";
import { byId, el } from "./format.js";
import { showOverview } from "./overview.js";
import { versionsPanel } from "./versions.js";

/** @typedef {import("./api.js").Stats} Stats */
/** @typedef {import("./api.js").ModelState} ModelState */

const AUTO_REFRESH_MS = 30_000;
const EXAMPLES_LIMIT = 5000;

const $ = {
  controls: byId("controls", HTMLFormElement),
  model: byId("model", HTMLSelectElement),
  version: byId("version", HTMLSelectElement),
  hours: byId("hours", HTMLSelectElement),
  refresh: byId("refresh", HTMLButtonElement),
  auto: byId("auto-refresh", HTMLInputElement),
  updated: byId("updated", HTMLOutputElement),
  signOut: byId("sign-out", HTMLButtonElement),
  error: byId("error", HTMLParagraphElement),
  signIn: byId("sign-in", HTMLElement),
  signInForm: byId("sign-in-form", HTMLFormElement),
  token: byId("token", HTMLInputElement),
  signInError: byId("sign-in-error", HTMLParagraphElement),
  board: byId("board", HTMLDivElement),
  thresholdLabel: byId("threshold-label", HTMLSpanElement),
};

const chartSet = charts({
  teacherRate: byId("chart-teacher-rate", HTMLDivElement),
  scores: byId("chart-scores", HTMLDivElement),
  money: byId("chart-money", HTMLDivElement),
});
const examples = examplesTable({
  search: byId("examples-search", HTMLInputElement),
  label: byId("examples-label", HTMLSelectElement),
  route: byId("examples-route", HTMLSelectElement),
  exportButton: byId("examples-export", HTMLButtonElement),
  more: byId("examples-more", HTMLButtonElement),
  count: byId("examples-count", HTMLOutputElement),
  tbody: /** @type {HTMLTableSectionElement} */ (byId("examples-table", HTMLTableElement).tBodies[0]),
});
/** @param {string} id */
const tbodyOf = (id) => /** @type {HTMLTableSectionElement} */ (byId(id, HTMLTableElement).tBodies[0]);
const experiments = experimentsPanel({
  evidence: tbodyOf("evidence-table"),
  decisions: tbodyOf("decisions-table"),
});
const budget = budgetPanel({
  windows: tbodyOf("budget-table"),
  clients: tbodyOf("budget-clients-table"),
  note: byId("budget-note", HTMLParagraphElement),
});
const versions = versionsPanel(
  {
    tbody: /** @type {HTMLTableSectionElement} */ (byId("versions-table", HTMLTableElement).tBodies[0]),
    rollback: byId("rollback", HTMLButtonElement),
    status: byId("versions-status", HTMLParagraphElement),
  },
  {
    async promote(version) {
      await act(
        () => api.promote($.model.value, version),
        (s) => `${version} is live for ${s.name}.`,
      );
    },
    async rollback() {
      await act(
        () => api.rollback($.model.value),
        (s) => `Rolled back: ${s.live} is live for ${s.name}.`,
      );
    },
  },
);

/** @type {Stats | null} */
let lastStats = null;
/** @type {import("./api.js").Decisions | null} */
let lastDecisions = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;
let generation = 0;

/** Where the page is, for people and for tests: signed-out, loading, ready or error. @param {string} state */
const setState = (state) => {
  document.body.dataset.state = state;
};

/** @param {string | null} message */
function showError(message) {
  $.error.hidden = message === null;
  $.error.textContent = message ?? "";
}

/** A failed call: a token problem sends the operator back to sign in, anything else is shown. @param {unknown} error */
function fail(error) {
  if (error instanceof api.ApiFailure && error.isAuth) {
    signOut(api.describeFailure(error));
    return;
  }
  showError(api.describeFailure(error));
  setState("error");
}

/** @param {() => Promise<ModelState>} call @param {(s: ModelState) => string} done */
async function act(call, done) {
  try {
    const state = await call();
    versions.say(`${done(state)} Gateways switch within their registry TTL (REGISTRY_TTL_MS).`);
    await refresh();
  } catch (error) {
    versions.say(api.describeFailure(error));
    fail(error);
  }
}

/** @param {HTMLSelectElement} select @param {{ value: string, text: string }[]} options */
function fillSelect(select, options) {
  const current = select.value;
  select.replaceChildren(
    ...options.map((o) => {
      const option = el("option", { text: o.text });
      option.value = o.value;
      return option;
    }),
  );
  if (options.some((o) => o.value === current)) select.value = current;
}

/** @param {ModelState[]} models */
function showModels(models) {
  fillSelect(
    $.model,
    models.map((m) => ({ value: m.name, text: m.name })),
  );
  const state = models.find((m) => m.name === $.model.value);
  const names = state ? [...state.versions].reverse().map((v) => v.version) : [];
  fillSelect($.version, [
    { value: "", text: "All versions" },
    ...names.map((v) => ({ value: v, text: v === state?.live ? `${v} (live)` : v })),
  ]);
  return state ?? null;
}

/** Reads everything for the current controls and draws it; a newer refresh wins over a slower older one. */
async function refresh() {
  const mine = ++generation;
  setState("loading");
  try {
    const model = $.model.value;
    const filters = { model, version: $.version.value, hours: Number($.hours.value) };
    const stats = await api.stats(filters);
    const [found, models, decided] = await Promise.all([
      api.hardExamples({ model, version: filters.version, since: stats.since, limit: EXAMPLES_LIMIT }),
      api.models(),
      api.decisions(model),
    ]);
    if (mine !== generation) return;
    lastStats = stats;
    lastDecisions = decided;
    const state = showModels(models);
    showError(null);
    showOverview(stats);
    chartSet.update(stats);
    $.thresholdLabel.textContent = thresholdLabel(stats);
    if (state) versions.show(state, stats);
    experiments.show(decided);
    budget.show(stats.budget);
    examples.show(model, found);
    $.updated.value = `Updated ${new Date().toLocaleTimeString()}`;
    setState("ready");
  } catch (error) {
    if (mine === generation) fail(error);
  }
}

function schedule() {
  clearInterval(timer);
  if ($.auto.checked) timer = setInterval(() => void refresh(), AUTO_REFRESH_MS);
}

/** Shows the board for the stored token: the models first (they fill the selector), then the figures. */
async function enter() {
  $.signIn.hidden = true;
  $.controls.hidden = false;
  $.board.hidden = false;
  try {
    showModels(await api.models());
  } catch (error) {
    fail(error);
    return;
  }
  schedule();
  await refresh();
}

/** Forgets the token and asks for one again, saying why when there is a reason. @param {string | null} [why] */
function signOut(why = null) {
  api.token.clear();
  clearInterval(timer);
  generation++;
  showError(null);
  $.controls.hidden = true;
  $.board.hidden = true;
  $.signIn.hidden = false;
  $.signInError.hidden = why === null;
  $.signInError.textContent = why ?? "";
  $.token.focus();
  setState("signed-out");
}

$.signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const candidate = $.token.value.trim();
  if (!candidate) return;
  try {
    await api.models(candidate);
  } catch (error) {
    signOut(api.describeFailure(error));
    return;
  }
  api.token.set(candidate);
  $.token.value = "";
  $.signInError.hidden = true;
  await enter();
});
$.signOut.addEventListener("click", () => signOut());
$.refresh.addEventListener("click", () => void refresh());
$.auto.addEventListener("change", schedule);
$.model.addEventListener("change", () => {
  $.version.value = "";
  void refresh();
});
$.version.addEventListener("change", () => void refresh());
$.hours.addEventListener("change", () => void refresh());

// For the browser console (and the browser test): the charts as drawn and the figures they came from.
Object.assign(window, {
  apprentice: {
    get charts() {
      return chartSet.current;
    },
    get stats() {
      return lastStats;
    },
    get decisions() {
      return lastDecisions;
    },
    examples,
    refresh,
  },
});

if (api.token.get()) void enter();
else signOut();
