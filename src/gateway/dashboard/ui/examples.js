// @ts-check
/**
 * The hard-examples table: the records of the window (newest first), narrowed in the page by a text
 * search, a label (the student's or the teacher's) and a route, and exported as JSONL exactly as
 * filtered. Filtering is local, so it is instant and the export is what the table shows.
 */
import { el, fillRows } from "./format.js";

/** @typedef {import("./api.js").HardExample} HardExample */

/** Rows drawn at first and per "Show more"; the count and the export always cover every match. */
export const PAGE_ROWS = 50;

/**
 * @param {HardExample} record
 * @param {{ search: string, label: string, route: string }} filter
 */
export function matches(record, filter) {
  if (filter.route && record.route !== filter.route) return false;
  // A model with no student yet logs records whose student is null.
  if (filter.label && record.student?.label !== filter.label && record.teacher?.label !== filter.label)
    return false;
  return !filter.search || record.text.toLowerCase().includes(filter.search.toLowerCase());
}

/** @param {{ label: string, confidence: number } | null} answer */
const answerCell = (answer) =>
  answer
    ? el("td", {}, [
        answer.label,
        el("span", { className: "muted", text: ` ${answer.confidence.toFixed(2)}` }),
      ])
    : el("td", { className: "muted", text: "–" });

/** @param {HardExample} r */
const row = (r) =>
  el("tr", {}, [
    el("td", { text: r.ts.slice(0, 19).replace("T", " ") }),
    el("td", {}, [el("span", { className: `route route-${r.route}`, text: r.route })]),
    el("td", { className: "text", text: r.text }),
    answerCell(r.student),
    answerCell(r.teacher),
    el("td", { text: r.version }),
    el("td", { className: "muted", text: r.reason }),
  ]);

/**
 * @param {{ search: HTMLInputElement, label: HTMLSelectElement, route: HTMLSelectElement,
 *   exportButton: HTMLButtonElement, more: HTMLButtonElement, count: HTMLOutputElement,
 *   tbody: HTMLTableSectionElement }} ui
 */
export function examplesTable(ui) {
  /** @type {HardExample[]} */
  let records = [];
  let indexed = 0;
  let model = "";
  let rows = PAGE_ROWS;

  const filter = () => ({ search: ui.search.value.trim(), label: ui.label.value, route: ui.route.value });
  const visible = () => records.filter((r) => matches(r, filter()));

  function render() {
    const shown = visible();
    fillRows(ui.tbody, shown.slice(0, rows).map(row), "No hard examples match.");
    ui.more.hidden = shown.length <= rows;
    const drawn = shown.length > rows ? ` (newest ${rows} shown)` : "";
    const cut = indexed > records.length ? `; the window has ${indexed}, loaded ${records.length}` : "";
    ui.count.value = `${shown.length} of ${records.length} hard examples${drawn}${cut}`;
    ui.exportButton.disabled = shown.length === 0;
  }

  /** The label choices: every label the loaded records name, keeping the current choice. */
  function fillLabels() {
    const labels = new Set(
      records.flatMap((r) => [r.student, r.teacher].flatMap((answer) => (answer ? [answer.label] : []))),
    );
    const current = ui.label.value;
    const options = [...labels].sort().map((label) => {
      const option = el("option", { text: label });
      option.value = label;
      return option;
    });
    const all = el("option", { text: "All labels" });
    all.value = "";
    ui.label.replaceChildren(all, ...options);
    ui.label.value = labels.has(current) ? current : "";
  }

  function download() {
    const lines = visible().map((r) => `${JSON.stringify(r)}\n`);
    const url = URL.createObjectURL(new Blob(lines, { type: "application/x-ndjson" }));
    const link = el("a");
    link.href = url;
    link.download = `hard-examples-${model}-${new Date().toISOString().slice(0, 19).replaceAll(":", "")}.jsonl`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** A new filter starts again from the first page. */
  const refilter = () => {
    rows = PAGE_ROWS;
    render();
  };
  ui.search.addEventListener("input", refilter);
  ui.label.addEventListener("change", refilter);
  ui.route.addEventListener("change", refilter);
  ui.more.addEventListener("click", () => {
    rows += PAGE_ROWS;
    render();
  });
  ui.exportButton.addEventListener("click", download);

  return {
    /** @param {string} name @param {{ records: HardExample[], indexed: number }} loaded */
    show(name, loaded) {
      model = name;
      records = loaded.records;
      indexed = loaded.indexed;
      fillLabels();
      render();
    },
    /** The records the filters let through (for the export and for checks). */
    visible,
  };
}
