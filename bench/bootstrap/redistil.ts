import { join } from "node:path";
import { DEFAULT_HOLDOUT_FRACTION } from "../../src/core/holdout.ts";
import type { RoutingGoal } from "../../src/distill/calibrate/agreement-fit.ts";
import type { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import { distillFromTeacherAnswers } from "../../src/distill/gateway-client/from-answers.ts";
import { GateRefused } from "../../src/distill/gateway-client/from-gateway.ts";
import { DEFAULT_GATE_TOLERANCE } from "../../src/distill/gateway-client/gate.ts";
import { ANSWERS_DEFAULTS } from "../../src/distill/pipeline/config.ts";
import { SILENT } from "../../src/distill/pipeline/progress.ts";
import { compactRoutingFit } from "../../src/distill/report/agreement.ts";
import { waitForVersion } from "../loop/stream.ts";

export interface Redistillation {
  /** Logged records the student learned from. */
  records: number;
  version: string;
  promoted: boolean;
  /** Why the gate passed or refused. */
  reason: string;
  distilSeconds: number;
  /** From publishing to the gateway answering with the new version (registry TTL). */
  liveAfterSeconds: number | null;
  /** The agreement the routing was fitted to on the held-out slice, when fitted. */
  fitted: string | null;
  /** Every score kind side by side on the slice (the shipped one is `shipped`), when fitted. */
  routingFit: ReturnType<typeof compactRoutingFit> | null;
}

export interface RedistilContext {
  url: string;
  token: string;
  client: GatewayClient;
  model: string;
  workDir: string;
  /** The operator's routing target, fitted on each held-out slice. */
  goal: RoutingGoal;
  seed: number;
  log: (line: string) => void;
}

/**
 * Distils a student from the records logged so far (teacher answers alone), publishes it if the gate
 * passes (against the live student from `livePackage`), and waits until the gateway serves it.
 */
export async function redistil(
  context: RedistilContext,
  records: number,
  livePackage: string | null,
): Promise<{ run: Redistillation; out: string | null }> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const out = join(context.workDir, "runs", `after-${records}`);
  try {
    const result = await distillFromTeacherAnswers(
      {
        url: context.url,
        token: context.token,
        distill: {
          name: context.model,
          seed: context.seed,
          ...ANSWERS_DEFAULTS,
          quiet: true,
        },
        holdout: DEFAULT_HOLDOUT_FRACTION,
        goal: context.goal,
        labels: null,
        labelled: [],
        ...(livePackage !== null ? { livePackage } : {}),
        out,
        publish: true,
        force: false,
        gateTolerance: DEFAULT_GATE_TOLERANCE,
        provenance: { bench: "bench:bootstrap" },
      },
      SILENT,
      context.log,
    );
    const distilSeconds = seconds();
    const version = result.uploaded?.version ?? result.version;
    const liveAfterSeconds = await waitForVersion(context.client, context.model, version, 60_000);
    return {
      out,
      run: {
        records,
        version,
        promoted: true,
        reason: result.verdict.reason,
        distilSeconds,
        liveAfterSeconds,
        fitted: result.result.routingFit?.summary ?? null,
        routingFit: result.result.routingFit ? compactRoutingFit(result.result.routingFit) : null,
      },
    };
  } catch (error) {
    if (!(error instanceof GateRefused)) throw error;
    return {
      out: null,
      run: {
        records,
        version: error.run.version,
        promoted: false,
        reason: error.message,
        distilSeconds: seconds(),
        liveAfterSeconds: null,
        fitted: error.run.result.routingFit?.summary ?? null,
        routingFit: error.run.result.routingFit ? compactRoutingFit(error.run.result.routingFit) : null,
      },
    };
  }
}
