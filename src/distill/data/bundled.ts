/**
 * The data sets shipped under datasets/, by the name their models carry, so commands can take
 * `--data clinc150` instead of a path. Any other value is a path to a data file.
 */
export const BUNDLED_DATASETS: Readonly<Record<string, string>> = {
  clinc150: "datasets/clinc150/data_full.json",
  "sms-spam": "datasets/sms-spam/SMSSpamCollection.tsv",
};

export function dataFileOf(nameOrPath: string): string {
  return Object.hasOwn(BUNDLED_DATASETS, nameOrPath) ? BUNDLED_DATASETS[nameOrPath]! : nameOrPath;
}
