import { sha256Hex } from "../../src/core/digest.ts";
import { HardExampleRecord, type HardExampleRecord as Record_ } from "../../src/core/hard-example.ts";

/**
 * A valid hard-example record of `model` with a text of its own (so an id of its own), for tests that
 * seed the log or feed the consumer by hand. Every field can be overridden; the id follows model and
 * text as the gateway's does (for texts already normalised).
 */
let seq = 0;
export async function fakeRecord(model: string, fields: Partial<Record_> = {}): Promise<Record_> {
  const n = seq++;
  const text = fields.text ?? `text ${model} ${n} ${crypto.randomUUID().slice(0, 8)}`;
  const route = fields.route ?? "teacher";
  return HardExampleRecord.parse({
    id: await sha256Hex(`${model}\n${text}`),
    ts: "2026-05-01T10:00:00.000Z",
    model,
    version: "1.0.0",
    text,
    redactions: {},
    student: { label: "a", confidence: 0.4, probs: [0.4, 0.6] },
    teacher:
      route === "degraded"
        ? null
        : { label: "b", confidence: 0.9, probs: null, protocol: "kserve-v2", latency_ms: 12 },
    route,
    reason: route === "degraded" ? "timeout" : route === "audit" ? "audit_sample" : "below_threshold",
    request_id: `req-${n}`,
    ...fields,
  });
}
