import type { Page } from "playwright-core";
import type { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";

/**
 * Reading the dashboard from inside the browser: the uPlot instances' data (the page exposes them as
 * `window.apprentice.charts` for the console), and how much of a series' colour a chart's canvas holds.
 * These functions run in the page, so they may only use what they are given and the page's globals.
 */
type Series = (number | null)[];

export interface ChartData {
  teacherRate: Series[];
  scores: Series[];
  money: Series[];
  threshold: number | null;
}

interface DashboardGlobal {
  apprentice: {
    charts: {
      teacherRate: { data: Series[] };
      scores: { data: Series[] };
      money: { data: Series[] };
      threshold: number | null;
    } | null;
    refresh(): Promise<void>;
    examples: { visible(): { id: string }[] };
  };
}

/** Refreshes the page's figures (as its Refresh button does) and waits until they are drawn. */
export async function refreshPage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await (globalThis as unknown as DashboardGlobal).apprentice.refresh();
  });
}

export async function chartData(page: Page): Promise<ChartData | null> {
  return page.evaluate(() => {
    const charts = (globalThis as unknown as DashboardGlobal).apprentice.charts;
    if (!charts) return null;
    const copy = (data: Series[]) => data.map((s) => [...s]);
    return {
      teacherRate: copy(charts.teacherRate.data),
      scores: copy(charts.scores.data),
      money: copy(charts.money.data),
      threshold: charts.threshold,
    };
  });
}

/** The ids of the hard examples the table's filters let through, as the page holds them. */
export async function visibleExampleIds(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (globalThis as unknown as DashboardGlobal).apprentice.examples.visible().map((r) => r.id),
  );
}

/** What each chart should hold for these statistics: the page's contract with /admin/stats. */
export function expectedCharts(stats: StatsResponse): ChartData {
  const x = stats.hourly.map((h) => Date.parse(`${h.hour}:00:00Z`) / 1000);
  const price = stats.teacher_price_per_call;
  const running = (pick: (h: StatsResponse["hourly"][number]) => number) => {
    let sum = 0;
    return stats.hourly.map((h) => (sum += pick(h) * price));
  };
  return {
    teacherRate: [
      x,
      stats.hourly.map((h) => (h.teacher_rate === null ? null : h.teacher_rate * 100)),
      stats.hourly.map((h) => (h.answers ? ((h.teacher + h.cache + h.degraded) / h.answers) * 100 : null)),
    ],
    scores: [
      stats.score_histogram.counts.map((_, i) => (i + 0.5) / stats.score_histogram.bins),
      stats.score_histogram.counts,
    ],
    money: [x, running((h) => h.student), running((h) => h.teacher)],
    threshold: stats.threshold?.value ?? null,
  };
}

/**
 * Pixels of a chart's canvas close to an RGB colour (a series' stroke or fill): more than a few means
 * uPlot drew that series, not just the empty axes.
 */
export async function inkOf(page: Page, chartId: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ chartId, rgb }) => {
      interface Canvas {
        width: number;
        height: number;
        getContext(kind: "2d"): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      }
      const doc = (globalThis as unknown as { document: { querySelector(s: string): Canvas | null } })
        .document;
      const canvas = doc.querySelector(`#${chartId} canvas`);
      if (!canvas) return -1;
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near =
          Math.abs(data[i]! - rgb[0]) + Math.abs(data[i + 1]! - rgb[1]) + Math.abs(data[i + 2]! - rgb[2]) <
          60;
        if (near && data[i + 3]! > 100) count++;
      }
      return count;
    },
    { chartId, rgb },
  );
}
