import { createAdapter, type TeacherBindings } from "./adapters.ts";
import { cacheKey, readAnswers, writeAnswers } from "./cache.ts";
import type { TeacherConfig } from "./config.ts";
import { breakerState, type GuardSettings, guardFor, runGuarded } from "./guard.ts";
import {
  type AskOptions,
  type BreakerState,
  type BudgetGate,
  type TeacherAdapter,
  type TeacherAnswer,
  type TeacherCacheScope,
  TeacherError,
  type TeacherOutcome,
  type TeacherProtocol,
  type TeacherQuery,
} from "./types.ts";

/**
 * The teacher as the cascade sees it: cache, then deadline/retry/breaker/concurrency cap (guard.ts), then
 * the protocol adapter. `ask` never throws; every failure is an outcome the cascade turns into a degraded
 * student answer. Creating a client is cheap (the breaker and bulkhead live at module level, per
 * isolate), so the app may build one per request from its env.
 */
export interface TeacherClient {
  readonly protocol: TeacherProtocol;
  ask(query: TeacherQuery, options?: AskOptions): Promise<TeacherOutcome>;
  /** For metrics: one teacher model's breaker, or the worst of this teacher's breakers in this isolate. */
  breakerState(model?: string): BreakerState;
}

const answerError = (message: string) => new TeacherError("bad_response", message);

/** The adapter contract, checked once for every adapter (and any override a test or app passes in). */
function checkAnswers(answers: readonly TeacherAnswer[], query: TeacherQuery): TeacherAnswer[] {
  if (answers.length !== query.texts.length) {
    throw answerError(`${answers.length} answers for ${query.texts.length} texts`);
  }
  for (const answer of answers) {
    if (!query.labels.includes(answer.label)) {
      throw new TeacherError(
        "unknown_label",
        `label ${JSON.stringify(answer.label)} is not in the label set`,
      );
    }
    if (!(answer.confidence >= 0 && answer.confidence <= 1)) {
      throw answerError(`confidence ${answer.confidence} is not a probability`);
    }
    if (answer.probs && answer.probs.length !== query.labels.length) {
      throw answerError(`${answer.probs.length} probs for ${query.labels.length} labels`);
    }
  }
  return [...answers];
}

/** Cache keys for the texts, or null (no caching) if they cannot be made: the cache is an optimisation. */
async function cacheKeys(
  scope: TeacherCacheScope,
  teacher: string,
  texts: readonly string[],
): Promise<string[] | null> {
  try {
    return await Promise.all(texts.map((text) => cacheKey(scope, teacher, text)));
  } catch (error) {
    console.warn("teacher cache: no keys:", error);
    return null;
  }
}

/** One reservation for every text about to be sent (cached answers cost nothing); refusal throws. */
function admitAll(budget: BudgetGate, count: number): () => Promise<void> {
  return async () => {
    const verdict = await budget.reserve(count);
    if (!verdict.granted) throw new TeacherError("budget", verdict.message, undefined, verdict.retryAfterS);
  };
}

/** How a teacher's guards are keyed: its protocol and URL (guard.ts adds the model). */
export const teacherEndpoint = (protocol: TeacherProtocol, config: TeacherConfig): string =>
  `${protocol} ${config.TEACHER_URL ?? ""}`;

/** The deadline, retry, breaker and cap settings of a teacher's calls. */
export function guardSettings(config: TeacherConfig): GuardSettings {
  return {
    timeoutMs: config.TEACHER_TIMEOUT_MS,
    retries: config.TEACHER_RETRIES,
    maxConcurrency: config.TEACHER_MAX_CONCURRENCY,
    breakerFailures: config.BREAKER_FAILURES,
    breakerCooldownMs: config.BREAKER_COOLDOWN_MS,
  };
}

export function createTeacherClient(
  config: TeacherConfig,
  env: TeacherBindings = {},
  /** Replaces the adapter TEACHER_PROTOCOL names; a TeacherError makes every call fail with it. */
  adapterOverride?: TeacherAdapter | TeacherError,
): TeacherClient {
  const adapter = adapterOverride ?? createAdapter(config, env);
  const protocol = adapter instanceof TeacherError ? config.TEACHER_PROTOCOL : adapter.protocol;
  const teacher = teacherEndpoint(protocol, config);
  const settings = guardSettings(config);
  const ttl = config.TEACHER_CACHE_TTL_S;

  async function ask(query: TeacherQuery, options: AskOptions, started: number): Promise<TeacherOutcome> {
    const latency = () => Date.now() - started;
    const { texts, cache: scope } = query;
    if (texts.length === 0) return { ok: true, answers: [], cached: [], latencyMs: latency() };

    const keys = scope && ttl > 0 ? await cacheKeys(scope, `${teacher} ${query.model}`, texts) : null;
    const hits = keys ? await readAnswers(keys, query.labels) : null;
    const missing = texts.flatMap((_, i) => (hits?.[i] ? [] : [i]));
    const fail = (error: TeacherError): TeacherOutcome => ({
      ok: false,
      kind: error.kind,
      message: error.message,
      latencyMs: latency(),
      ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}),
      ...(hits ? { cachedAnswers: hits } : {}),
    });
    if (missing.length === 0) {
      return {
        ok: true,
        answers: hits as TeacherAnswer[],
        cached: texts.map(() => true),
        latencyMs: latency(),
      };
    }
    if (adapter instanceof TeacherError) return fail(adapter);

    // Only the texts the cache did not answer go to the teacher.
    const sub: TeacherQuery = {
      model: query.model,
      labels: query.labels,
      texts: missing.map((i) => texts[i]!),
    };
    let fresh: TeacherAnswer[];
    try {
      const guard = guardFor(teacher, query.model, settings);
      fresh = await runGuarded(
        guard,
        async (signal) => checkAnswers(await adapter.classify(sub, signal), sub),
        options.budget ? admitAll(options.budget, sub.texts.length) : undefined,
      );
    } catch (error) {
      return fail(error instanceof TeacherError ? error : answerError(String(error)));
    }

    const answers = hits ? [...hits] : texts.map((): TeacherAnswer | null => null);
    missing.forEach((i, j) => {
      answers[i] = fresh[j]!;
    });
    if (keys) {
      const writes = writeAnswers(
        missing.map((i, j) => ({ key: keys[i]!, answer: fresh[j]! })),
        ttl,
      );
      if (options.waitUntil) options.waitUntil(writes);
      else await writes;
    }
    return {
      ok: true,
      answers: answers as TeacherAnswer[],
      cached: texts.map((_, i) => Boolean(hits?.[i])),
      latencyMs: latency(),
    };
  }

  return {
    protocol,
    async ask(query, options = {}) {
      const started = Date.now();
      try {
        return await ask(query, options, started);
      } catch (error) {
        // Nothing above should throw (the cache swallows its own errors); this keeps the contract.
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, kind: "bad_response", message, latencyMs: Date.now() - started };
      }
    },
    breakerState: (model = config.TEACHER_MODEL) => breakerState(teacher, settings, model),
  };
}
