import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { pct } from "../../src/distill/report/format.ts";
import { mdCode, mdTable } from "../../src/distill/report/md.ts";
import { xmlErrors } from "../../src/distill/report/xml-check.ts";
import { sectionMarkers, writeSection } from "../common/section.ts";
import { loopPlotSvg } from "./plot.ts";
import { LoopResults, type RoundResult } from "./results.ts";

const MARKERS = sectionMarkers("loop");
const START = MARKERS.start;
const END = MARKERS.end;

/**
 * Writes the JSON beside the markdown, the plot, and the loop's section of BENCHMARKS.md (between its
 * markers, so other benchmarks' sections in the file are left as they are).
 */
export async function writeLoopReport(
  results: LoopResults,
  paths: { markdown: string; json: string; svg: string },
): Promise<void> {
  LoopResults.parse(results);
  const svg = loopPlotSvg(
    results.rounds.map((r) => ({ round: r.round, figures: r.test, promoted: r.round === 0 || r.promoted })),
  );
  const errors = xmlErrors(svg);
  if (errors.length > 0) throw new Error(`loop plot is not well-formed XML: ${errors.join("; ")}`);
  for (const path of [paths.json, paths.svg]) await mkdir(dirname(path), { recursive: true });
  await writeFile(paths.json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(paths.svg, svg);
  const section = renderSection(results, {
    json: relative(dirname(paths.markdown), paths.json),
    svg: relative(dirname(paths.markdown), paths.svg),
  });
  await writeSection(paths.markdown, MARKERS, section);
}

const p1 = (x: number | null) => pct(x, 1);

function row(r: RoundResult, round0: number | null): string[] {
  const at = r.test.atRetention.teacherRate;
  const change =
    at !== null && round0 !== null && round0 > 0 ? `${((at / round0 - 1) * 100).toFixed(0)}%` : "—";
  const stream = r.streamBefore;
  return [
    `${r.round}${r.partial ? " (partial)" : ""}`,
    mdCode(r.version),
    r.round === 0 ? "forced" : r.promoted ? "promoted" : "refused",
    String(r.hardExamples.pulled),
    String(r.hardExamples.used),
    stream ? `${stream.texts} (${p1(stream.escalationRate)})` : "—",
    r.distillSeconds.toFixed(0),
    p1(r.test.studentAccuracy),
    p1(r.test.shipped.teacherRate),
    p1(r.test.shipped.accuracy),
    p1(at),
    change,
  ];
}

function renderSection(results: LoopResults, links: { json: string; svg: string }): string {
  const { config: c, machine: m, outcome: o } = results;
  const table = mdTable(
    [
      "round",
      "version",
      "gate",
      "hard examples pulled",
      "used",
      "texts streamed before (escalated)",
      "pull → promote s",
      "student acc",
      "teacher rate @ shipped threshold",
      "cascade acc @ shipped threshold",
      `teacher rate @ ${pct(c.retention, 0)} retention`,
      "vs round 0",
    ],
    results.rounds.map((r) => row(r, o.round0)),
    [
      "right",
      "left",
      "left",
      "right",
      "right",
      "right",
      "right",
      "right",
      "right",
      "right",
      "right",
      "right",
    ],
  );
  const verdict = verdictOf(results);
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    START,
    "## Re-distillation loop (`npm run bench:loop`)",
    "",
    `\`${results.command}\` — ${results.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}; ${results.wallSeconds.toFixed(0)} s wall.`,
    "",
    ...[
      `Stack: a fresh local one (\`src/stack.ts\`: the teacher server over \`models/clinc150/teacher\`, the gateway under \`wrangler dev\` with a new state directory), registry pointer TTL 1 s (\`REGISTRY_TTL_MS\`), audit sample ${pct(c.auditRate, 0)} (drawn at random by the gateway, so the hard examples and figures vary a little between runs).`,
      `Round 0: a student distilled from a stratified ${pct(c.baseFraction, 0)} of CLINC150's training texts against the shipped teacher, uploaded and promoted with \`--force\` (it is worse than the bundled full-data student on purpose).`,
      `Traffic: the other ${c.streamTexts} training texts, shuffled, through \`POST /v1/classify\` in batches of ${c.batch}, teacher mode auto; never the validation or test texts.`,
      `Re-distillation: after every ${c.every} new escalations (at most ${c.maxRounds} times) the loop waits for the queue consumer to index them and runs, in-process, the code path of \`npm run distill -- --from-gateway … --publish\`: the base ${pct(c.baseFraction, 0)} plus every logged record (the logged teacher probabilities as soft targets), a new student from the same teacher, the evaluation gate, upload and promotion.`,
      `Recipes as shipped (student ${c.studentEpochs} epochs, ${c.augment} augmented copies per text); every student routes at ${c.routing.kind === "teacher_rate" ? `a ${pct(c.routing.value, 0)} teacher-rate budget` : `${pct(c.routing.value, 0)} retention`} chosen on validation.`,
      `Measurement: the test split (n = ${results.rounds[0]?.test.n ?? 0}) in Node with onnxruntime-node, which reproduces the Worker's numbers exactly (parity tests); never sent through the gateway, so it never becomes a hard example. The fixed retention is ${pct(c.retention, 0)} of the teacher's test accuracy; the teacher rate it needs is read off each student's full cascade curve (its shipped score, every threshold). Near that line the curves run almost flat, so two students with nearly the same curve can cross it several points apart.`,
    ].map((line) => `- ${line}`),
    "",
    table,
    "",
    verdict,
    "",
    ...notesOf(results).map((note) => `- ${note}`),
    "",
    `![Cascade curve of each round's student](${links.svg})`,
    "",
    `Raw figures, curves included: [${links.json}](${links.json}).`,
    END,
  ].join("\n");
}

function verdictOf(results: LoopResults): string {
  const { outcome: o, config: c } = results;
  const q = pct(c.retention, 0);
  const reductions = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(0)}% lower`);
  const re = results.rounds.length - 1;
  const head =
    o.relativeReduction === null
      ? `After ${re} re-distillation round(s) the teacher rate for ${q} retention could not be compared (a student never reached it).`
      : `After ${re} re-distillation round(s) the live student (${mdCode(o.live.version, false)}, round ${o.live.round}) needs ${p1(o.live.teacherRate)} of the test texts at the teacher for ${q} of the teacher's test accuracy, against ${p1(o.round0)} at round 0: ${reductions(o.relativeReduction)} (target ≥ ${(o.targetReduction * 100).toFixed(0)}% lower: ${o.met ? "**met**" : "**not met**"}).`;
  if (o.candidate.round === o.live.round) return head;
  return `${head} The last candidate (${mdCode(o.candidate.version, false)}, round ${o.candidate.round}, not promoted) needs ${p1(o.candidate.teacherRate)}: ${reductions(o.candidateReduction)}.`;
}

/** What a reader needs to read this run's table right: refusals, a short last round, the hot swaps. */
function notesOf(results: LoopResults): string[] {
  const notes: string[] = [];
  for (const r of results.rounds) {
    if (r.round > 0 && !r.promoted)
      notes.push(
        `Round ${r.round}: the evaluation gate refused ${mdCode(r.version, false)} (${r.gate.reason}); the previous version stayed live.`,
      );
    if (r.partial && r.streamBefore)
      notes.push(
        `Round ${r.round} is partial: the stream ended after ${r.streamBefore.escalated} new escalations (fewer than ${results.config.every}).`,
      );
  }
  const swaps = results.rounds.flatMap((r) => (r.swapSeconds === null ? [] : [r.swapSeconds]));
  if (swaps.length > 0)
    notes.push(
      `Every promoted version answered \`/v1/classify\` ${Math.max(...swaps) < 0.1 ? "at once" : `within ${Math.max(...swaps).toFixed(1)} s`} after its promotion, without a restart.`,
    );
  return notes;
}
