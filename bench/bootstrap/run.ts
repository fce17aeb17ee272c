import type { Example } from "../../src/distill/data/index.ts";
import { waitForIndex } from "../loop/stream.ts";
import { type RedistilContext, type Redistillation, redistil } from "./redistil.ts";
import { normalised, sendWindow } from "./stream.ts";
import { type WindowFigures, windowFigures } from "./windows.ts";

export interface StreamOptions {
  /** Requests per window, and new logged records between re-distillations. */
  every: number;
  sending: { batch: number; inFlight: number };
  /** No new window starts after this (ms since the epoch). */
  deadline: number;
}

/**
 * Sends the stream window by window; after each, once `every` new records are logged, distils a student
 * from the logged teacher answers and, if the gate passes, waits until it serves the next window.
 */
export async function runStream(
  context: RedistilContext,
  stream: readonly Example[],
  teacherAnswer: (text: string) => string,
  { every, sending, deadline }: StreamOptions,
): Promise<{ windows: WindowFigures[]; redistillations: Redistillation[] }> {
  const { client, model, log } = context;
  const windows: WindowFigures[] = [];
  const redistillations: Redistillation[] = [];
  let live = "none";
  let livePackage: string | null = null;
  let loggedAtLastDistil = 0;
  const escalatedTexts = new Set<string>();
  for (let from = 0; from < stream.length && Date.now() < deadline; from += every) {
    const slice = stream.slice(from, from + every);
    const outcomes = await sendWindow(client, model, slice, teacherAnswer, sending);
    outcomes.forEach((o, i) => {
      if (o.teacherCall) escalatedTexts.add(normalised(slice[i]!.text));
    });
    const before = windows.at(-1) ?? { cumulativeTeacherCalls: 0, cumulativeTexts: 0 };
    const w = windowFigures(windows.length + 1, from, live, outcomes, {
      teacherCalls: before.cumulativeTeacherCalls,
      texts: before.cumulativeTexts,
    });
    windows.push(w);
    log(
      `window ${w.window} (${live}): teacher ${(100 * w.teacherRate).toFixed(1)}%, served ${(100 * w.servedAccuracy).toFixed(1)}% vs teacher-only ${(100 * w.teacherOnlyAccuracy).toFixed(1)}%, agreement ${(100 * w.agreement).toFixed(1)}%`,
    );
    if (from + every >= stream.length || Date.now() >= deadline) break;
    const logged = await waitForIndex(client, model, escalatedTexts.size, 30_000, log);
    if (logged - loggedAtLastDistil < every) continue;
    log(`re-distilling from ${logged} logged records`);
    const { run, out } = await redistil(context, logged, livePackage);
    redistillations.push(run);
    loggedAtLastDistil = logged;
    log(
      `  ${run.version} ${run.promoted ? "live" : "refused"} after ${run.distilSeconds.toFixed(0)} s: ${run.reason}`,
    );
    if (run.promoted && out !== null) {
      live = run.version;
      livePackage = out;
    }
  }

  return { windows, redistillations };
}
