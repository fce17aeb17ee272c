import { z } from "zod";
import { sha256Hex } from "../../core/digest.ts";
import { normalizeText } from "../../core/featurizer.ts";
import type { TeacherAnswer, TeacherCacheScope } from "./types.ts";

/**
 * Teacher answers cached by exact (gateway model, version, normalised text), through the Workers Cache
 * API (`caches.default`) rather than KV. Why: the lookup sits in front of every escalation, whose whole
 * point is latency, and a Cache API match is colo-local (about a millisecond, hit or miss), while a KV
 * miss is a round trip to central storage; the Cache API also needs no namespace to provision, is free,
 * takes any number of writes (KV allows one write per second per key and bills each) and honours a TTL
 * of any length (KV's minimum is 60 s). What it costs: entries are per colo, so each colo asks the
 * teacher once per text, and the Cache API does nothing on *.workers.dev (a custom domain or route is
 * needed for hits in production). The answers are immutable for a model version, so per-colo copies never
 * disagree.
 *
 * The key is a synthetic https URL that is never fetched; it also names the teacher, so switching
 * TEACHER_URL or TEACHER_MODEL does not serve the previous teacher's answers. The text is hashed
 * (SHA-256), keeping keys short and texts out of URLs.
 *
 * Entries are per client (the scope's API key id): an answer marked `source: "cache"`, or merely a fast
 * one, would otherwise tell any client that someone sent the same text within the TTL, whatever their
 * key. A client only ever hits answers to texts it sent itself. The price is one teacher call per client
 * per text instead of one per text; requests without a key (CLIENT_AUTH=off) share one partition.
 */
const ORIGIN = "https://teacher-answers.apprentice.internal";
const DEFAULT_NORMALIZATION = { normalization: "NFKC", lowercase: false } as const;

const CachedAnswer = z.object({
  label: z.string(),
  confidence: z.number().min(0).max(1),
  probs: z.array(z.number().min(0).max(1)).nullable(),
});

/** `caches.default`, or null outside workerd (Node tests of code that uses the client). */
function defaultCache(): Cache | null {
  return typeof caches === "undefined" ? null : caches.default;
}

export async function cacheKey(scope: TeacherCacheScope, teacher: string, text: string): Promise<string> {
  const normalized = normalizeText(text, scope.normalization ?? DEFAULT_NORMALIZATION);
  // JSON keeps the parts apart whatever they contain (a teacher name with a newline, say).
  const hash = await sha256Hex(JSON.stringify([teacher, scope.client ?? null, normalized]));
  return `${ORIGIN}/v1/${encodeURIComponent(scope.model)}/${encodeURIComponent(scope.version)}/${hash}`;
}

/**
 * The cached answer per key, null on a miss. An entry that no longer parses or whose label left the
 * label set counts as a miss: the cache must never answer what the teacher could not.
 */
export async function readAnswers(
  keys: readonly string[],
  labels: readonly string[],
): Promise<(TeacherAnswer | null)[]> {
  const cache = defaultCache();
  if (!cache) return keys.map(() => null);
  return Promise.all(
    keys.map(async (key) => {
      try {
        const hit = await cache.match(key);
        if (!hit) return null;
        const answer = CachedAnswer.safeParse(await hit.json());
        if (!answer.success || !labels.includes(answer.data.label)) return null;
        if (answer.data.probs && answer.data.probs.length !== labels.length) return null;
        return answer.data;
      } catch {
        // A cache that fails is a cache that missed; the teacher is still there.
        return null;
      }
    }),
  );
}

export async function writeAnswers(
  entries: readonly { key: string; answer: TeacherAnswer }[],
  ttlSeconds: number,
): Promise<void> {
  const cache = defaultCache();
  if (!cache) return;
  await Promise.all(
    entries.map(({ key, answer }) =>
      cache
        .put(
          key,
          new Response(JSON.stringify(answer), {
            headers: { "content-type": "application/json", "cache-control": `max-age=${ttlSeconds}` },
          }),
        )
        .catch((error: unknown) => console.warn("teacher cache: write failed:", error)),
    ),
  );
}
