import { z } from "zod";
import { MachineSchema } from "../common/machine.ts";

/** What bench/results/loop.json holds (validated before it is written, so the file is its own spec). */
const Rate = z.number().min(0).max(1);
const Point = z.object({ threshold: z.number(), teacher_rate: Rate, accuracy: Rate });

export const StreamSegment = z.object({
  texts: z.number().int(),
  escalated: z.number().int(),
  degraded: z.number().int(),
  /** Share of the segment's texts the gateway sent to the teacher (the live cost). */
  escalationRate: Rate,
});
export type StreamSegment = z.infer<typeof StreamSegment>;

export const RoundResult = z.object({
  round: z.number().int(),
  version: z.string(),
  promoted: z.boolean(),
  /** The evaluation gate's verdict (round 0 is forced: it replaces a better bundled student on purpose). */
  gate: z.object({ pass: z.boolean(), forced: z.boolean(), reason: z.string() }),
  /** Records pulled from the gateway, and how many of them became training examples. */
  hardExamples: z.object({ pulled: z.number().int(), used: z.number().int() }),
  /** The traffic whose hard examples were new in this round (null for round 0). */
  streamBefore: StreamSegment.nullable(),
  /** Stopped early: the stream ended before `every` new hard examples. */
  partial: z.boolean(),
  distillSeconds: z.number(),
  /** From promotion to /v1/classify answering with the version. */
  swapSeconds: z.number().nullable(),
  test: z.object({
    n: z.number().int(),
    teacherAccuracy: Rate,
    studentAccuracy: Rate,
    shipped: z.object({ teacherRate: Rate, accuracy: Rate, retention: z.number() }),
    atRetention: z.object({ retention: Rate, teacherRate: Rate.nullable(), accuracy: Rate.nullable() }),
    curve: z.array(Point),
  }),
});
export type RoundResult = z.infer<typeof RoundResult>;

export const LoopResults = z.object({
  command: z.string(),
  date: z.string(),
  machine: MachineSchema,
  config: z.object({
    baseFraction: Rate,
    every: z.number().int(),
    maxRounds: z.number().int(),
    batch: z.number().int(),
    retention: Rate,
    routing: z.object({ kind: z.enum(["teacher_rate", "retention"]), value: Rate }),
    studentEpochs: z.number().int(),
    augment: z.number().int(),
    auditRate: Rate,
    streamTexts: z.number().int(),
  }),
  rounds: z.array(RoundResult),
  /**
   * Teacher rate at the fixed retention: round 0 against the student live when the loop ended (the last
   * promoted one) and against the last candidate (which the gate may have refused).
   */
  outcome: z.object({
    round0: Rate.nullable(),
    live: z.object({ round: z.number().int(), version: z.string(), teacherRate: Rate.nullable() }),
    candidate: z.object({ round: z.number().int(), version: z.string(), teacherRate: Rate.nullable() }),
    /** 1 − live / round0. */
    relativeReduction: z.number().nullable(),
    candidateReduction: z.number().nullable(),
    targetReduction: z.number(),
    /** Judged on the live student: a refused candidate serves nobody. */
    met: z.boolean(),
  }),
  wallSeconds: z.number(),
});
export type LoopResults = z.infer<typeof LoopResults>;
