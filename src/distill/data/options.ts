import { z } from "zod";

const Fraction = z.number().gt(0).lt(1);
const Path = z.string().min(1);

/**
 * What `loadDataset` accepts: either one `data` file, or `train` with optional `val`/`test` files.
 * Keys this module does not know are stripped, so the CLI can pass its parsed arguments as they are.
 */
export const LoadOptionsSchema = z
  .object({
    data: Path.optional(),
    train: Path.optional(),
    val: Path.optional(),
    test: Path.optional(),
    format: z.enum(["clinc", "jsonl", "csv", "tsv"]).optional(),
    /** Header name, or 0-based index as digits. Default "text" (or "1" for the SMS collection). */
    textCol: z.string().min(1).optional(),
    /** Header name, or 0-based index as digits. Default "label" (or "0" for the SMS collection). */
    labelCol: z.string().min(1).optional(),
    /** CSV/TSV: whether the first row is a header; default yes when a column is given by name. */
    header: z.boolean().optional(),
    /** Share of train carved out as val when there is no val split. */
    valFraction: Fraction.default(0.1),
    /** Share of all examples held out as test when there is no test split. */
    testFraction: Fraction.default(0.2),
    seed: z.number().int(),
    name: z.string().min(1).optional(),
  })
  .refine((o) => (o.data === undefined) !== (o.train === undefined), {
    message: "give either `data` or `train` (with optional `val`/`test`), not both and not neither",
  })
  .refine((o) => o.data === undefined || (o.val === undefined && o.test === undefined), {
    message: "`val`/`test` files go with `train`, not with `data`",
  });

export type LoadOptions = z.input<typeof LoadOptionsSchema>;
export type ResolvedLoadOptions = z.output<typeof LoadOptionsSchema>;
