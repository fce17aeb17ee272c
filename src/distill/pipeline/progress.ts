/** What the pipeline reports while it runs; the CLI draws it with cli-progress, tests ignore it. */
export interface Progress {
  stage(message: string): void;
  /** A bar for one model's epochs. */
  epochs(label: string, total: number): EpochBar;
  done(): void;
}

export interface EpochBar {
  update(epoch: number, loss: number, valAccuracy: number): void;
}

export const SILENT: Progress = {
  stage: () => {},
  epochs: () => ({ update: () => {} }),
  done: () => {},
};
