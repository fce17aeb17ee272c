import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { pct } from "../../src/distill/report/format.ts";
import { mdCode, mdImage, mdTable } from "../../src/distill/report/md.ts";
import { xmlErrors } from "../../src/distill/report/xml-check.ts";
import type { Machine } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { bootstrapPlotSvg } from "./plot.ts";
import type { Redistillation } from "./redistil.ts";
import { TARGETS, type Targets, type WindowFigures } from "./windows.ts";

export interface BootstrapResults {
  command: string;
  date: string;
  machine: Machine;
  config: {
    data: string;
    teacherAccuracy: number;
    every: number;
    latencyMs: number;
    keepAgreement: number;
    batch: number;
    inFlight: number;
    seed: number;
    streamTexts: number;
    /** Texts actually sent (fewer than the stream when --max-minutes cut it short). */
    sentTexts: number;
  };
  windows: WindowFigures[];
  redistillations: Redistillation[];
  targets: Targets;
  wallSeconds: number;
}

const MARKERS = sectionMarkers("bootstrap");
const p1 = (x: number) => pct(x, 1);

export async function writeBootstrapReport(
  results: BootstrapResults,
  paths: { markdown: string; json: string; svg: string },
): Promise<void> {
  const svg = bootstrapPlotSvg(results.windows);
  const errors = xmlErrors(svg);
  if (errors.length > 0) throw new Error(`bootstrap plot is not well-formed XML: ${errors.join("; ")}`);
  await mkdir(dirname(paths.svg), { recursive: true });
  await writeFile(paths.svg, svg);
  const svgLink = relative(dirname(paths.markdown), paths.svg);
  await writeReport(paths, MARKERS, results, (json) => renderSection(results, json, svgLink));
}

function windowRow(w: WindowFigures): string[] {
  return [
    String(w.window),
    mdCode(w.version),
    p1(w.teacherRate),
    p1(w.servedAccuracy),
    p1(w.teacherOnlyAccuracy),
    p1(w.agreement),
    `${w.cumulativeTeacherCalls} / ${w.cumulativeTexts} (${p1(w.cumulativeTeacherCalls / w.cumulativeTexts)})`,
  ];
}

const met = (ok: boolean) => (ok ? "met" : "**missed**");

function targetLines(t: Targets): string[] {
  const whole = t.whole.span;
  const lines = [
    `- Whole stream: teacher calls ${p1(whole.teacherRate)} of teacher-only (target ≤ ${p1(TARGETS.wholeTeacherCalls)}: ${met(t.whole.teacherCallsMet)}); served accuracy ${p1(whole.servedAccuracy)} = ${p1(whole.retention)} of teacher-only ${p1(whole.teacherOnlyAccuracy)} (target ≥ ${p1(TARGETS.wholeRetention)}: ${met(t.whole.accuracyMet)}).`,
  ];
  if (t.lastThree) {
    const last = t.lastThree.span;
    lines.push(
      `- Last three windows: teacher rate ${p1(last.teacherRate)} (target ≤ ${p1(TARGETS.lastThreeTeacherRate)}: ${met(t.lastThree.teacherRateMet)}) at ${p1(last.retention)} of teacher-only accuracy (target ≥ ${p1(TARGETS.lastThreeRetention)}: ${met(t.lastThree.accuracyMet)}).`,
    );
  }
  lines.push(
    t.agreementOff.length === 0
      ? `- Realised agreement within 1.5 points of the ${p1(t.agreementTarget)} target in every window a student served: met.`
      : `- Realised agreement more than 1.5 points off the ${p1(t.agreementTarget)} target in windows ${t.agreementOff.join(", ")}: **missed**.`,
  );
  return lines;
}

function renderSection(r: BootstrapResults, jsonLink: string, svgLink: string): string {
  const c = r.config;
  const m = r.machine;
  const cut = c.sentTexts < c.streamTexts ? ` (stopped by --max-minutes after ${c.sentTexts})` : "";
  const promoted = r.redistillations.filter((d) => d.promoted).length;
  return [
    MARKERS.start,
    "## Bootstrap from a teacher alone (`npm run bench:bootstrap`)",
    "",
    "```sh",
    r.command,
    "```",
    "",
    `Method: ${c.data} (every split, out-of-scope included) shuffled with seed ${c.seed}: ${c.streamTexts} texts${cut}, each sent once through \`POST /v1/classify\` (batches of ${c.batch}, ${c.inFlight} requests in flight) on the local stack. The model starts from its label set with **no student**; its teacher is the local teacher server over the OpenAI protocol replaying recorded answers ${p1(c.teacherAccuracy)} right against gold (\`npm run answers\`), ${c.latencyMs} ms per call. After each window of ${c.every} requests, once ${c.every} new records are logged, a student is distilled from the logged teacher answers alone (routing fitted to keep ${p1(c.keepAgreement)} agreement on the held-out slice), gated against the live one at equal teacher rate and published; the stream resumes once the gateway serves it. Teacher-only accuracy is the recorded answers' accuracy on the same window; agreement is the share of served answers equal to the teacher's. ${r.redistillations.length} re-distillations, ${promoted} promoted; ${r.wallSeconds.toFixed(0)} s in all.`,
    "",
    mdTable(
      [
        "window",
        "live student",
        "teacher rate",
        "served accuracy",
        "teacher-only accuracy",
        "agreement",
        "teacher calls so far",
      ],
      r.windows.map(windowRow),
      ["right", "left", "right", "right", "right", "right", "right"],
    ),
    "",
    "Against the targets:",
    "",
    ...targetLines(r.targets),
    "",
    mdImage("teacher rate and accuracy per window", svgLink),
    "",
    `Machine: ${m.nproc} × ${m.cpu}, Node ${m.node}, ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ", ",
      )}, commit ${m.commit ? mdCode(m.commit.slice(0, 12), false) : "—"}; ${r.date}. Raw figures: [${jsonLink}](${jsonLink}).`,
    MARKERS.end,
  ].join("\n");
}
