// @ts-check
/**
 * The three uPlot charts over /admin/stats: teacher rate per hour, the routing-score histogram with the
 * threshold marked, money saved and spent. `uPlot` is the global of uPlot's browser build, loaded by the
 * page before this module (its types: the `uplot` package, a UMD declaration). Each chart is made once
 * and then given new data, so a refresh does not rebuild the canvas.
 */
import { dollars, hourSeconds } from "./format.js";

const HEIGHT = 220;
const COLORS = { teacher: "#c2410c", escalated: "#7c3aed", student: "#0f766e", bars: "#2563eb" };

/** @typedef {import("./api.js").Stats} Stats */
/** @typedef {{ teacherRate: uPlot, scores: uPlot, money: uPlot, threshold: number | null }} ChartSet */

/** @param {HTMLElement} target */
const widthOf = (target) => Math.max(280, target.clientWidth);

/** @param {number | null} share */
const asPercent = (share) => (share === null ? null : share * 100);

/** @param {Stats} stats @returns {uPlot.AlignedData} */
export function teacherRateData(stats) {
  const share = (/** @type {number} */ part, /** @type {number} */ all) => (all ? (part / all) * 100 : null);
  return [
    stats.hourly.map((h) => hourSeconds(h.hour)),
    stats.hourly.map((h) => asPercent(h.teacher_rate)),
    stats.hourly.map((h) => share(h.teacher + h.cache + h.degraded, h.answers)),
  ];
}

/** @param {Stats} stats @returns {uPlot.AlignedData} */
export function scoreData(stats) {
  const { bins, counts } = stats.score_histogram;
  return [counts.map((_, i) => (i + 0.5) / bins), counts];
}

/** Running totals: each hour's student answers (saved) and teacher calls (spent) at the configured price. @param {Stats} stats @returns {uPlot.AlignedData} */
export function moneyData(stats) {
  const price = stats.teacher_price_per_call;
  let saved = 0;
  let spent = 0;
  const savedSeries = [];
  const spentSeries = [];
  for (const h of stats.hourly) {
    saved += h.student * price;
    spent += h.teacher * price;
    savedSeries.push(saved);
    spentSeries.push(spent);
  }
  return [stats.hourly.map((h) => hourSeconds(h.hour)), savedSeries, spentSeries];
}

/** @param {string} label @param {string} color @param {(v: number) => string} show @returns {uPlot.Series} */
const line = (label, color, show) => ({
  label,
  stroke: color,
  width: 2,
  // Always drawn: an hour with traffic between idle ones has no line to show it.
  points: { show: true, size: 6, fill: color },
  value: (_u, v) => (v === null || v === undefined ? "–" : show(v)),
});

/** The threshold as a dashed vertical line over the histogram. @param {() => number | null} threshold */
function thresholdHook(threshold) {
  return (/** @type {uPlot} */ u) => {
    const value = threshold();
    if (value === null) return;
    const x = Math.round(u.valToPos(value, "x", true));
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = COLORS.teacher;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  };
}

/**
 * @param {{ teacherRate: HTMLElement, scores: HTMLElement, money: HTMLElement }} targets
 * @param {Stats} stats
 * @returns {ChartSet}
 */
function create(targets, stats) {
  /** @type {ChartSet} */
  const set = /** @type {ChartSet} */ ({ threshold: stats.threshold?.value ?? null });
  const pct = (/** @type {number} */ v) => `${v.toFixed(1)}%`;
  set.teacherRate = new uPlot(
    {
      width: widthOf(targets.teacherRate),
      height: HEIGHT,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil((max ?? 0) / 10) * 10)] } },
      series: [
        {},
        line("teacher", COLORS.teacher, pct),
        // Dashed, with hollow rings: the teacher's dots stay visible where the two coincide.
        {
          ...line("escalated", COLORS.escalated, pct),
          dash: [4, 4],
          points: { show: true, size: 11, width: 2, fill: "rgba(0, 0, 0, 0)" },
        },
      ],
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
    },
    teacherRateData(stats),
    targets.teacherRate,
  );
  const bars = uPlot.paths.bars?.({ size: [0.9, 60] });
  set.scores = new uPlot(
    {
      width: widthOf(targets.scores),
      height: HEIGHT,
      scales: {
        x: { time: false, range: [0, 1] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 0)] },
      },
      series: [
        {
          label: "score",
          value: (_u, v) => (v === null ? "–" : `${(v - 0.025).toFixed(2)}–${(v + 0.025).toFixed(2)}`),
        },
        {
          label: "answers",
          stroke: COLORS.bars,
          fill: `${COLORS.bars}99`,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
        },
      ],
      axes: [{ label: stats.threshold ? `routing score (${stats.threshold.score})` : "routing score" }, {}],
      hooks: { draw: [thresholdHook(() => set.threshold)] },
    },
    scoreData(stats),
    targets.scores,
  );
  set.money = new uPlot(
    {
      width: widthOf(targets.money),
      height: HEIGHT,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(0.01, max ?? 0)] } },
      series: [{}, line("saved", COLORS.student, dollars), line("spent", COLORS.teacher, dollars)],
      axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => dollars(t)) }],
    },
    moneyData(stats),
    targets.money,
  );
  // Follow the layout: the grid's columns change width with the window.
  const observer = new ResizeObserver(() => {
    set.teacherRate.setSize({ width: widthOf(targets.teacherRate), height: HEIGHT });
    set.scores.setSize({ width: widthOf(targets.scores), height: HEIGHT });
    set.money.setSize({ width: widthOf(targets.money), height: HEIGHT });
  });
  for (const target of Object.values(targets)) observer.observe(target);
  return set;
}

/**
 * Draws the stats: makes the charts on the first call, feeds them new data after.
 * @param {{ teacherRate: HTMLElement, scores: HTMLElement, money: HTMLElement }} targets
 */
export function charts(targets) {
  /** @type {ChartSet | null} */
  let set = null;
  return {
    get current() {
      return set;
    },
    /** @param {Stats} stats */
    update(stats) {
      if (!set) {
        set = create(targets, stats);
        return set;
      }
      set.threshold = stats.threshold?.value ?? null;
      set.teacherRate.setData(teacherRateData(stats));
      set.scores.setData(scoreData(stats));
      set.money.setData(moneyData(stats));
      return set;
    },
  };
}

/** The threshold's caption. @param {Stats} stats */
export const thresholdLabel = (stats) =>
  stats.threshold
    ? `(threshold ${stats.threshold.value.toFixed(3)} on ${stats.threshold.score}, version ${stats.threshold.version}: below it the teacher answers)`
    : "";
