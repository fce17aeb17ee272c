/**
 * `npm run bench:distill -- --before <commit>`: how long `npm run distill` takes on CLINC150, this
 * checkout against an earlier commit, run one after the other on the same machine (so their ratio
 * holds even when the machine is shared), with the figures each run shipped. The earlier commit is
 * checked out in a scratch git worktree that borrows this checkout's node_modules.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { progressLog } from "./common/log.ts";
import { loadAverage, provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { sectionMarkers, writeReport } from "./common/section.ts";

const { values: flags } = parseArgs({
  options: {
    before: { type: "string" },
    data: { type: "string", default: "datasets/clinc150/data_full.json" },
    "budget-s": { type: "string", default: "60" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/distill.json" },
  },
});
const budgetSeconds = Number(flags["budget-s"]);
const { log } = progressLog();
const space = await scratch("distill");

/** The figures of a manifest.json that BENCHMARKS.md quotes. */
const Evaluation = z.object({
  evaluation: z.object({
    teacher: z.object({ accuracy: z.number() }),
    student: z.object({ accuracy: z.number(), ece: z.number() }),
    cascade: z.object({ teacher_rate: z.number(), accuracy: z.number() }),
  }),
  routing: z.object({ score: z.string(), threshold: z.number() }),
});

interface Run {
  label: string;
  commit: string;
  wallSeconds: number;
  cpuSeconds: number | null;
  loadBefore: number[];
  loadAfter: number[];
  teacherAccuracy: number;
  studentAccuracy: number;
  studentEce: number;
  cascadeAccuracy: number;
  teacherRate: number;
  routing: string;
}

await exitAfter(space, log, async () => {
  const runs: Run[] = [];
  if (flags.before) {
    const tree = join(space.dir, "before");
    execFileSync("git", ["worktree", "add", "--detach", tree, flags.before], { stdio: "ignore" });
    try {
      await symlink(resolve("node_modules"), join(tree, "node_modules"));
      runs.push(await timeDistill("before", tree));
    } finally {
      execFileSync("git", ["worktree", "remove", "--force", tree], { stdio: "ignore" });
    }
  }
  runs.push(await timeDistill("after", process.cwd()));
  const figures = {
    ...provenance("bench:distill", process.argv.slice(2), ["zod"]),
    data: flags.data,
    budgetSeconds,
    runs,
    ratio: runs.length === 2 ? runs[0]!.wallSeconds / runs[1]!.wallSeconds : null,
  };
  await writeReport(
    { markdown: flags.markdown, json: flags.json },
    sectionMarkers("distill"),
    figures,
    (link) => render(figures, link),
  );
  return runs.at(-1)!.wallSeconds <= budgetSeconds;
});

/** One `npm run distill --quiet` in `tree`, timed by /usr/bin/time when there is one. */
async function timeDistill(label: string, tree: string): Promise<Run> {
  const out = join(space.dir, `out-${label}`);
  const times = join(space.dir, `time-${label}`);
  const distill = ["--import", "tsx", "src/distill/cli/distill.ts"];
  const args = [...distill, "--data", resolve(flags.data), "--name", "clinc150", "--out", out, "--quiet"];
  const timer = existsSync("/usr/bin/time");
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: tree,
    encoding: "utf8",
  }).trim();
  log(`${label} (${commit}): distilling`);
  const loadBefore = loadAverage();
  const started = performance.now();
  await run(
    timer ? "/usr/bin/time" : process.execPath,
    timer ? ["-o", times, "-f", "%U %S", process.execPath, ...args] : args,
    tree,
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = timer ? (await readFile(times, "utf8")).trim().split(/\s+/).map(Number) : null;
  const manifest = Evaluation.parse(JSON.parse(await readFile(join(out, "manifest.json"), "utf8")));
  await rm(out, { recursive: true, force: true });
  const { teacher, student, cascade } = manifest.evaluation;
  log(`${label}: ${wallSeconds.toFixed(1)} s`);
  return {
    label,
    commit,
    wallSeconds,
    cpuSeconds: cpu ? cpu[0]! + cpu[1]! : null,
    loadBefore,
    loadAfter: loadAverage(),
    teacherAccuracy: teacher.accuracy,
    studentAccuracy: student.accuracy,
    studentEce: student.ece,
    cascadeAccuracy: cascade.accuracy,
    teacherRate: cascade.teacher_rate,
    routing: `${manifest.routing.score} < ${manifest.routing.threshold.toFixed(4)}`,
  };
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`distill exited with ${code}`))));
  });
}

function render(
  f: {
    command: string;
    date: string;
    machine: { nproc: number; cpu: string; node: string };
    data: string | undefined;
    budgetSeconds: number;
    runs: Run[];
    ratio: number | null;
  },
  jsonLink: string,
): string {
  const { start, end } = sectionMarkers("distill");
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const load = (l: number[]) => l.join(" / ");
  return [
    start,
    "## Distillation time (`npm run distill`)",
    "",
    `\`${f.command}\` — ${f.date}, ${f.machine.nproc} × ${f.machine.cpu}, Node ${f.machine.node}. Each run is \`npm run distill -- --data ${f.data} --name clinc150 --out DIR --quiet\`, one after the other on the same machine; the load average (1 / 5 / 15 min) is what the machine carried besides, so the ratio is the code's and the absolute times are the machine's.`,
    "",
    "| run | commit | wall | CPU (user + sys) | load before → after | teacher test acc. | student test acc. | cascade (shipped rule) | student ECE |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: |",
    ...f.runs.map(
      (r) =>
        `| ${r.label} | ${r.commit} | **${r.wallSeconds.toFixed(1)} s** | ${r.cpuSeconds === null ? "–" : `${r.cpuSeconds.toFixed(0)} s`} | ${load(r.loadBefore)} → ${load(r.loadAfter)} | ${pct(r.teacherAccuracy)} | ${pct(r.studentAccuracy)} | ${pct(r.cascadeAccuracy)} at ${pct(r.teacherRate)} teacher rate (${r.routing}) | ${pct(r.studentEce)} |`,
    ),
    "",
    f.ratio === null
      ? `Budget ${f.budgetSeconds} s.`
      : `Before / after: **${f.ratio.toFixed(2)}×** faster. Budget ${f.budgetSeconds} s for the after run.`,
    "",
    `Raw figures: [${jsonLink}](${jsonLink}).`,
    end,
  ].join("\n");
}
