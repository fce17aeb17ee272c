/** What the pipeline reports while it runs; the CLI draws it with cli-progress, tests ignore it. */
export interface Progress {
  stage(message: string): void;
  /** Whether the epoch bars show validation accuracy (it costs a pass over the validation split). */
  readonly showsAccuracy: boolean;
  /** A bar for one model's epochs. */
  epochs(label: string, total: number): EpochBar;
  done(): void;
}

export interface EpochBar {
  /**
   * `valAccuracy` is a function so that a silent bar costs nothing: a full pass over the validation
   * split per epoch, while the other training thread waits, is only worth it when someone reads it.
   */
  update(epoch: number, loss: number, valAccuracy: () => number): void;
}

export const SILENT: Progress = {
  stage: () => {},
  showsAccuracy: false,
  epochs: () => ({ update: () => {} }),
  done: () => {},
};
