/**
 * The loop's log: one line per step, on stderr. Human-readable by default
 * (`2026-12-03T14:00:00.000Z clinc150 count: 812 new records since …`), or one JSON object per line with
 * --json (`{"ts", "model", "step", "message", ...fields}`) for a log collector. A table the distillation
 * prints (the routing fit, the gate at several rates) is in the package's report.md; in text it is
 * shortened to its first line, in JSON it is kept whole.
 */
export type LoopStep =
  | "lease"
  | "state"
  | "count"
  | "distill"
  | "gate"
  | "upload"
  | "promote"
  | "shadow"
  | "wait"
  | "sleep"
  | "error";

export type LoopLog = (step: LoopStep, message: string, fields?: Record<string, unknown>) => void;

export function loopLog(
  model: string,
  json: boolean,
  write: (line: string) => void = (line) => process.stderr.write(line),
): LoopLog {
  return (step, message, fields = {}) => {
    const ts = new Date().toISOString();
    write(
      json
        ? `${JSON.stringify({ ts, model, step, message, ...fields })}\n`
        : `${ts} ${model} ${step}: ${firstLine(message)}\n`,
    );
  };
}

function firstLine(message: string): string {
  const end = message.indexOf("\n");
  return end < 0 ? message : `${message.slice(0, end)} (…)`;
}
