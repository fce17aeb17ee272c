/**
 * The stages of a student answer, as `npm run bench:http` prices them: it runs the same Worker with one
 * stage replayed instead of done, and the throughput difference is that stage's cost (workerd's clock
 * is too coarse to time them inside). Production never replays: only `createApp({ stages })` can, and
 * the Worker entry (index.ts) never passes it; the bench's own entry (src/gateway/bench-entry.ts) does, and
 * `wrangler deploy` bundles wrangler.toml's `main` only, so no variable, header or request reaches it.
 */
export const STAGES = ["parse", "featurise", "inference", "routing", "telemetry", "trail"] as const;
export type Stage = (typeof STAGES)[number];

/** The request header the bench's entry reads (comma-separated stages); no other entry reads it. */
export const STAGES_OFF_HEADER = "x-bench-stages-off";

export interface StageSwitch {
  /**
   * The stage's result: computed, or when the stage is off, the one first computed for the same key
   * (`key` is called only then, so production builds none).
   */
  replay<T>(stage: Stage, key: () => unknown, compute: () => T): T;
  off(stage: Stage): boolean;
}

/** Every stage on: what production runs. */
export const ALL_STAGES_ON: StageSwitch = {
  replay: (_stage, _key, compute) => compute(),
  off: () => false,
};

/** Results kept for replay, per stage and key: the bench entry keeps one per isolate. */
export type StageMemo = Map<Stage, Map<unknown, unknown>>;

/** Some stages off, replaying from `memo`. */
export function stagesOff(off: ReadonlySet<Stage>, memo: StageMemo): StageSwitch {
  if (off.size === 0) return ALL_STAGES_ON;
  return {
    replay<T>(stage: Stage, key: () => unknown, compute: () => T): T {
      if (!off.has(stage)) return compute();
      const kept = memo.get(stage) ?? new Map<unknown, unknown>();
      memo.set(stage, kept);
      const k = key();
      if (!kept.has(k)) kept.set(k, compute());
      return kept.get(k) as T;
    },
    off: (stage) => off.has(stage),
  };
}
