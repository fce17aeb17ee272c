import { mkdir, readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HardExampleRecord } from "../../src/core/hard-example.ts";
import { Decisions } from "../../src/gateway/admin/models/schemas.ts";
import { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import type { Stack } from "../../src/stack.ts";
import {
  type Browser,
  chromiumMissing,
  launchChromium,
  type PageProblems,
  watchPage,
} from "../helpers/chromium.ts";
import {
  type ChartData,
  chartData,
  expectedCharts,
  inkOf,
  refreshPage,
  visibleExampleIds,
} from "../helpers/dashboard-page.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";
import { type Sent, sendClincTraffic, uploadClincVersion } from "../helpers/stack-traffic.ts";

/**
 * The dashboard in real headless Chromium against the `npm start` stack (wrangler dev + the local
 * teacher, fresh local state): real CLINC150 traffic, a second uploaded version, then the page as an
 * operator uses it. It must load without console errors or CSP violations, draw what /admin/stats says,
 * filter and export the hard examples, promote and roll back, show a shadow and a canary against live
 * and the decision the cron took, and the teacher budget in use, refuse a wrong token, and keep the token
 * in session storage only. The screenshot goes to test-results/dashboard.png.
 */
const missing = chromiumMissing();
if (missing && process.env.CI === "true") throw new Error(`dashboard browser test: ${missing}`);
if (missing) console.warn(`dashboard browser test skipped: ${missing}`);
const VERSION = "1.0.1-dashboard";
const SCREENSHOT = "test-results/dashboard.png";
const CANARY_SHOT = "test-results/dashboard-canary.png";
/** Table rows the page draws at first (PAGE_ROWS in ui/examples.js). */
const PAGE_ROWS = 50;
/** How many entries the page's origin keeps in session and local storage. */
const storedIn = (p: Page) =>
  p.evaluate(() => {
    const w = globalThis as unknown as Record<"sessionStorage" | "localStorage", { length: number }>;
    return { session: w.sessionStorage.length, local: w.localStorage.length };
  });
/** The page's formats (ui/format.js), to say what a cell must read from the API's figures. */
const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);
const num = (n: number) => n.toLocaleString("en-US");
const pp = (d: number) => `${d < 0 ? "−" : "+"}${Math.abs(d * 100).toFixed(1)} pp`;
const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");
type Rate = Decisions["evidence"][number]["candidate"];
const rateText = (r: Rate) =>
  r.total === 0
    ? "no evidence yet"
    : `${pct(r.rate)} (${pct(r.lower)}–${pct(r.upper)}, ${num(r.agree)} of ${num(r.total)})`;
/** A rate with its interval and counts, as the page writes it. */
const RATE_TEXT = /^\d+\.\d% \(\d+\.\d%–\d+\.\d%, \d+ of \d+\)$/;
const differenceText = (d: { lower: number; upper: number }) => `${pp(d.lower)} to ${pp(d.upper)}`;
/** Confident and unsure CLINC150 requests, all sent to the teacher so every text is evidence. */
const TEACHER_TEXTS = [
  "what is my credit score",
  "set an alarm for 7am",
  "book a flight in paris",
  "how much money is in my checking account",
  "asdf qwer",
];
const COLORS = { teacher: [194, 65, 12], bars: [37, 99, 235], saved: [15, 118, 110] } as const;

const TITLE = `dashboard in headless Chromium${missing ? ` (skipped: ${missing})` : ""}`;

describe.skipIf(missing !== null)(TITLE, () => {
  let fresh: FreshStack;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  let sent: Sent;
  const admin = () => ({ authorization: `Bearer ${stack.adminToken}` });
  const adminGet = (path: string) => fetch(`${stack.gatewayUrl}${path}`, { headers: admin() });
  const stats = async (filters = "") =>
    StatsResponse.parse(await (await adminGet(`/admin/stats?model=clinc150${filters}`)).json());
  const hardExamples = async (since: string) => {
    const res = await adminGet(`/admin/hard-examples?model=clinc150&since=${since}&limit=5000`);
    const text = await res.text();
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HardExampleRecord);
  };
  const ready = () => page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
  const kpi = (term: string) => page.locator(".kpi", { hasText: term }).locator("dd").textContent();
  /**
   * The charts hold what /admin/stats answers for these filters: compared with a fresh read, refreshing
   * the page until both saw the same data (the window moves, and late queue batches may land).
   */
  async function drawsStats(filters = ""): Promise<ChartData> {
    let expected = expectedCharts(await stats(filters));
    await expect
      .poll(
        async () => {
          await refreshPage(page);
          expected = expectedCharts(await stats(filters));
          return JSON.stringify(await chartData(page)) === JSON.stringify(expected);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    return expected;
  }

  beforeAll(async () => {
    fresh = await startFreshStack("dashboard", {
      // Usage reaches D1 quickly; a quarter of confident answers audited, so agreement has samples; a
      // teacher budget far above the traffic, so it is used and shown but refuses nothing.
      vars: {
        USAGE_FLUSH_MS: "500",
        AUDIT_RATE: "0.25",
        REGISTRY_TTL_MS: "1000",
        TEACHER_BUDGET_PER_HOUR: "100000",
        TEACHER_BUDGET_PER_DAY: "1000000",
      },
      // GET /__scheduled runs the canary decisions, as the cron would.
      testScheduled: true,
    });
    stack = fresh.stack;
    sent = await sendClincTraffic(stack.gatewayUrl);
    await uploadClincVersion(stack.gatewayUrl, stack.adminToken, VERSION);
    // Usage counts and hard examples reach D1 through the queue within seconds.
    const settled = async () => {
      const s = await stats();
      const escalated = s.routes.teacher + s.routes.cache + s.routes.degraded;
      return s.totals.answers === sent.answers && escalated === sent.escalated && s.agreement.samples > 0;
    };
    for (const deadline = Date.now() + 60_000; !(await settled()); ) {
      if (Date.now() > deadline)
        throw new Error(
          `D1 never showed the traffic: sent ${JSON.stringify(sent)}, stats ${JSON.stringify(await stats(), ["totals", "answers", "teacher", "cache", "degraded", "routes", "audit", "agreement", "samples"])}`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchChromium();
    page = await browser.context.newPage();
    problems = await watchPage(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await fresh?.stop();
  });

  it("refuses a wrong token with an error and stores nothing", async () => {
    const other = await browser.context.newPage();
    const otherProblems = await watchPage(other);
    await other.goto(`${stack.gatewayUrl}/dashboard`);
    await other.waitForSelector('body[data-state="signed-out"]');
    await other.getByLabel("Admin token").fill("x".repeat(40));
    await other.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => other.locator("#sign-in-error").textContent()).toContain("Wrong token");
    expect(await other.locator("#sign-in-error").isVisible()).toBe(true);
    expect(await other.locator("#board").isVisible()).toBe(false);
    expect(await storedIn(other)).toEqual({ session: 0, local: 0 });
    // The browser logs the refused call itself; nothing else may go wrong.
    expect(otherProblems.console.every((m) => m.includes("403"))).toBe(true);
    expect(otherProblems.exceptions).toEqual([]);
    expect(await otherProblems.csp()).toEqual([]);
    await other.close();
  });

  it("signs in and draws what /admin/stats says", async () => {
    await page.goto(`${stack.gatewayUrl}/dashboard`);
    await page.getByLabel("Admin token").fill(stack.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await ready();
    await page.selectOption("#model", "clinc150");
    await ready();
    const expected = await drawsStats();
    const drawn = (await chartData(page))!;
    expect(drawn).toEqual(expected);
    expect(drawn.scores[1]!.reduce((a, b) => a! + b!, 0)).toBeGreaterThan(0);
    expect(drawn.teacherRate[1]!.some((v) => v !== null && v > 0)).toBe(true);
    expect(drawn.money[1]!.at(-1)).toBeGreaterThan(0);
    expect(drawn.threshold).not.toBeNull();
    // The canvases hold the series, not just axes: the teacher line, the bars and the threshold, money saved.
    expect(await inkOf(page, "chart-teacher-rate", [...COLORS.teacher])).toBeGreaterThan(20);
    expect(await inkOf(page, "chart-scores", [...COLORS.bars])).toBeGreaterThan(100);
    expect(await inkOf(page, "chart-scores", [...COLORS.teacher])).toBeGreaterThan(20);
    expect(await inkOf(page, "chart-money", [...COLORS.saved])).toBeGreaterThan(20);

    const s = await stats();
    expect(await kpi("Answers")).toBe(s.totals.answers.toLocaleString("en-US"));
    expect(await page.locator("#agreement-figure").textContent()).toBe(
      `${(s.agreement.rate! * 100).toFixed(1)}%`,
    );
    expect(await page.locator("#threshold-label").textContent()).toContain(s.threshold!.value.toFixed(3));
  }, 60_000);

  it("shows the accuracy of student and teacher against feedback, and the teacher's worst labels", async () => {
    // Feedback by text on logged texts: their student and teacher labels come from the log.
    const logged = (await hardExamples("2000-01-01")).filter((r) => r.teacher && r.student).slice(0, 4);
    expect(logged).toHaveLength(4);
    const wrongLabel = (r: HardExampleRecord) => (r.teacher!.label === "alarm" ? "balance" : "alarm");
    // The teacher is right on the first three, wrong on the last.
    const labels = logged.map((r, i) => (i < 3 ? r.teacher!.label : wrongLabel(r)));
    for (const [i, r] of logged.entries()) {
      const res = await fetch(`${stack.gatewayUrl}/v1/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "clinc150", text: r.text, label: labels[i] }),
      });
      expect(res.status).toBe(202);
    }
    await expect
      .poll(async () => (await stats()).feedback.samples, { timeout: 30_000, interval: 500 })
      .toBe(4);
    await refreshPage(page);
    await ready();
    const { feedback } = await stats();
    const rowText = (table: string) =>
      page
        .locator(`#${table} tbody tr`)
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll("td")].map((td) => td.textContent)),
        );
    const pct = (x: number | null) => `${(x! * 100).toFixed(1)}%`;
    const line = (who: string, a: typeof feedback.student) => [
      who,
      pct(a.rate),
      `${pct(a.low)}–${pct(a.high)}`,
      `${a.correct} of ${a.samples}`,
    ];
    expect(feedback.teacher).toMatchObject({ samples: 4, correct: 3 });
    expect(await rowText("feedback-table")).toEqual([
      line("Student", feedback.student),
      line("Teacher", feedback.teacher),
    ]);
    // Of the feedback with that true label, the teacher missed one.
    const missed = labels[3]!;
    const withMissed = String(labels.filter((l) => l === missed).length);
    expect(await rowText("teacher-errors-table")).toEqual([[missed, "1", withMissed]]);
  }, 60_000);

  it("narrows the figures to one version and to a shorter window", async () => {
    await page.selectOption("#version", VERSION);
    const uploaded = await drawsStats(`&version=${VERSION}`);
    expect(uploaded.scores[1]!.every((n) => n === 0)).toBe(true);
    expect(await kpi("Answers")).toBe("0");
    await page.selectOption("#version", "1.0.0");
    const bundled = await drawsStats("&version=1.0.0");
    expect(bundled.scores[1]!.some((n) => n! > 0)).toBe(true);
    expect(await kpi("Answers")).toBe(String(sent.answers));
    await page.selectOption("#version", "");
    await page.selectOption("#hours", "1");
    expect((await drawsStats("&hours=1")).teacherRate[0]).toHaveLength(1);
    await page.selectOption("#hours", "24");
    await drawsStats();
  }, 60_000);

  it("filters the hard examples by route, label and text, and exports what it shows", async () => {
    const records = await hardExamples((await stats()).since);
    expect(records.length).toBeGreaterThanOrEqual(sent.escalated);
    await expect
      .poll(async () => {
        await refreshPage(page);
        return (await visibleExampleIds(page)).length;
      })
      .toBe(records.length);
    const rows = () => page.locator("#examples-table tbody tr").count();
    const expectShown = async (keep: (r: HardExampleRecord) => boolean) => {
      const ids = records
        .filter(keep)
        .map((r) => r.id)
        .reverse();
      expect(ids.length).toBeGreaterThan(0);
      expect(await visibleExampleIds(page)).toEqual(ids);
      expect(await rows()).toBe(Math.min(ids.length, PAGE_ROWS));
      expect(await page.locator("#examples-count").textContent()).toContain(
        `${ids.length} of ${records.length}`,
      );
    };
    expect(await rows()).toBe(Math.min(records.length, PAGE_ROWS));
    if (records.length > PAGE_ROWS) {
      await page.getByRole("button", { name: "Show 50 more" }).click();
      expect(await rows()).toBe(Math.min(records.length, 2 * PAGE_ROWS));
    }

    await page.selectOption("#examples-route", "audit");
    await expectShown((r) => r.route === "audit");
    await page.selectOption("#examples-route", "teacher");
    await expectShown((r) => r.route === "teacher");
    await page.selectOption("#examples-route", "");

    const labels = records.flatMap((r) => [r.student!.label, ...(r.teacher ? [r.teacher.label] : [])]);
    const label = labels.find((l) => labels.filter((m) => m === l).length > 1) ?? labels[0]!;
    await page.selectOption("#examples-label", label);
    await expectShown((r) => r.student?.label === label || r.teacher?.label === label);
    await page.selectOption("#examples-label", "");

    const word = records[0]!.text.split(/\s+/).sort((a, b) => b.length - a.length)[0]!;
    await page.getByLabel("Search text").fill(word);
    await expectShown((r) => r.text.toLowerCase().includes(word.toLowerCase()));
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#examples-export")]);
    const exported = (await readFile((await download.path())!, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(exported.map((r: HardExampleRecord) => r.id)).toEqual(await visibleExampleIds(page));
    expect(exported[0]).toEqual(records.find((r) => r.id === exported[0].id));
    await page.getByLabel("Search text").fill("");

    await mkdir("test-results", { recursive: true });
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.screenshot({ path: SCREENSHOT });
  }, 60_000);

  it("promotes a version and rolls it back, and the gateway serves each", async () => {
    // Each switch asks first; the first question is declined.
    const asked: string[] = [];
    let accept = false;
    page.on("dialog", (dialog) => {
      asked.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
    const live = async () =>
      ((await (await adminGet("/admin/models/clinc150")).json()) as { live: string }).live;
    const served = async () =>
      ((await (await fetch(`${stack.gatewayUrl}/v1/models/clinc150`)).json()) as { version: string }).version;
    expect(await live()).toBe("1.0.0");

    const promote = page.getByRole("button", { name: `Promote ${VERSION}` });
    await promote.click();
    await expect.poll(() => asked).toEqual([`Make ${VERSION} the live version of clinc150?`]);
    expect(await live()).toBe("1.0.0");
    accept = true;
    await promote.click();
    await expect.poll(() => page.locator("#versions-status").textContent()).toContain(`${VERSION} is live`);
    expect(await live()).toBe(VERSION);
    await expect.poll(served, { timeout: 15_000 }).toBe(VERSION);
    const row = page.locator("#versions-table tbody tr", { hasText: VERSION });
    // The page re-reads the registry after the switch: the table follows.
    await expect.poll(() => row.locator("td").first().textContent()).toBe("live");

    await page.getByRole("button", { name: "Roll back to 1.0.0" }).click();
    await expect.poll(() => page.locator("#versions-status").textContent()).toContain("1.0.0 is live");
    expect(await live()).toBe("1.0.0");
    await expect.poll(served, { timeout: 15_000 }).toBe("1.0.0");
    expect(asked.at(-1)).toBe(`Roll clinc150 back from ${VERSION} to 1.0.0?`);
  }, 60_000);

  it("shows a shadow and a canary against live with their intervals, and the decision the cron took", async () => {
    const model = (method: string, path: string, body: unknown) =>
      fetch(`${stack.gatewayUrl}/admin/models/clinc150${path}`, {
        method,
        headers: { ...admin(), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const decisions = async () =>
      Decisions.parse(await (await adminGet("/admin/models/clinc150/decisions")).json());
    const teacherTraffic = async () => {
      // Past the registry TTL (1 s), so every isolate sees the new pointer.
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ texts: TEACHER_TEXTS, options: { teacher: "always" } }),
        });
        expect(res.status).toBe(200);
      }
    };
    /** The table as the page shows it equals what the API says, refreshing until both saw the same. */
    const shows = async (table: string, expected: (d: Decisions) => string[][]) => {
      let want: string[][] = [];
      await expect
        .poll(
          async () => {
            await refreshPage(page);
            want = expected(await decisions());
            return JSON.stringify(await rowsOf(table)) === JSON.stringify(want);
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(true);
      return want;
    };
    const rowsOf = (table: string) =>
      page
        .locator(`#${table} tbody tr`)
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll("td")].map((td) => td.textContent ?? "")),
        );
    const standing = (d: Decisions) =>
      d.evidence.map((e) => [
        e.role,
        e.candidate.version,
        e.evidence,
        rateText(e.candidate),
        rateText(e.live),
        differenceText(e.difference),
        e.verdict,
        e.feedback === null
          ? "–"
          : `${num(e.feedback.candidate)} / ${num(e.feedback.live)} of ${num(e.feedback.required)}`,
      ]);

    // A shadow on every request the live version serves: it runs on the texts the teacher labelled.
    expect((await model("PUT", "/shadow", { version: VERSION, percent: 100 })).status).toBe(200);
    await teacherTraffic();
    await expect
      .poll(async () => (await decisions()).evidence[0]?.candidate.total ?? 0, { timeout: 30_000 })
      .toBeGreaterThan(0);
    const [shadow] = await shows("evidence-table", standing);
    expect(shadow!.slice(0, 3)).toEqual(["shadow", VERSION, "teacher"]);
    expect(shadow![3]).toMatch(RATE_TEXT);

    // The same version as a canary on half the requests, with a time limit the next cron run passes.
    const promoted = await model("POST", "/promote", {
      version: VERSION,
      canary_percent: 50,
      decision: { time_limit_hours: 0.001 },
    });
    expect(promoted.status).toBe(200);
    await teacherTraffic();
    await expect
      .poll(
        async () => {
          const [e] = (await decisions()).evidence;
          return Math.min(e?.candidate.total ?? 0, e?.live.total ?? 0);
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    const [canary] = await shows("evidence-table", standing);
    expect(canary!.slice(0, 3)).toEqual(["canary", VERSION, "teacher"]);
    expect(canary![3]).toMatch(RATE_TEXT);
    expect(canary![7]).toMatch(/^0 \/ \d+ of 100$/);
    await page.locator("section", { has: page.locator("#evidence-table") }).screenshot({ path: CANARY_SHOT });

    // The cron: the canary could not show it is better or worse in time, so the limit rolls it back.
    await expect
      .poll(
        async () => {
          await fetch(`${stack.gatewayUrl}/__scheduled?cron=*/5+*+*+*+*`);
          return (await decisions()).decisions.length;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(1);
    const [decided] = await shows("decisions-table", (d) =>
      [...d.decisions]
        .reverse()
        .map((x) => [
          minute(x.at),
          `${x.action} ${x.canary}`,
          x.reason,
          x.evidence,
          rateText(x.figures.canary),
          `${x.live}: ${rateText(x.figures.live)}`,
          differenceText(x.figures.difference),
        ]),
    );
    expect(decided!.slice(1, 4)).toEqual([`rollback ${VERSION}`, "time_limit", "teacher"]);
    expect(await rowsOf("evidence-table")).toEqual([["No shadow or canary running."]]);
  }, 120_000);

  it("shows the teacher budget in use, as its counter reports it", async () => {
    const usedText = (w: { limit: number | null; used: number }) =>
      w.limit === null ? num(w.used) : `${num(w.used)} of ${num(w.limit)} (${pct(w.used / w.limit)})`;
    let budget = (await stats()).budget;
    await expect
      .poll(
        async () => {
          await refreshPage(page);
          budget = (await stats()).budget;
          const want = budget
            ? [
                ["This hour", usedText(budget.hour), num(budget.hour.refused), minute(budget.hour.resets_at)],
                ["Today", usedText(budget.day), num(budget.day.refused), minute(budget.day.resets_at)],
              ]
            : [];
          const shown = await page
            .locator("#budget-table tbody tr")
            .evaluateAll((rows) =>
              rows.map((row) => [...row.querySelectorAll("td")].map((td) => td.textContent)),
            );
          return JSON.stringify(shown) === JSON.stringify(want);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    expect(budget).toMatchObject({ limits: { per_hour: 100_000, per_day: 1_000_000 } });
    expect(budget!.hour.used).toBeGreaterThan(0);
    expect(budget!.day.used).toBeGreaterThanOrEqual(budget!.hour.used);
    expect(await page.locator("#budget-table tbody tr").first().locator("td").nth(1).textContent()).toBe(
      `${num(budget!.hour.used)} of 100,000 (${pct(budget!.hour.used / 100_000)})`,
    );
  }, 60_000);

  it("kept the token in session storage only, and signing out forgets it", async () => {
    const stored = () => storedIn(page);
    expect(await stored()).toEqual({ session: 1, local: 0 });
    expect(await browser.context.cookies()).toEqual([]);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await stored()).toEqual({ session: 0, local: 0 });
    expect(await page.locator("#sign-in").isVisible()).toBe(true);
    expect(await page.locator("#board").isVisible()).toBe(false);
  });

  it("logged no console error, exception or CSP violation on the way", async () => {
    expect(problems.console).toEqual([]);
    expect(problems.exceptions).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
