import { normalizeText } from "../../src/core/featurizer.ts";
import type { GatewayClient } from "../../src/distill/gateway-client/client.ts";

/** Traffic sent through the gateway so far, and what it cost. */
export interface StreamState {
  /** Index of the next text of the stream. */
  next: number;
  sent: number;
  /** Answers that went to the teacher (fresh or cached) or failed there: each is logged. */
  escalated: number;
  degraded: number;
  /** Distinct normalised escalated texts: the gateway logs one example per text. */
  distinct: Set<string>;
  /** Texts answered by each model version. */
  byVersion: Record<string, number>;
}

export function newStreamState(): StreamState {
  return { next: 0, sent: 0, escalated: 0, degraded: 0, distinct: new Set(), byVersion: {} };
}

const NORM = { normalization: "NFKC", lowercase: true } as const;

/**
 * Sends texts in batches (teacher mode auto, as production traffic) until `stop` says so or the stream
 * ends. Batches go one at a time, so every answer comes from the version live at that moment.
 */
export async function streamUntil(
  client: GatewayClient,
  model: string,
  texts: readonly string[],
  state: StreamState,
  stop: (state: StreamState) => boolean,
  batchSize: number,
): Promise<void> {
  while (state.next < texts.length && !stop(state)) {
    const batch = texts.slice(state.next, state.next + batchSize);
    const answer = await client.classify(model, batch, "auto");
    if (answer.results.length !== batch.length)
      throw new Error(`asked ${batch.length} texts, got ${answer.results.length} results`);
    answer.results.forEach((result, i) => {
      if (result.source !== "student" || result.degraded) {
        state.escalated++;
        state.distinct.add(normalizeText(batch[i]!, NORM));
      }
      if (result.degraded) state.degraded++;
    });
    state.byVersion[answer.version] = (state.byVersion[answer.version] ?? 0) + batch.length;
    state.next += batch.length;
    state.sent += batch.length;
  }
}

/**
 * Waits until the queue consumer has indexed what the stream escalated: the index count reaches the
 * distinct escalated texts and holds still for longer than a consumer batch can wait (5 s), so the
 * background audit records of the last batches are in too. Gives up after `timeoutMs` and says so.
 */
export async function waitForIndex(
  client: GatewayClient,
  model: string,
  expected: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const count = (await client.hardExampleCount({ model })) ?? 0;
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    }
    if (count >= expected && Date.now() - stableSince >= 6000) return count;
    if (Date.now() > deadline) {
      log(`warning: the index holds ${count} records after ${timeoutMs / 1000} s, expected ${expected}`);
      return count;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Polls until /v1/classify answers with `version` (the registry pointer is cached per isolate). */
export async function waitForVersion(
  client: GatewayClient,
  model: string,
  version: string,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const answer = await client.classify(model, ["what is my balance"], "never");
    if (answer.version === version) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `the gateway still answers with ${answer.version}, not ${version}, after ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
