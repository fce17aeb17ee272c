import cliProgress from "cli-progress";
import type { EpochBar, Progress } from "../pipeline/progress.ts";

/** Progress on the terminal: one bar per model with epoch, loss and validation accuracy. */
export function terminalProgress(): Progress {
  const multibar = new cliProgress.MultiBar(
    {
      format: " {label} |{bar}| epoch {value}/{total} | loss {loss} | val acc {acc}",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    stage: (message) => multibar.log(`${message}\n`),
    showsAccuracy: true,
    epochs(label, total): EpochBar {
      const bar = multibar.create(total, 0, { label: label.padEnd(13), loss: "-", acc: "-" });
      return {
        update: (epoch, loss, acc) =>
          bar.update(epoch, { loss: loss.toFixed(4), acc: `${(acc() * 100).toFixed(2)}%` }),
      };
    },
    done: () => multibar.stop(),
  };
}

/** Plain stage lines for --quiet: no bars, but still a trace of where the time went. */
export function quietProgress(): Progress {
  const started = performance.now();
  const elapsed = () => ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  return {
    stage: (message) => process.stderr.write(`${elapsed()} s  ${message}\n`),
    showsAccuracy: false,
    epochs: () => ({ update: () => {} }),
    done: () => process.stderr.write(`${elapsed()} s  done\n`),
  };
}
