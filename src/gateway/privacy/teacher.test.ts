import { describe, expect, it } from "vitest";
import type { TeacherPort } from "../cascade/port.ts";
import type { AskOptions, BreakerState, TeacherQuery } from "../teacher-client/types.ts";
import type { RedactionPolicy } from "./policy.ts";
import { redactingTeacher } from "./teacher.ts";

/**
 * What the teacher sees under REDACTION, whichever teacher it is: the decorator around the port. The
 * whole path (app, cascade, hard-example log) is in test/workerd/hard-examples.test.ts.
 */
const TEXT = "pls mail jane.doe@example.com or call +44 20 7946 0958";
const REDACTED = "pls mail [EMAIL] or call [PHONE]";

/** A stand-in teacher that keeps what it is asked and answers the first label for every text. */
function recordingTeacher(breaker?: BreakerState) {
  const asked: { query: TeacherQuery; options: AskOptions | undefined }[] = [];
  const port: TeacherPort & { asked: typeof asked } = {
    asked,
    async ask(query, options) {
      asked.push({ query, options });
      const answers = query.texts.map(() => ({ label: query.labels[0]!, confidence: 1, probs: null }));
      return { ok: true, answers, cached: answers.map(() => false), latencyMs: 1 };
    },
  };
  if (breaker) port.breakerState = () => breaker;
  return port;
}

const query = (model?: string): TeacherQuery => ({
  model: "teacher-side-name",
  labels: ["a", "b"],
  texts: [TEXT, "nothing personal"],
  ...(model ? { cache: { model, version: "1.0.0" } } : {}),
});

describe("the redacting teacher port", () => {
  it('"log+teacher" sends the redacted texts, the rest of the query and the options unchanged', async () => {
    const inner = recordingTeacher();
    const waitUntil = () => {};
    const outcome = await redactingTeacher(inner, { clinc150: "log+teacher" }).ask(query("clinc150"), {
      waitUntil,
    });
    expect(outcome.ok).toBe(true);
    const [{ query: sent, options }] = inner.asked as [(typeof inner.asked)[number]];
    expect(sent).toEqual({ ...query("clinc150"), texts: [REDACTED, "nothing personal"] });
    expect(options?.waitUntil).toBe(waitUntil);
  });

  it('"log", "off" and the default send the texts as the client sent them', async () => {
    const policies: RedactionPolicy[] = [{}, { clinc150: "log" }, { clinc150: "off" }];
    for (const policy of policies) {
      const inner = recordingTeacher();
      await redactingTeacher(inner, policy).ask(query("clinc150"));
      expect(inner.asked[0]!.query.texts).toEqual([TEXT, "nothing personal"]);
    }
  });

  it('the mode is the gateway model\'s (named by the cache scope); without a scope, the one of "*"', async () => {
    const inner = recordingTeacher();
    const port = redactingTeacher(inner, { "sms-spam": "log+teacher" });
    await port.ask(query("clinc150"));
    await port.ask(query("sms-spam"));
    await port.ask(query());
    await redactingTeacher(inner, { "*": "log+teacher" }).ask(query());
    expect(inner.asked.map((a) => a.query.texts[0])).toEqual([TEXT, REDACTED, TEXT, REDACTED]);
  });

  it("passes the breaker through, and has none when the wrapped port has none", () => {
    expect(redactingTeacher(recordingTeacher("open"), {}).breakerState?.("m")).toBe("open");
    expect(redactingTeacher(recordingTeacher(), {}).breakerState).toBeUndefined();
  });
});
