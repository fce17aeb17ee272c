/**
 * How to find the text and the label in a delimited file. A column is named by its header or by
 * a 0-based index; an all-digit string counts as an index, as the CLI passes everything as text.
 */
export interface ColumnOptions {
  textCol: string;
  labelCol: string;
  /** Whether the first record is a header; defaults to "yes" exactly when a column is given by name. */
  header?: boolean;
}

export function isColumnIndex(col: string): boolean {
  return /^\d+$/.test(col);
}

/** The default for `header`: names only make sense with a header, indexes usually mean there is none. */
export function defaultHeader(options: ColumnOptions): boolean {
  return options.header ?? !(isColumnIndex(options.textCol) && isColumnIndex(options.labelCol));
}
