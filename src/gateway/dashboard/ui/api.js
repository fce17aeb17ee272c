// @ts-check
/**
 * The admin API as the page uses it. The token lives in this tab's sessionStorage only (never
 * localStorage or a cookie): closing the tab or "Sign out" forgets it. Answers are the gateway's own
 * (validated by its zod schemas on the way out); here they are only checked for the shape the page reads.
 */

/**
 * @typedef {{ answers: number, student: number, teacher: number, cache: number, degraded: number }} Counts
 * @typedef {Counts & { hour: string, teacher_rate: number | null }} HourStats
 * @typedef {{ samples: number, agree: number, rate: number | null, low: number | null, high: number | null,
 *   level: number }} Agreement
 * @typedef {{
 *   model: string, version: string | null, since: string, until: string, hours: number,
 *   threshold: { score: string, value: number, version: string } | null,
 *   teacher_price_per_call: number,
 *   totals: Counts & { teacher_rate: number | null, escalation_rate: number | null, money_saved: number,
 *     money_spent: number },
 *   hourly: HourStats[],
 *   score_histogram: { bins: number, counts: number[] },
 *   agreement: Agreement,
 *   confusions: { student: string, teacher: string, count: number }[],
 *   routes: { teacher: number, degraded: number, cache: number, audit: number },
 *   endpoints: { v1: number, v2: number },
 *   versions: { version: string, answers: number, teacher_rate: number | null, agreement: Agreement }[],
 *   feedback: { samples: number, student: Accuracy, teacher: Accuracy,
 *     teacher_errors: { label: string, samples: number, wrong: number, rate: number }[] },
 *   budget: Budget,
 * }} Stats
 * @typedef {{ limit: number | null, used: number, refused: number, resets_at: string }} BudgetWindow
 * @typedef {{ used: number, refused: number }} ClientUse
 * @typedef {{
 *   limits: { per_hour: number | null, per_day: number | null, per_client_per_hour: number | null,
 *     per_client_per_day: number | null },
 *   hour: BudgetWindow, day: BudgetWindow,
 *   clients: { client: string, hour: ClientUse, day: ClientUse }[],
 * } | null} Budget
 * @typedef {{ version: string, agree: number, total: number, rate: number | null, lower: number,
 *   upper: number }} RateFigures
 * @typedef {{ lower: number, upper: number }} Difference
 * @typedef {{ role: "canary" | "shadow", since: string, alpha: number, evidence: "teacher" | "feedback",
 *   feedback: { candidate: number, live: number, required: number } | null,
 *   verdict: "better" | "worse" | "undecided", candidate: RateFigures, live: RateFigures,
 *   difference: Difference }} Evidence
 * @typedef {{ at: string, action: "promote" | "rollback", reason: "better" | "worse" | "time_limit",
 *   canary: string, live: string, alpha: number, evidence: "teacher" | "feedback", since: string,
 *   figures: { canary: RateFigures, live: RateFigures, difference: Difference } }} Decision
 * @typedef {{ decisions: Decision[], evidence: Evidence[] }} Decisions
 * @typedef {{ samples: number, correct: number, rate: number | null, low: number | null, high: number | null,
 *   level: number }} Accuracy
 * @typedef {{ version: string, source: "bundled" | "registry", bytes: number, sha256: string,
 *   uploaded_at: string | null }} VersionInfo
 * @typedef {{ name: string, live: string | null, previous: string[],
 *   canary: { version: string, percent: number } | null, updated_at: string | null,
 *   versions: VersionInfo[] }} ModelState
 * @typedef {{ id: string, ts: string, model: string, version: string, text: string,
 *   student: { label: string, confidence: number } | null,
 *   teacher: { label: string, confidence: number, latency_ms: number } | null,
 *   route: "teacher" | "degraded" | "cache" | "audit", reason: string, request_id: string }} HardExample
 */

const TOKEN_KEY = "apprentice.admin-token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string} value */
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A refused or failed call: the HTTP status (0 when the gateway was not reached) and the error code. */
export class ApiFailure extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** The token is missing or wrong: the page goes back to signing in. */
  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

/** What the page says about a failure. @param {unknown} error */
export function describeFailure(error) {
  if (!(error instanceof ApiFailure)) return `Something went wrong: ${String(error)}`;
  if (error.status === 403) return "Wrong token: the gateway refused it (403 forbidden).";
  if (error.status === 401) return "The admin API needs the token (401 unauthorized).";
  if (error.status === 0) return `Cannot reach the gateway: ${error.message}`;
  return `${error.message} (${error.status} ${error.code})`;
}

/** @param {Response} res */
async function failureOf(res) {
  /** @type {unknown} */
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: described by the status alone
  }
  const error = typeof body === "object" && body !== null && "error" in body ? body.error : null;
  const field = (/** @type {string} */ key) =>
    typeof error === "object" && error !== null && key in error ? String(Reflect.get(error, key)) : null;
  return new ApiFailure(res.status, field("code") ?? "http_error", field("message") ?? `HTTP ${res.status}`);
}

/**
 * One call with the bearer token (the stored one unless another is given, as when signing in).
 * @param {string} path
 * @param {RequestInit} [init]
 * @param {string | null} [bearer]
 */
async function call(path, init = {}, bearer = token.get()) {
  const headers = new Headers(init.headers);
  if (bearer) headers.set("authorization", `Bearer ${bearer}`);
  /** @type {Response} */
  let res;
  try {
    res = await fetch(path, { ...init, headers, cache: "no-store" });
  } catch (error) {
    throw new ApiFailure(0, "network", String(error));
  }
  if (!res.ok) throw await failureOf(res);
  return res;
}

/** @param {Record<string, string | number | null | undefined>} params */
const query = (params) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  return search.size ? `?${search}` : "";
};

/** @template T @param {unknown} value @param {string} what @param {(v: object) => boolean} ok @returns {T} */
function shaped(value, what, ok) {
  if (typeof value !== "object" || value === null || !ok(value))
    throw new ApiFailure(200, "unexpected_answer", `the gateway's ${what} answer has an unexpected shape`);
  return /** @type {T} */ (value);
}

/** The registry's models; with `bearer`, checks that token instead of the stored one. @param {string | null} [bearer] */
export async function models(bearer) {
  const body = await (await call("/admin/models", {}, bearer)).json();
  /** @type {{ models: ModelState[] }} */
  const list = shaped(body, "models", (v) => "models" in v && Array.isArray(v.models));
  return list.models;
}

/** @param {{ model: string, version: string, hours: number }} filters @returns {Promise<Stats>} */
export async function stats(filters) {
  const body = await (await call(`/admin/stats${query(filters)}`)).json();
  return shaped(body, "stats", (v) => "hourly" in v && "totals" in v && "score_histogram" in v);
}

/**
 * The hard examples of the window, newest first, and how many the index matched.
 * @param {{ model: string, version: string, since: string, limit: number }} filters
 * @returns {Promise<{ records: HardExample[], indexed: number }>}
 */
export async function hardExamples(filters) {
  const res = await call(`/admin/hard-examples${query(filters)}`);
  const records = (await res.text())
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(
      (line) =>
        /** @type {HardExample} */ (
          shaped(JSON.parse(line), "hard-example", (v) => "route" in v && "student" in v)
        ),
    );
  return {
    records: records.reverse(),
    indexed: Number(res.headers.get("x-hard-examples-indexed") ?? records.length),
  };
}

/**
 * The model's automatic canary decisions and where its canary and shadow stand; a model with no live
 * version yet (404) has neither.
 * @param {string} model @returns {Promise<Decisions>}
 */
export async function decisions(model) {
  try {
    const body = await (await call(`/admin/models/${encodeURIComponent(model)}/decisions`)).json();
    return shaped(body, "decisions", (v) => "decisions" in v && "evidence" in v);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return { decisions: [], evidence: [] };
    throw error;
  }
}

/** @param {string} model @param {string} version @returns {Promise<ModelState>} */
export async function promote(model, version) {
  const res = await call(`/admin/models/${encodeURIComponent(model)}/promote`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version }),
  });
  return res.json();
}

/** @param {string} model @returns {Promise<ModelState>} */
export async function rollback(model) {
  const res = await call(`/admin/models/${encodeURIComponent(model)}/rollback`, { method: "POST" });
  return res.json();
}
