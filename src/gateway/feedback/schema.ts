import { z } from "zod";

/** The body of POST /v1/feedback (docs/api.md "POST /v1/feedback") and its answer. */
export const FeedbackRequest = z
  .strictObject({
    model: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: "The model; default the answer's (by request_id), else DEFAULT_MODEL" }),
    request_id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_=-]+$/, "must be an x-request-id the gateway answered with")
      .optional()
      .meta({ description: "The x-request-id of the answer the label is for" }),
    index: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "Which text of a batch request (0-based); required when it had more than one" }),
    text: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "The text, when there is no request id or its answer is no longer kept" }),
    label: z.string().min(1).max(256).meta({ description: "The true label: one of the model's labels" }),
  })
  .refine((body) => body.request_id !== undefined || body.text !== undefined, {
    message: 'give "request_id" (the x-request-id of an answer) or "text"',
  })
  .meta({ id: "FeedbackRequest" });
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

export const FeedbackAccepted = z
  .strictObject({
    id: z
      .string()
      .meta({ description: "The feedback's id: the same request and text (or text) give the same id" }),
    example_id: z.string().meta({ description: "The hard-example id of the text" }),
    model: z.string(),
    version: z.string().nullable().meta({ description: "The version that answered; null by text alone" }),
    label: z.string(),
  })
  .meta({ id: "FeedbackAccepted" });
export type FeedbackAccepted = z.infer<typeof FeedbackAccepted>;
