import { z } from "zod";
import type { Counts } from "../../core/sequential-test.ts";
import { hourOf } from "../metrics/usage.ts";

/**
 * The "agreement" message and its D1 table (migrations/0005_agreement.sql): per request, how often each
 * version's student agreed with the teacher on the texts the teacher answered. One schema for the
 * producer (listener.ts) and the queue consumer; it mirrors the table's CHECK constraints.
 */
export const AGREEMENT_KIND = "agreement";
export const ROLES = ["served", "shadow"] as const;
export type Role = (typeof ROLES)[number];
export const LABEL_SOURCES = ["escalated", "audit"] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

const Name = z.string().min(1);

export const AgreementCount = z
  .strictObject({
    version: Name,
    role: z.enum(ROLES),
    source: z.enum(LABEL_SOURCES),
    agree: z.number().int().nonnegative(),
    n: z.number().int().positive(),
  })
  .refine((c) => c.agree <= c.n, { message: "agree must not exceed n" });
export type AgreementCount = z.infer<typeof AgreementCount>;

export const AgreementMessage = z.strictObject({
  kind: z.literal(AGREEMENT_KIND),
  /** Unique per message: the table's primary key starts with it, so a redelivery adds nothing. */
  message_id: z.uuid(),
  hour: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/),
  model: Name,
  counts: z.array(AgreementCount).min(1).max(8),
});
export type AgreementMessage = z.infer<typeof AgreementMessage>;

export function isAgreementKind(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === AGREEMENT_KIND;
}

export function agreementMessage(model: string, at: Date, counts: AgreementCount[]): AgreementMessage {
  return { kind: AGREEMENT_KIND, message_id: crypto.randomUUID(), hour: hourOf(at), model, counts };
}

export interface AgreementDelivery {
  message: Message<unknown>;
  body: AgreementMessage;
}

/** Writes the messages' rows in one D1 batch; acks them all once written, retries them all otherwise. */
export async function storeAgreement(
  db: D1Database,
  deliveries: readonly AgreementDelivery[],
  settle: { ack(m: Message<unknown>): void; retry(m: Message<unknown>): void },
): Promise<number> {
  if (deliveries.length === 0) return 0;
  const insert = db.prepare(
    "INSERT INTO agreement_counts (message_id, hour, model, version, role, source, agree, n) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  );
  try {
    const statements = deliveries.flatMap(({ body }) =>
      body.counts.map((c) =>
        insert.bind(body.message_id, body.hour, body.model, c.version, c.role, c.source, c.agree, c.n),
      ),
    );
    const results = await db.batch(statements);
    for (const d of deliveries) settle.ack(d.message);
    return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  } catch (error) {
    console.error("agreement: D1 write failed; retrying the agreement messages:", error);
    for (const d of deliveries) settle.retry(d.message);
    return 0;
  }
}

/** A version's agreement in one role since an instant (counted by the hour it falls in). */
export async function readAgreement(
  db: D1Database,
  model: string,
  version: string,
  role: Role,
  since: Date,
): Promise<Counts> {
  const row = await db
    .prepare(
      "SELECT COALESCE(SUM(agree), 0) AS agree, COALESCE(SUM(n), 0) AS total FROM agreement_counts " +
        "WHERE model = ? AND version = ? AND role = ? AND hour >= ?",
    )
    .bind(model, version, role, hourOf(since))
    .first<Counts>();
  return row ?? { agree: 0, total: 0 };
}
