import { basename, dirname, extname } from "node:path";
import { z } from "zod";
import { CLINC_OOS_LABEL, parseClinc } from "./clinc.ts";
import { detectFormat } from "./detect.ts";
import { HASH_SPLIT_DESCRIPTION, hashSplit } from "./hash-split.ts";
import { checkHeldOutLabels, labelList } from "./labels.ts";
import { type LoadOptions, LoadOptionsSchema, type ResolvedLoadOptions } from "./options.ts";
import { isSmsLayout, parseFlat, readDataFile, resolveColumns } from "./read.ts";
import { stratifiedSplit } from "./split.ts";
import type { DataFormat, Dataset, Example, Splits } from "./types.ts";

/** The seed of the val carve differs from the test carve's so the two draws are not correlated. */
const VAL_SEED_SALT = 0x9e3779b9;

/**
 * The one entry point of the CLI: reads the files, makes any missing split, checks labels, and
 * returns the whole data set or throws (DataError for a bad file). Nothing is returned half-loaded.
 *
 * - `data` alone: a CLINC150 JSON keeps its published splits; the SMS Spam Collection gets the
 *   fixed hash split (see datasets/sms-spam/README.md; the fractions do not apply); any other file
 *   is split stratified and seeded: `testFraction` of all to test, then `valFraction` of the rest.
 * - `train` (+ `val`, `test`): the files as given; a missing one is carved from train the same way.
 * The out-of-scope label is "oos" whenever train has it (CLINC150's convention), else null.
 */
export async function loadDataset(options: LoadOptions): Promise<Dataset> {
  const parsed = LoadOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`invalid data options:\n${z.prettifyError(parsed.error)}`);
  const opts = parsed.data;
  const built = opts.data !== undefined ? await loadSingle(opts.data, opts) : await loadSeparate(opts);
  checkHeldOutLabels(built.splits, built.files);
  const labels = labelList(built.splits.train, CLINC_OOS_LABEL);
  return {
    name: opts.name ?? built.name,
    labels,
    outOfScopeLabel: labels.includes(CLINC_OOS_LABEL) ? CLINC_OOS_LABEL : null,
    ...built.splits,
    source: built.source,
  };
}

interface Built {
  name: string;
  splits: Splits;
  source: string;
  /** The file each held-out split came from, for label errors. */
  files: { val: string; test: string };
}

async function loadSingle(file: string, opts: ResolvedLoadOptions): Promise<Built> {
  const content = await readDataFile(file);
  const format = opts.format ?? detectFormat(file, content);
  const files = { val: file, test: file };
  if (format === "clinc") {
    const found = parseClinc(content, file);
    const { splits, notes } = carveMissing(found.train, found.val, found.test, opts);
    const how = notes.length === 0 ? "published splits" : `published splits; ${notes.join("; ")}`;
    return {
      name: "clinc150",
      splits,
      files,
      source: `CLINC150 layout ${file} (${how}; oos_* rows labelled "oos")`,
    };
  }
  const columns = resolveColumns(file, opts);
  const examples = parseFlat(file, content, format, columns);
  if (isSmsLayout(format, columns)) {
    return {
      name: "sms-spam",
      splits: hashSplit(examples),
      files,
      source: `SMS Spam Collection v.1 (Almeida, Gómez Hidalgo, Yamakami 2011) ${file}; ${HASH_SPLIT_DESCRIPTION}`,
    };
  }
  const { splits, notes } = carveMissing(examples, null, null, opts);
  return {
    name: datasetName(file),
    splits,
    files,
    source: `${format} ${file}${columnNote(format, opts)}; ${notes.join("; ")}`,
  };
}

async function loadSeparate(opts: ResolvedLoadOptions): Promise<Built> {
  const trainFile = opts.train!;
  const read = async (file: string | undefined): Promise<Example[] | null> => {
    if (file === undefined) return null;
    const content = await readDataFile(file);
    const format: DataFormat = opts.format ?? detectFormat(file, content);
    return parseFlat(file, content, format, resolveColumns(file, opts));
  };
  const [train, val, test] = await Promise.all([read(trainFile), read(opts.val), read(opts.test)]);
  const { splits, notes } = carveMissing(train!, val, test, opts);
  const parts = [`train ${trainFile}`];
  if (opts.val !== undefined) parts.push(`val ${opts.val}`);
  if (opts.test !== undefined) parts.push(`test ${opts.test}`);
  return {
    name: datasetName(trainFile),
    splits,
    files: { val: opts.val ?? trainFile, test: opts.test ?? trainFile },
    source: [...parts, ...notes].join("; "),
  };
}

/** Makes test (from all of train) and then val (from what is left) where the files gave none. */
function carveMissing(
  train: Example[],
  val: Example[] | null,
  test: Example[] | null,
  opts: ResolvedLoadOptions,
): { splits: Splits; notes: string[] } {
  const notes: string[] = [];
  let rest = train;
  let testSplit = test;
  if (testSplit === null) {
    const split = stratifiedSplit(rest, opts.testFraction, opts.seed);
    rest = split.keep;
    testSplit = split.held;
    notes.push(`test: ${opts.testFraction} held out, stratified, seed ${opts.seed}`);
  }
  let valSplit = val;
  if (valSplit === null) {
    const split = stratifiedSplit(rest, opts.valFraction, (opts.seed ^ VAL_SEED_SALT) >>> 0);
    rest = split.keep;
    valSplit = split.held;
    notes.push(`val: ${opts.valFraction} of the remaining train, stratified, seed ${opts.seed}`);
  }
  return { splits: { train: rest, val: valSplit, test: testSplit }, notes };
}

function columnNote(format: DataFormat, opts: ResolvedLoadOptions): string {
  if (format === "jsonl") return "";
  return ` (text column ${opts.textCol ?? "text"}, label column ${opts.labelCol ?? "label"})`;
}

// File names that say which part of a data set a file is, not which data set.
const GENERIC_STEMS = new Set([
  "train",
  "training",
  "val",
  "valid",
  "validation",
  "dev",
  "test",
  "data",
  "all",
]);

/**
 * A data set's name from its file: the file name without extension (spam.csv → "spam"), or the folder's
 * when the file is only named for its part (datasets/tickets/train.jsonl → "tickets").
 */
export function datasetName(file: string): string {
  const stem = basename(file, extname(file));
  if (!GENERIC_STEMS.has(stem.toLowerCase())) return stem;
  const folder = basename(dirname(file));
  return folder === "" || folder === "." || folder === ".." ? stem : folder;
}
