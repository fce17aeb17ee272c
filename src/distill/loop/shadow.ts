import type { GatewayClient } from "../gateway-client/client.ts";
import type { AdminModel, Standing } from "../gateway-client/schemas.ts";
import type { LoopLog } from "./log.ts";

export interface ShadowPolicy {
  /** The shadow's share of the requests live serves, when a round publishes into shadow. */
  percent: number;
  /** Texts the shadow must have been compared on (against the teacher) before it may become a canary. */
  minTexts: number;
}

export type ShadowMove = "stop" | "canary" | "wait";

/**
 * What a round does with a running shadow, from its standing against live as the gateway's decisions
 * API reports it: stop it when it is worse with confidence (at any count: the test is anytime-valid),
 * make it a canary once it was compared on `minTexts` texts and is not worse, else wait for evidence.
 */
export function shadowMove(standing: Standing | undefined, minTexts: number): ShadowMove {
  if (standing === undefined) return "wait";
  if (standing.verdict === "worse") return "stop";
  return standing.candidate.total >= minTexts ? "canary" : "wait";
}

export type ShadowOutcome =
  | { kind: "shadow_stopped"; version: string }
  | { kind: "shadow_to_canary"; version: string }
  | { kind: "shadow_pending"; version: string; compared: number };

/** Applies `shadowMove` to the model's running shadow, logging the standing it moved on. */
export async function judgeShadow(
  client: GatewayClient,
  state: AdminModel & { shadow: NonNullable<AdminModel["shadow"]> },
  policy: ShadowPolicy,
  canaryPercent: number,
  log: LoopLog,
): Promise<ShadowOutcome> {
  const { name } = state;
  const { version } = state.shadow;
  const standing = (await client.standings(name)).find(
    (s) => s.role === "shadow" && s.candidate.version === version,
  );
  const figures = standing ? describe(standing) : "no evidence yet";
  const fields = standing ? { verdict: standing.verdict, ...countsOf(standing) } : {};
  switch (shadowMove(standing, policy.minTexts)) {
    case "stop":
      await client.stopShadow(name);
      log("shadow", `stopped shadow ${version}: worse than live (${figures})`, { version, ...fields });
      return { kind: "shadow_stopped", version };
    case "canary":
      await client.promote(name, version, canaryPercent);
      log(
        "shadow",
        `shadow ${version} is now a ${canaryPercent}% canary: not worse than live (${figures}); the gateway's scheduled decision promotes or rolls it back`,
        { version, as: "canary", percent: canaryPercent, ...fields },
      );
      return { kind: "shadow_to_canary", version };
    case "wait":
      log(
        "wait",
        `shadow ${version} (${state.shadow.percent}%) is undecided (${figures}): waiting for ${policy.minTexts} compared texts`,
        { version, ...fields },
      );
      return { kind: "shadow_pending", version, compared: standing?.candidate.total ?? 0 };
  }
}

const countsOf = (s: Standing) => ({
  shadow_agree: s.candidate.agree,
  shadow_total: s.candidate.total,
  live_agree: s.live.agree,
  live_total: s.live.total,
});

const percent = (rate: number | null) => (rate === null ? "–" : `${(rate * 100).toFixed(1)}%`);

function describe(s: Standing): string {
  return `${s.verdict} on ${s.evidence}: ${s.candidate.agree}/${s.candidate.total} (${percent(s.candidate.rate)}) against live ${s.live.version} ${s.live.agree}/${s.live.total} (${percent(s.live.rate)})`;
}
