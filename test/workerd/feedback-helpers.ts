import { createExecutionContext, type D1Migration, waitOnExecutionContext } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { inject } from "vitest";
import { FeedbackRecord, isFeedbackKind } from "../../src/core/feedback.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * Shared by the feedback tests: a gateway over miniflare's real KV (the answer trail), D1 and R2, with a
 * real HTTP teacher and a queue that keeps what it is sent, so the feedback records can be read back.
 */
export const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
export const TOKEN = "feedback-admin-token-0123456789abcdef";
export const auth = { authorization: `Bearer ${TOKEN}` };

// clinc150 routes on margin < 0.265 (gateway-classify.test.ts): these are sure / unsure.
export const SURE = "what is my credit score";
export const UNSURE = "asdf qwer";

/** A gateway (one app: one isolate's state) with a queue that keeps what it is sent. */
export function gateway(vars: Env = {}, teacherUrl = inject("teachers").healthy) {
  const sent: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue<unknown>;
  const env: Env = {
    ...bindings,
    ADMIN_TOKEN: TOKEN,
    AUDIT_RATE: 0,
    USAGE_FLUSH_MS: 0,
    ...vars,
    HARD_EXAMPLES: queue,
  };
  const app = createApp({ teacher: () => kserveTeacher(teacherUrl) });
  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const ctx = createExecutionContext();
    const res = await app.request(path, post(body, headers), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  const feedback = () => sent.filter(isFeedbackKind).map((b) => FeedbackRecord.parse(b));
  return { app, env, call, feedback };
}
