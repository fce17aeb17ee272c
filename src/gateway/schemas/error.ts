import { z } from "zod";

/** The body of every 4xx/5xx answer (docs/api.md "Errors"). */
export const ErrorResponse = z
  .strictObject({
    error: z.strictObject({
      code: z
        .string()
        .meta({ description: "Stable machine-readable code, e.g. invalid_request, model_not_found" }),
      message: z.string().meta({ description: "What was wrong, for a person" }),
    }),
  })
  .meta({ id: "Error" });

/** The body of a /v2 error: the Open Inference Protocol's; the code is in the x-error-code header. */
export const V2ErrorResponse = z
  .strictObject({ error: z.string().meta({ description: "What was wrong, for a person" }) })
  .meta({ id: "V2Error" });
