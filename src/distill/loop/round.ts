import type { RoutingGoal } from "../calibrate/agreement-fit.ts";
import { GatewayClient } from "../gateway-client/client.ts";
import { distillFromTeacherAnswers, type FromAnswersResult } from "../gateway-client/from-answers.ts";
import { GateRefused } from "../gateway-client/from-gateway.ts";
import type { AdminModel } from "../gateway-client/schemas.ts";
import { watermarkOf } from "../gateway-client/watermark.ts";
import type { DistillOptions } from "../pipeline/config.ts";
import { SILENT } from "../pipeline/progress.ts";
import { type HeldLease, takeLease } from "./lease.ts";
import type { LoopLog } from "./log.ts";
import { judgeShadow, type ShadowOutcome, type ShadowPolicy } from "./shadow.ts";
import { after, readMemory, trainedUpTo, writeMemory } from "./watermark.ts";

export interface RoundOptions {
  url: string;
  token: string;
  /** distill.name is the gateway model. */
  distill: Omit<DistillOptions, "out">;
  /** New records (logged after the serving versions' data) needed before a round retrains. */
  minNew: number;
  /** The canary's share of traffic once a student is live (the first student goes live directly). */
  canaryPercent: number;
  /**
   * Publish into shadow instead (once a student is live), and move a shadow on its standing: a canary
   * when it is not worse after `minTexts` compared texts, stopped when it is worse. Null: canary directly.
   */
  shadow: ShadowPolicy | null;
  leaseTtlS: number;
  owner: string;
  /** Where packages are written: <runsDir>/<name>/<version>. */
  runsDir: string;
  holdout: number;
  goal: RoutingGoal;
  gateTolerance: number;
}

export type RoundOutcome =
  | { kind: "busy"; holder: string }
  | { kind: "canary_pending"; version: string }
  | { kind: "too_few"; newRecords: number; since: string | null }
  | { kind: "refused"; version: string; reason: string }
  | ShadowOutcome
  | { kind: "published"; version: string; as: "live" | "canary" | "shadow"; records: number };

/**
 * One round of the loop (docs/toolkit.md "The loop (npm run loop)"): under the model's lease, unless a canary is still
 * undecided, count the records logged since the serving versions' data; with enough, re-distil from the
 * logged teacher answers, gate against the live student, upload, and publish (a canary once a student
 * is live, or a shadow with `shadow`; the gateway's scheduled decision promotes or rolls a canary
 * back, and a later round moves a shadow on its evidence: see shadow.ts). Nothing is written to the
 * registry but the upload (atomic, refused if the version exists) and then the promotion.
 */
export async function runRound(options: RoundOptions, log: LoopLog): Promise<RoundOutcome> {
  const name = options.distill.name;
  const client = new GatewayClient(options.url, options.token);
  const lease = await takeLease(client, name, options.owner, options.leaseTtlS, log);
  if ("held" in lease) {
    log("lease", `another run is at work: ${lease.held}`);
    return { kind: "busy", holder: lease.held };
  }
  try {
    return await underLease(client, lease, options, log);
  } finally {
    await lease.release();
  }
}

async function underLease(
  client: GatewayClient,
  lease: HeldLease,
  options: RoundOptions,
  log: LoopLog,
): Promise<RoundOutcome> {
  const name = options.distill.name;
  const state = await client.adminModel(name);
  const pending = pendingCanary(state, log);
  if (pending) return pending;
  // A shadow is judged before anything new is trained: one candidate at a time.
  if (options.shadow !== null && state?.shadow)
    return judgeShadow(
      client,
      { ...state, shadow: state.shadow },
      options.shadow,
      options.canaryPercent,
      log,
    );
  const trained = state === null ? null : await trainedUpTo(client, state);
  const memory = await readMemory(options.runsDir, name);
  const mark = newerOf(trained, memory.refusedUpTo);
  const since = mark === null ? undefined : after(mark);
  const newRecords = (await client.hardExampleCount({ model: name, ...(since ? { since } : {}) })) ?? 0;
  const basis =
    mark === null
      ? "in the log"
      : `since ${mark} (${mark === trained ? "the serving versions' data" : "a refused candidate's data"})`;
  if (newRecords < options.minNew) {
    const message = `${newRecords} new records ${basis}, fewer than --min-new ${options.minNew}: nothing to do`;
    log("count", message, { new_records: newRecords });
    return { kind: "too_few", newRecords, since: mark };
  }
  log("count", `${newRecords} new records ${basis}: re-distilling`, { new_records: newRecords });

  const run = await distill(options, log);
  if ("refused" in run) {
    await writeMemory(options.runsDir, name, { refusedUpTo: run.upTo });
    return { kind: "refused", version: run.version, reason: run.reason };
  }
  return publish(client, lease, run, options, log);
}

/** The later of two watermarks (ISO instants in UTC compare as strings). */
function newerOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  return b !== null && b > a ? b : a;
}

/** A canary still undecided: the gateway's scheduled decision comes first, so this round waits. */
function pendingCanary(state: AdminModel | null, log: LoopLog): RoundOutcome | null {
  if (!state?.canary) return null;
  const { name } = state;
  const { version, percent, started_at } = state.canary;
  log(
    "wait",
    `canary ${version} (${percent}%) is undecided${started_at ? ` since ${started_at}` : ""}: waiting for the gateway's decision (GET /admin/models/${name}/decisions)`,
  );
  return { kind: "canary_pending", version };
}

type Distilled = FromAnswersResult | { refused: true; version: string; reason: string; upTo: string | null };

async function distill(options: RoundOptions, log: LoopLog): Promise<Distilled> {
  const started = Date.now();
  try {
    const run = await distillFromTeacherAnswers(
      {
        url: options.url,
        token: options.token,
        distill: options.distill,
        runsDir: options.runsDir,
        // Upload and promotion are the round's own steps, each after the lease is confirmed.
        publish: false,
        force: false,
        gateTolerance: options.gateTolerance,
        holdout: options.holdout,
        goal: options.goal,
        labels: null,
        labelled: [],
        provenance: { loop: { owner: options.owner, minNew: options.minNew } },
      },
      SILENT,
      (line) => log("distill", line),
    );
    log(
      "gate",
      `${run.version} passed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${run.verdict.reason}`,
    );
    return run;
  } catch (error) {
    if (!(error instanceof GateRefused)) throw error;
    const run = error.run as FromAnswersResult;
    log("gate", `${run.version} refused, nothing uploaded: ${error.verdict.reason}`);
    return {
      refused: true,
      version: run.version,
      reason: error.verdict.reason,
      upTo: watermarkOf(run.result.pkg.manifest),
    };
  }
}

async function publish(
  client: GatewayClient,
  lease: HeldLease,
  run: FromAnswersResult,
  options: RoundOptions,
  log: LoopLog,
): Promise<RoundOutcome> {
  const { name, version } = run.result.pkg.manifest;
  await lease.confirm();
  // An operator may have started a canary while this round trained: it is not replaced.
  const now = await client.adminModel(name);
  const pending = pendingCanary(now, log);
  if (pending) return pending;
  if (options.shadow !== null && now?.shadow) {
    log("wait", `shadow ${now.shadow.version} started while this round trained: ${version} is not published`);
    return { kind: "shadow_pending", version: now.shadow.version, compared: 0 };
  }
  const manifestJson = `${JSON.stringify(run.result.pkg.manifest, null, 2)}\n`;
  log("upload", `uploading ${name} ${version} (${run.result.pkg.student.byteLength} bytes)`);
  const uploaded = await client.upload(name, version, manifestJson, run.result.pkg.student);
  log("upload", `uploaded ${name} ${version} (sha256 ${uploaded.sha256})`, { sha256: uploaded.sha256 });
  await lease.confirm();
  const records = run.answers.records;
  if (run.live === null) {
    // No student serves yet: there is nothing for a canary to be compared with.
    await client.promote(name, version);
    log("promote", `${name} ${version} is live (the model's first student)`, { version, as: "live" });
    return { kind: "published", version, as: "live", records };
  }
  if (options.shadow !== null) {
    const { percent } = options.shadow;
    await client.setShadow(name, version, percent);
    log(
      "promote",
      `${name} ${version} runs in shadow on ${percent}% of ${run.live.version}'s requests; a later round makes it a canary after ${options.shadow.minTexts} compared texts unless it is worse`,
      { version, as: "shadow", percent },
    );
    return { kind: "published", version, as: "shadow", records };
  }
  await client.promote(name, version, options.canaryPercent);
  log(
    "promote",
    `${name} ${version} is a ${options.canaryPercent}% canary beside ${run.live.version}; the gateway's scheduled decision promotes or rolls it back`,
    { version, as: "canary", percent: options.canaryPercent },
  );
  return { kind: "published", version, as: "canary", records };
}
