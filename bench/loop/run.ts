import { join } from "node:path";
import { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import {
  distillFromGateway,
  type FromGatewayResult,
  GateRefused,
} from "../../src/distill/gateway-client/from-gateway.ts";
import type { TeacherPackage } from "../../src/distill/package/teacher.ts";
import {
  ANSWERS_STUDENT_RECIPE,
  type DistillOptions,
  TEACHER_RECIPE,
} from "../../src/distill/pipeline/config.ts";
import type { Progress } from "../../src/distill/pipeline/progress.ts";
import type { LoopData } from "./data.ts";
import { measure, type TeacherOnTest } from "./measure.ts";
import type { LoopResults, RoundResult, StreamSegment } from "./results.ts";
import { newStreamState, type StreamState, streamUntil, waitForIndex, waitForVersion } from "./stream.ts";

export interface LoopConfig {
  model: string;
  every: number;
  maxRounds: number;
  batch: number;
  retention: number;
  routing: DistillOptions["target"];
  studentEpochs: number;
  augment: number;
  /** Stop streaming once this much wall time is gone (the run must end by itself). */
  deadline: number;
  workDir: string;
}

export interface LoopContext {
  url: string;
  token: string;
  teacher: TeacherPackage;
  data: LoopData;
  teacherTest: TeacherOnTest;
  log: (line: string) => void;
  progress: Progress;
}

/**
 * The loop itself: round 0 from the base data alone, then stream, re-distil from the gateway, promote
 * through the gate, measure; until `maxRounds` re-distillations, the end of the stream or the deadline.
 */
export async function runLoop(ctx: LoopContext, config: LoopConfig): Promise<RoundResult[]> {
  const client = new GatewayClient(ctx.url, ctx.token);
  const distill: Omit<DistillOptions, "out"> = {
    name: config.model,
    seed: 42,
    teacher: TEACHER_RECIPE,
    student: { ...ANSWERS_STUDENT_RECIPE, epochs: config.studentEpochs },
    kd: { temperature: 2, alpha: 0.3 },
    augment: config.augment,
    oosMaxInScopeDrop: 0.003,
    target: config.routing,
    quiet: true,
  };
  const rounds: RoundResult[] = [];
  const stream = newStreamState();
  let segment: StreamSegment | null = null;
  let partial = false;
  for (let round = 0; round <= config.maxRounds; round++) {
    const started = performance.now();
    let run: FromGatewayResult;
    try {
      run = await distillFromGateway(
        {
          url: ctx.url,
          token: ctx.token,
          teacher: ctx.teacher,
          dataset: ctx.data.dataset,
          distill,
          out: join(config.workDir, `round-${round}`),
          publish: true,
          // Round 0 replaces the bundled full-data student with a deliberately weaker one.
          force: round === 0,
          gateTolerance: 0.002,
          provenance: { bench: "loop", round },
        },
        ctx.progress,
        ctx.log,
      );
    } catch (error) {
      if (!(error instanceof GateRefused)) throw error;
      run = error.run;
    }
    const distillSeconds = (performance.now() - started) / 1000;
    const promoted = run.uploaded !== null;
    const swapSeconds = promoted ? await waitForVersion(client, config.model, run.version, 60_000) : null;
    const result: RoundResult = {
      round,
      version: run.version,
      promoted,
      gate: { pass: run.verdict.pass, forced: run.verdict.forced, reason: run.verdict.reason },
      hardExamples: { pulled: run.merge.records, used: run.merge.used },
      streamBefore: segment,
      partial,
      distillSeconds,
      swapSeconds,
      test: await measure(run.result.pkg, ctx.data.dataset, ctx.teacherTest, config.retention),
    };
    rounds.push(result);
    ctx.log(summary(result));
    if (round === config.maxRounds || partial) break;

    // Traffic until `every` new escalations: the hard examples of the next round.
    const before = snapshot(stream);
    await streamUntil(
      client,
      config.model,
      ctx.data.stream,
      stream,
      (s) => s.escalated - before.escalated >= config.every || Date.now() > config.deadline,
      config.batch,
    );
    segment = segmentOf(before, stream);
    partial = segment.escalated < config.every;
    ctx.log(
      `streamed ${segment.texts} texts, ${segment.escalated} escalated (${stream.next}/${ctx.data.stream.length})`,
    );
    if (segment.escalated === 0) break;
    await waitForIndex(client, config.model, stream.distinct.size, 90_000, ctx.log);
  }
  return rounds;
}

function snapshot(s: StreamState): { sent: number; escalated: number; degraded: number } {
  return { sent: s.sent, escalated: s.escalated, degraded: s.degraded };
}

function segmentOf(before: ReturnType<typeof snapshot>, s: StreamState): StreamSegment {
  const texts = s.sent - before.sent;
  const escalated = s.escalated - before.escalated;
  return {
    texts,
    escalated,
    degraded: s.degraded - before.degraded,
    escalationRate: texts > 0 ? escalated / texts : 0,
  };
}

function summary(r: RoundResult): string {
  const at = r.test.atRetention;
  const swap = r.swapSeconds === null ? "" : ` (live after ${r.swapSeconds.toFixed(1)} s)`;
  return [
    `round ${r.round} ${r.version} ${r.promoted ? `promoted${swap}` : "refused"}:`,
    `${r.hardExamples.used}/${r.hardExamples.pulled} hard examples,`,
    `student ${(100 * r.test.studentAccuracy).toFixed(1)}%,`,
    `shipped ${(100 * r.test.shipped.teacherRate).toFixed(1)}% → ${(100 * r.test.shipped.accuracy).toFixed(1)}%,`,
    `${(100 * at.retention).toFixed(0)}% retention at ${at.teacherRate === null ? "—" : `${(100 * at.teacherRate).toFixed(1)}%`}`,
  ].join(" ");
}

/** Round 0 against the student serving at the end (the last promoted round) and the last candidate. */
export function outcomeOf(rounds: readonly RoundResult[], target: number): LoopResults["outcome"] {
  const rate = (r: RoundResult) => r.test.atRetention.teacherRate;
  const first = rounds[0] ? rate(rounds[0]) : null;
  const live = rounds.findLast((r) => r.promoted) ?? rounds[0]!;
  const candidate = rounds.at(-1)!;
  const reduction = (r: RoundResult) => {
    const x = rate(r);
    return first !== null && x !== null && first > 0 ? 1 - x / first : null;
  };
  const relativeReduction = reduction(live);
  return {
    round0: first,
    live: { round: live.round, version: live.version, teacherRate: rate(live) },
    candidate: { round: candidate.round, version: candidate.version, teacherRate: rate(candidate) },
    relativeReduction,
    candidateReduction: reduction(candidate),
    targetReduction: target,
    met: relativeReduction !== null && relativeReduction >= target,
  };
}
