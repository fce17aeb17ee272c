/** A benchmark's progress log on stderr, each line stamped with the seconds since it began. */
export function progressLog(): { log: (line: string) => void; seconds: () => number } {
  const began = performance.now();
  const seconds = () => (performance.now() - began) / 1000;
  const log = (line: string) => process.stderr.write(`[${seconds().toFixed(0).padStart(4)} s] ${line}\n`);
  return { log, seconds };
}
