import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkLog } from "../../bench/soak/log-check.ts";
import { type Clock, openLoop, requestCount } from "../../bench/soak/open-loop.ts";
import { renderSoakSection, type SoakResults, soakPasses, writeSoakReport } from "../../bench/soak/report.ts";
import { type Outcome, outcomeOf, percentile, tally } from "../../bench/soak/tally.ts";
import { isEscalated, soakText, uniqueTag } from "../../bench/soak/texts.ts";
import { hardExampleId } from "../../src/gateway/hard-example-log/record.ts";
import { forLog } from "../../src/gateway/privacy/policy.ts";

/** The soak benchmark's pure parts: texts, the open-loop schedule, the tally and the log check. */
const FEATURIZER = { normalization: "NFKC", lowercase: true } as const;
const manifest: Parameters<typeof hardExampleId>[0] = { name: "clinc150", normalization: FEATURIZER };

describe("soak texts", () => {
  it("gives every request its own hard-example id, even when the base texts repeat and hold numbers", async () => {
    const bases = [
      "Call me on +44 20 7946 0958",
      "CALL ME ON +44 20 7946 0958",
      "card 4111 1111 1111 1111",
      "hi",
    ];
    const ids = new Set<string>();
    for (let i = 0; i < 3000; i++)
      ids.add(await hardExampleId(manifest, forLog(soakText(bases, i), "log").text));
    expect(ids.size).toBe(3000);
  });

  it("tags with lowercase letters only, distinct for each index", () => {
    const tags = Array.from({ length: 30_000 }, (_, i) => uniqueTag(i));
    expect(new Set(tags).size).toBe(tags.length);
    expect(tags.filter((tag) => !/^ref[a-z]+$/.test(tag))).toEqual([]);
    expect(() => uniqueTag(-1)).toThrow();
  });

  it("asks for the teacher on exactly one request in `every`", () => {
    const asked = Array.from({ length: 2400 }, (_, i) => i).filter((i) => isEscalated(i, 10));
    expect(asked.length).toBe(240);
  });
});

/** A clock that only moves when slept on, so the schedule can be checked without real time. */
function fakeClock(): Clock & { slept: number } {
  let now = 0;
  const clock = {
    slept: 0,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

describe("open loop", () => {
  it("sends every request on its schedule without waiting for earlier answers", async () => {
    const clock = fakeClock();
    const sent: { i: number; at: number }[] = [];
    let releaseFirst: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const run = openLoop({
      ratePerS: 40,
      durationS: 2,
      clock,
      send: async (i, scheduledAt) => {
        sent.push({ i, at: scheduledAt });
        // The first answer arrives only after the last request went out.
        if (i === 0) await first;
        if (i === 79) releaseFirst();
        return i;
      },
    });
    const { results, maxSendLagMs } = await run;
    expect(requestCount(40, 2)).toBe(80);
    expect(results).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expect(sent.map((s) => s.at)).toEqual(Array.from({ length: 80 }, (_, i) => i * 25));
    expect(maxSendLagMs).toBe(0);
  });

  it("refuses a rate or duration that is not positive", () => {
    expect(() => requestCount(0, 60)).toThrow();
    expect(() => requestCount(40, -1)).toThrow();
  });
});

const answer = (source: string, degraded = false) =>
  JSON.stringify({
    model: "clinc150",
    version: "1.0.0",
    results: [{ label: "x", confidence: 0.5, source, ...(degraded ? { degraded: true } : {}) }],
  });
const ctx = (text: string, asked = true, teacherUp = true) => ({ latencyMs: 5, asked, teacherUp, text });

describe("tally", () => {
  it("counts escalations as teacher, cache and degraded answers, and failures apart", () => {
    const outcomes: Outcome[] = [
      outcomeOf(200, answer("student"), ctx("a refa", false)),
      outcomeOf(200, answer("teacher"), ctx("b refb")),
      outcomeOf(200, answer("cache"), ctx("c refc")),
      outcomeOf(200, answer("student", true), ctx("d refd", true, false)),
      outcomeOf(503, '{"error":{}}', ctx("e refe")),
      outcomeOf(200, "<html>", ctx("f reff")),
      { kind: "network", message: "fetch failed: ECONNRESET", teacherUp: true },
    ];
    const t = tally(outcomes);
    expect(t).toMatchObject({
      requests: 7,
      ok2xx: 4,
      non2xx: 2,
      networkErrors: 1,
      escalations: 3,
      bySource: { teacher: 1, cache: 1, degraded: 1 },
      degraded: 1,
      sentWhileTeacherDown: 1,
      askedWhileTeacherDown: 1,
      unaskedEscalations: 0,
    });
    expect(t.failures).toHaveLength(3);
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeNull();
  });
});

describe("log check", () => {
  const outcomes: Outcome[] = [
    outcomeOf(200, answer("teacher"), ctx("one reftx")),
    outcomeOf(200, answer("student", true), ctx("two refdg")),
    outcomeOf(200, answer("student"), ctx("three refst", false)),
  ];

  it("is equal when every escalation has exactly one record with its route", () => {
    const records = [
      { text: "one reftx", route: "teacher" as const },
      { text: "two refdg", route: "degraded" as const },
    ];
    const check = checkLog(outcomes, records, 2, 3);
    expect(check).toMatchObject({ escalations: 2, records: 2, missing: 0, unexpected: 0, equal: true });
    expect(check.byRoute).toEqual({ teacher: 1, degraded: 1 });
  });

  it("reports lost, doubled, unexpected and misrouted records, and an index count that differs", () => {
    expect(checkLog(outcomes, [{ text: "one reftx", route: "teacher" }], 1, 0)).toMatchObject({
      missing: 1,
      equal: false,
    });
    const doubled = checkLog(
      outcomes,
      [
        { text: "one reftx", route: "teacher" },
        { text: "one reftx", route: "teacher" },
        { text: "two refdg", route: "degraded" },
      ],
      2,
      0,
    );
    expect(doubled).toMatchObject({ duplicated: 1, equal: false });
    const odd = checkLog(
      outcomes,
      [
        { text: "one reftx", route: "degraded" },
        { text: "two refdg", route: "degraded" },
        { text: "three refst", route: "audit" },
      ],
      3,
      0,
    );
    expect(odd).toMatchObject({ wrongRoute: 1, unexpected: 1, equal: false });
    const good = [
      { text: "one reftx", route: "teacher" as const },
      { text: "two refdg", route: "degraded" as const },
    ];
    expect(checkLog(outcomes, good, 3, 0).equal).toBe(false);
  });
});

describe("soak report", () => {
  const results = (equal: boolean): SoakResults => {
    const requests = tally([outcomeOf(200, answer("teacher"), ctx("one reftx"))]);
    const log = checkLog(
      [outcomeOf(200, answer("teacher"), ctx("one reftx"))],
      equal ? [{ text: "one reftx", route: "teacher" }] : [],
      equal ? 1 : 0,
      6,
    );
    return {
      command: "npm run bench:soak",
      date: "2026-01-01",
      machine: { nproc: 2, cpu: "cpu", node: "v20", packages: { zod: "4" }, commit: null },
      settings: {
        ratePerS: 40,
        durationS: 60,
        escalateEvery: 10,
        teacherUpS: 4,
        teacherDownS: 4,
        teacherLatencyMs: 20,
        drainTimeoutS: 90,
        model: "clinc150",
        vars: { AUDIT_RATE: "0" },
      },
      maxSendLagMs: 1,
      loadSeconds: 60,
      teacherDowns: [{ fromS: 4, toS: 8.5 }],
      requests,
      log,
      pass: soakPasses(requests, log),
    };
  };

  it("states the verdict: pass only with no failed request and equal counts", () => {
    expect(renderSoakSection(results(true), "x.json")).toContain("**Verdict: pass**");
    expect(results(false).pass).toBe(false);
    expect(renderSoakSection(results(false), "x.json")).toContain("**Verdict: FAIL**");
  });

  it("replaces only its own section of BENCHMARKS.md", async () => {
    const dir = await mkdtemp(join(tmpdir(), "soak-report-"));
    try {
      const markdown = join(dir, "BENCHMARKS.md");
      const other = "<!-- bench:http:start -->\nhttp figures\n<!-- bench:http:end -->";
      await writeFile(markdown, `# Benchmarks\n\n${other}\n`);
      await writeSoakReport(results(true), { markdown, json: join(dir, "results", "soak.json") });
      await writeSoakReport(results(true), { markdown, json: join(dir, "results", "soak.json") });
      const text = await readFile(markdown, "utf8");
      expect(text).toContain(other);
      expect(text.match(/<!-- bench:soak:start -->/g)).toHaveLength(1);
      expect(JSON.parse(await readFile(join(dir, "results", "soak.json"), "utf8")).pass).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
