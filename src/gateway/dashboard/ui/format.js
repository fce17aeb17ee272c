// @ts-check
/** Number formats and a small DOM builder. Text always goes in as textContent, never as HTML: hard-example
 * texts come from the gateway's users. */

/** @param {number | null | undefined} share a share in [0, 1] */
export const percent = (share, digits = 1) =>
  share === null || share === undefined ? "–" : `${(share * 100).toFixed(digits)}%`;

/** @param {number} usd */
export const dollars = (usd) =>
  usd >= 100 ? `$${usd.toFixed(0)}` : usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;

/** A difference of two shares in percentage points, signed. @param {number} diff */
export const points = (diff) => `${diff < 0 ? "−" : "+"}${Math.abs(diff * 100).toFixed(1)} pp`;

/** An ISO 8601 instant to the minute, UTC. @param {string} iso */
export const minute = (iso) => iso.slice(0, 16).replace("T", " ");

/** @param {number} n */
export const count = (n) => n.toLocaleString("en-US");

/** An hour as /admin/stats names it ("2026-11-29T11", UTC) in Unix seconds, uPlot's time unit. */
export const hourSeconds = (/** @type {string} */ hour) => Date.parse(`${hour}:00:00Z`) / 1000;

/**
 * An element with text or children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, text?: string, title?: string }} [props]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  node.append(...children);
  return node;
}

/**
 * The element with this id, of this type; a missing one is a bug in the page, so it throws.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return node;
}

/**
 * A table body's rows, replaced; an empty list shows one row saying so.
 * @param {HTMLTableSectionElement} tbody
 * @param {HTMLTableRowElement[]} rows
 * @param {string} empty
 */
export function fillRows(tbody, rows, empty) {
  if (rows.length) {
    tbody.replaceChildren(...rows);
    return;
  }
  const cell = el("td", { className: "muted", text: empty });
  cell.colSpan =
    tbody.parentElement instanceof HTMLTableElement
      ? (tbody.parentElement.tHead?.rows[0]?.cells.length ?? 1)
      : 1;
  tbody.replaceChildren(el("tr", {}, [cell]));
}
