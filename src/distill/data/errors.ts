/**
 * A data file that cannot be used. The message always names the file and, when the fault has a
 * place, the 1-based line, so the user can open the file at the right spot: `file:line: reason`.
 */
export class DataError extends Error {
  override readonly name = "DataError";

  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
  }
}
