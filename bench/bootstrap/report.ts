import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { pct } from "../../src/distill/report/format.ts";
import { mdCode, mdImage, mdTable } from "../../src/distill/report/md.ts";
import { xmlErrors } from "../../src/distill/report/xml-check.ts";
import type { Machine } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { bootstrapPlotSvg } from "./plot.ts";
import type { Redistillation } from "./redistil.ts";
import { type BootstrapRun, TARGETS, type Targets, type WindowFigures } from "./windows.ts";

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
    /** One-sided confidence of the agreement's lower bound that must reach keepAgreement. */
    agreementConfidence: number;
    batch: number;
    inFlight: number;
    seed: number;
    streamTexts: number;
    /** Texts actually sent (fewer than the stream when --max-minutes cut it short). */
    sentTexts: number;
  };
  windows: WindowFigures[];
  redistillations: Redistillation[];
  run: BootstrapRun;
  targets: Targets;
  wallSeconds: number;
}

const p1 = (x: number) => pct(x, 1);
const DATA_NAMES: Record<string, string> = { clinc150: "CLINC150", "sms-spam": "SMS spam" };

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
  const markers = sectionMarkers(results.run.section);
  await writeReport(paths, markers, results, (json) => renderSection(results, json, svgLink, markers));
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

/** The routing fit of each re-distillation: every score kind's teacher rate and agreement on the slice. */
const KINDS = ["max_prob", "margin", "entropy", "learned"] as const;

function redistillationRow(d: Redistillation): string[] {
  const fit = d.routingFit;
  const cell = (kind: string) => {
    const row = fit?.rows.find((r) => r.score === kind);
    if (!row) return "—";
    const text = `${p1(row.teacherRate[0]!)} at ${p1(row.agreement[0]!)}`;
    return fit?.shipped === kind ? `**${text}**` : text;
  };
  return [
    String(d.records),
    mdCode(d.version),
    d.promoted ? "live" : "refused",
    fit ? `${fit.n} (${Math.round(fit.effectiveN)})` : "—",
    ...KINDS.map(cell),
  ];
}

function redistillationTable(r: BootstrapResults): string[] {
  if (r.redistillations.length === 0) return [];
  return [
    `Routing fitted at each re-distillation on the held-out slice (records, Kish effective number): teacher rate at agreement of each score kind at its fitted threshold, the shipped one in bold. The learned deferral is cross-fitted on the slice (5 folds).`,
    "",
    mdTable(
      ["logged records", "version", "gate", "slice (n_eff)", ...KINDS],
      r.redistillations.map(redistillationRow),
      ["right", "left", "left", "right", "right", "right", "right", "right"],
    ),
    "",
  ];
}

/** Runs the issue states no targets for: the same figures, not judged. */
function figureLines(t: Targets): string[] {
  const whole = t.whole.span;
  const lines = [
    `- Whole stream: teacher calls ${p1(whole.teacherRate)} of teacher-only; served accuracy ${p1(whole.servedAccuracy)} = ${p1(whole.retention)} of teacher-only ${p1(whole.teacherOnlyAccuracy)}.`,
  ];
  if (t.lastThree) {
    const last = t.lastThree.span;
    lines.push(
      `- Last three windows: teacher rate ${p1(last.teacherRate)} at ${p1(last.retention)} of teacher-only accuracy.`,
    );
  }
  lines.push(
    t.agreementOff.length === 0
      ? `- Realised agreement within 1.5 points of the ${p1(t.agreementTarget)} target in every window a student served.`
      : `- Realised agreement more than 1.5 points off the ${p1(t.agreementTarget)} target in ${windowsOf(t.agreementOff)}.`,
  );
  return lines;
}

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
      : `- Realised agreement more than 1.5 points off the ${p1(t.agreementTarget)} target in ${windowsOf(t.agreementOff)}: **missed**.`,
  );
  return lines;
}

/** How the routing was fitted, and why the operator target is not the issue's 98% when it is not. */
function targetOf(c: BootstrapResults["config"]): { fit: string; why: string } {
  const fit = `routing fitted so that the one-sided ${p1(c.agreementConfidence)} lower Wilson bound (on the Kish effective sample size) of the agreement on the held-out slice reaches ${p1(c.keepAgreement)}, so a small slice escalates more`;
  const why =
    c.keepAgreement < 0.98
      ? ` The operator target is ${p1(c.keepAgreement)} agreement, not the issue's example of 98%: with the 97%-accurate teacher the issue's targets are for, agreeing with it beyond its own accuracy mostly copies its errors, while ${p1(c.keepAgreement)} agreement is what keeps 98.5–99% of its accuracy; every run uses the same target, and agreement below is judged against it.`
      : "";
  return { fit, why };
}

function renderSection(
  r: BootstrapResults,
  jsonLink: string,
  svgLink: string,
  markers: { start: string; end: string },
): string {
  const c = r.config;
  const m = r.machine;
  const cut = c.sentTexts < c.streamTexts ? ` (stopped by --max-minutes after ${c.sentTexts})` : "";
  const promoted = r.redistillations.filter((d) => d.promoted).length;
  const name = DATA_NAMES[c.data] ?? c.data;
  const title = r.run.targetsStated
    ? "## Bootstrap from a teacher alone (`npm run bench:bootstrap`)"
    : `### Bootstrap on ${name} with a ${p1(c.teacherAccuracy)} teacher`;
  return [
    markers.start,
    title,
    "",
    "```sh",
    r.command,
    "```",
    "",
    `Method: ${c.data} (every split${c.data === "clinc150" ? ", out-of-scope included" : ""}) shuffled with seed ${c.seed}: ${c.streamTexts} texts${cut}, each sent once through \`POST /v1/classify\` (batches of ${c.batch}, ${c.inFlight} requests in flight) on the local stack. The model starts from its label set with **no student**; its teacher is the local teacher server over the OpenAI protocol replaying recorded answers ${p1(c.teacherAccuracy)} right against gold (\`npm run answers\`), ${c.latencyMs} ms per call, within a gateway teacher deadline of 5 s (\`TEACHER_TIMEOUT_MS\`, as for an LLM); a request answered 503 \`teacher_unavailable\` is resent after 1 s, as a client honouring \`Retry-After\` would. After each window of ${c.every} requests, once ${c.every} new records are logged, a student is distilled from the logged teacher answers alone (soft targets from the teacher's top-5 logprobs; ${targetOf(c).fit}), gated against the live one at equal teacher rate and published; the stream resumes once the gateway serves it. Teacher-only accuracy is the recorded answers' accuracy on the same window; agreement is the share of served answers equal to the teacher's. ${r.redistillations.length} re-distillations, ${promoted} promoted; ${r.wallSeconds.toFixed(0)} s in all.${targetOf(c).why}`,
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
    ...redistillationTable(r),
    ...(r.run.targetsStated
      ? ["Against the targets:", "", ...targetLines(r.targets)]
      : [
          "Figures (the issue states targets for CLINC150 with the 97% teacher only):",
          "",
          ...figureLines(r.targets),
        ]),
    "",
    mdImage("teacher rate and accuracy per window", svgLink),
    "",
    `Machine: ${m.nproc} × ${m.cpu}, Node ${m.node}, ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ", ",
      )}, commit ${m.commit ? mdCode(m.commit.slice(0, 12), false) : "—"}; ${r.date}. Raw figures: [${jsonLink}](${jsonLink}).`,
    markers.end,
  ].join("\n");
}

const windowsOf = (ws: readonly number[]) => `${ws.length === 1 ? "window" : "windows"} ${ws.join(", ")}`;
