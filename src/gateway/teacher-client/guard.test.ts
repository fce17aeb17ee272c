import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { breakerState, type GuardSettings, guardFor, runGuarded } from "./guard.ts";
import { TeacherError } from "./types.ts";

/**
 * The guard's rules on a clock the test moves (Date and timers), so each bound is asserted at its edge:
 * the deadline, the retry budget, the backoff's range, the breaker's threshold and cooldown, the cap.
 * The call it guards is the adapter's contract (a function of the abort signal); the HTTP side is
 * specified against real teachers in test/workerd/teacher-client.test.ts (run in both runtimes).
 */
const SETTINGS: GuardSettings = {
  timeoutMs: 10_000,
  retries: 0,
  maxConcurrency: 16,
  breakerFailures: 1000,
  breakerCooldownMs: 1000,
};

let serial = 0;
/** A guard no other test shares (state is per teacher, model and settings). */
function freshGuard(settings: Partial<GuardSettings> = {}) {
  serial += 1;
  const teacher = `test-teacher-${serial}`;
  const full = { ...SETTINGS, ...settings };
  return { guard: guardFor(teacher, "m", full), teacher, settings: full };
}

/** A call that fails with these errors in turn, then answers "ok"; it counts its attempts. */
function failing(...errors: unknown[]) {
  const signals: AbortSignal[] = [];
  const call = async (signal: AbortSignal) => {
    signals.push(signal);
    const error = errors[signals.length - 1];
    if (error !== undefined) throw error;
    return "ok";
  };
  return { call, signals, attempts: () => signals.length };
}

const never = (signal: AbortSignal) => {
  void signal;
  return new Promise<string>(() => {});
};

/** A promise's outcome, observed without leaving a rejection unhandled. */
function watch<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

const http5xx = () => new TeacherError("http_5xx", "HTTP 503", 503);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("deadline", () => {
  it("an unanswered call is a timeout at the deadline, with the call's signal aborted", async () => {
    const { guard } = freshGuard({ timeoutMs: 100 });
    let seen: AbortSignal | undefined;
    const outcome = watch(
      runGuarded(guard, (signal) => {
        seen = signal;
        return never(signal);
      }),
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(outcome.done).toBe(false);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.error).toBeInstanceOf(TeacherError);
    expect(outcome.error).toMatchObject({
      kind: "timeout",
      message: "no answer within the 100 ms deadline",
    });
    expect(seen?.aborted).toBe(true);
  });

  it("an answer before the deadline clears its timer", async () => {
    const { guard } = freshGuard({ timeoutMs: 100 });
    await expect(runGuarded(guard, async () => "ok")).resolves.toBe("ok");
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("retry", () => {
  it("retries a 5xx or a network failure, as many times as configured", async () => {
    const { guard } = freshGuard({ retries: 2 });
    const teacher = failing(http5xx(), new TeacherError("network", "refused"));
    const outcome = watch(runGuarded(guard, teacher.call));
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.value).toBe("ok");
    expect(teacher.attempts()).toBe(3);
  });

  it("gives up after the configured retries with the last failure", async () => {
    const { guard } = freshGuard({ retries: 1 });
    const last = new TeacherError("network", "refused again");
    const teacher = failing(http5xx(), last, http5xx());
    const outcome = watch(runGuarded(guard, teacher.call));
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.error).toBe(last);
    expect(teacher.attempts()).toBe(2);
  });

  it.each([
    ["http_4xx", new TeacherError("http_4xx", "HTTP 400", 400)],
    ["bad_response", new TeacherError("bad_response", "not JSON")],
    ["unknown_label", new TeacherError("unknown_label", "no such label")],
    ["a plain Error", new Error("adapter bug")],
  ])("never retries %s", async (_, error) => {
    const { guard } = freshGuard({ retries: 3 });
    const teacher = failing(error);
    const outcome = watch(runGuarded(guard, teacher.call));
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.done).toBe(true);
    expect(teacher.attempts()).toBe(1);
  });

  it("retries when exactly the 100 ms a retry needs are left, not with 99", async () => {
    const room = freshGuard({ timeoutMs: 100, retries: 1 });
    const retried = failing(http5xx());
    const outcome = watch(runGuarded(room.guard, retried.call));
    await vi.advanceTimersByTimeAsync(25);
    expect(outcome.value).toBe("ok");
    expect(retried.attempts()).toBe(2);

    const tight = freshGuard({ timeoutMs: 99, retries: 1 });
    const once = failing(http5xx());
    await expect(runGuarded(tight.guard, once.call)).rejects.toMatchObject({ kind: "http_5xx" });
    expect(once.attempts()).toBe(1);
  });

  it("backs off 25–50 ms, then 50–100 ms (equal jitter over doubling 50 ms steps)", async () => {
    const { guard } = freshGuard({ retries: 2 });
    const teacher = failing(http5xx(), http5xx());
    const outcome = watch(runGuarded(guard, teacher.call));
    await vi.advanceTimersByTimeAsync(24);
    expect(teacher.attempts()).toBe(1);
    await vi.advanceTimersByTimeAsync(26); // 50 ms
    expect(teacher.attempts()).toBe(2);
    // The second wait starts 25–50 ms in and lasts 50–100 ms: the third attempt comes 75–150 ms in.
    await vi.advanceTimersByTimeAsync(24); // 74 ms
    expect(teacher.attempts()).toBe(2);
    await vi.advanceTimersByTimeAsync(76); // 150 ms
    expect(teacher.attempts()).toBe(3);
    expect(outcome.value).toBe("ok");
  });

  it("the jitter spans the upper half of the step: 25 ms at one end, 50 ms at the other", async () => {
    for (const [random, wait] of [
      [0, 25],
      [0.999, 49.975],
    ] as const) {
      const draw = vi.spyOn(Math, "random").mockReturnValue(random);
      try {
        const { guard } = freshGuard({ retries: 1 });
        const teacher = failing(http5xx());
        const outcome = watch(runGuarded(guard, teacher.call));
        await vi.advanceTimersByTimeAsync(Math.floor(wait) - 1);
        expect(teacher.attempts(), `random ${random}`).toBe(1);
        await vi.advanceTimersByTimeAsync(2);
        expect(teacher.attempts(), `random ${random}`).toBe(2);
        expect(outcome.value).toBe("ok");
      } finally {
        draw.mockRestore();
      }
    }
  });

  it("a backoff is at most a quarter of the time left, and at least half of that", async () => {
    // 120 ms left: the step is 30 ms, not 50, so the wait is 15–30 ms.
    const { guard } = freshGuard({ timeoutMs: 120, retries: 1 });
    const teacher = failing(http5xx());
    const outcome = watch(runGuarded(guard, teacher.call));
    await vi.advanceTimersByTimeAsync(14);
    expect(teacher.attempts()).toBe(1);
    await vi.advanceTimersByTimeAsync(16);
    expect(teacher.attempts()).toBe(2);
    expect(outcome.value).toBe("ok");
  });

  it("does not retry once the deadline has passed, even if the call ignored its signal", async () => {
    const { guard } = freshGuard({ timeoutMs: 100, retries: 3 });
    let attempts = 0;
    const outcome = watch(
      runGuarded(guard, async () => {
        attempts += 1;
        // Answers (a 5xx) only after the deadline.
        await new Promise((resolve) => setTimeout(resolve, 150));
        throw http5xx();
      }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.error).toMatchObject({ kind: "timeout" });
    expect(attempts).toBe(1);
  });
});

describe("circuit breaker", () => {
  it("opens at the threshold of consecutive failures, not before; a success starts the count again", async () => {
    const { guard, teacher, settings } = freshGuard({ breakerFailures: 2 });
    await expect(runGuarded(guard, failing(http5xx()).call)).rejects.toMatchObject({ kind: "http_5xx" });
    await expect(runGuarded(guard, failing().call)).resolves.toBe("ok");
    await expect(runGuarded(guard, failing(http5xx()).call)).rejects.toMatchObject({ kind: "http_5xx" });
    expect(breakerState(teacher, settings, "m")).toBe("closed");
    await expect(runGuarded(guard, failing(http5xx()).call)).rejects.toMatchObject({ kind: "http_5xx" });
    expect(breakerState(teacher, settings, "m")).toBe("open");
    const refused = failing();
    await expect(runGuarded(guard, refused.call)).rejects.toMatchObject({
      kind: "breaker_open",
      message: "the circuit breaker is open",
    });
    expect(refused.attempts()).toBe(0);
  });

  it("stays open for the whole cooldown, then lets one probe through without retries", async () => {
    const { guard, teacher, settings } = freshGuard({ breakerFailures: 1, retries: 2 });
    // Any failure counts toward the breaker; a 4xx opens it without a retry.
    const rejected = new TeacherError("http_4xx", "HTTP 400", 400);
    await expect(runGuarded(guard, failing(rejected).call)).rejects.toBe(rejected);
    vi.advanceTimersByTime(999);
    expect(breakerState(teacher, settings, "m")).toBe("open");
    await expect(runGuarded(guard, failing().call)).rejects.toMatchObject({ kind: "breaker_open" });
    vi.advanceTimersByTime(1);
    expect(breakerState(teacher, settings, "m")).toBe("half_open");

    const probe = failing(http5xx());
    await expect(runGuarded(guard, probe.call)).rejects.toMatchObject({ kind: "http_5xx" });
    expect(probe.attempts()).toBe(1);
    // A failed probe re-opens it for a full cooldown from now.
    expect(breakerState(teacher, settings, "m")).toBe("open");
    vi.advanceTimersByTime(999);
    expect(breakerState(teacher, settings, "m")).toBe("open");
  });

  it("while the probe is in flight every other call is refused; its success closes the breaker", async () => {
    const { guard, teacher, settings } = freshGuard({ breakerFailures: 1 });
    await expect(runGuarded(guard, failing(http5xx()).call)).rejects.toBeInstanceOf(TeacherError);
    vi.advanceTimersByTime(1000);
    let answer: (value: string) => void = () => {};
    const probe = runGuarded(guard, () => new Promise<string>((resolve) => (answer = resolve)));
    await expect(runGuarded(guard, failing().call)).rejects.toMatchObject({
      kind: "breaker_open",
      message: "the circuit breaker is half-open and its probe is in flight",
    });
    expect(breakerState(teacher, settings, "m")).toBe("half_open");
    answer("ok");
    await expect(probe).resolves.toBe("ok");
    expect(breakerState(teacher, settings, "m")).toBe("closed");
    await expect(runGuarded(guard, failing().call)).resolves.toBe("ok");
  });

  it("without a model, the state is the worst of the teacher's models under the same settings", async () => {
    const { teacher, settings } = freshGuard({ breakerFailures: 1 });
    expect(breakerState(teacher, settings)).toBe("closed");
    // The open breaker is not the last one this isolate made: the worst wins, not the latest.
    const down = guardFor(teacher, "down", settings);
    const calm = guardFor(teacher, "calm", settings);
    await expect(runGuarded(down, failing(http5xx()).call)).rejects.toBeInstanceOf(TeacherError);
    await expect(runGuarded(calm, failing().call)).resolves.toBe("ok");
    expect(breakerState(teacher, settings, "calm")).toBe("closed");
    expect(breakerState(teacher, settings, "never-called")).toBe("closed");
    expect(breakerState(teacher, settings)).toBe("open");
    vi.advanceTimersByTime(1000);
    expect(breakerState(teacher, settings)).toBe("half_open");
    // Another configuration of the same teacher is another breaker.
    expect(breakerState(teacher, { ...settings, retries: 1 })).toBe("closed");
    expect(breakerState("another-teacher", settings)).toBe("closed");
  });
});

describe("concurrency cap", () => {
  it("refuses a call beyond the cap at once; a finished call, failed or not, frees its slot", async () => {
    const { guard } = freshGuard({ maxConcurrency: 2 });
    const first = watch(runGuarded(guard, never));
    let fail: (error: unknown) => void = () => {};
    const second = watch(runGuarded(guard, () => new Promise<string>((_, reject) => (fail = reject))));
    const refused = failing();
    await expect(runGuarded(guard, refused.call)).rejects.toMatchObject({
      kind: "overloaded",
      message: "2 teacher calls already in flight",
    });
    expect(refused.attempts()).toBe(0);
    fail(new TeacherError("http_4xx", "HTTP 400", 400));
    await vi.advanceTimersByTimeAsync(0);
    expect(second.error).toMatchObject({ kind: "http_4xx" });
    await expect(runGuarded(guard, failing().call)).resolves.toBe("ok");
    expect(first.done).toBe(false);
  });
});

describe("admission (the teacher budget)", () => {
  it("a refusal is the budget's: the call is not sent, the breaker is untouched, the slot is freed", async () => {
    const { guard, teacher, settings } = freshGuard({ breakerFailures: 1, maxConcurrency: 1 });
    const budget = new TeacherError("budget", "spent", undefined, 30);
    const sent = failing();
    await expect(
      runGuarded(guard, sent.call, async () => {
        throw budget;
      }),
    ).rejects.toBe(budget);
    expect(sent.attempts()).toBe(0);
    expect(breakerState(teacher, settings, "m")).toBe("closed");
    await expect(runGuarded(guard, sent.call, async () => {})).resolves.toBe("ok");
  });

  it("anything else an admission throws is a bad_response with its message", async () => {
    const { guard } = freshGuard();
    await expect(
      runGuarded(guard, failing().call, async () => {
        throw new Error("store down");
      }),
    ).rejects.toMatchObject({ kind: "bad_response", message: "store down" });
    await expect(runGuarded(guard, failing().call, () => Promise.reject("no reason"))).rejects.toMatchObject({
      kind: "bad_response",
      message: "no reason",
    });
  });

  it("a probe the budget refuses leaves the breaker half-open for the next caller", async () => {
    const { guard, teacher, settings } = freshGuard({ breakerFailures: 1 });
    await expect(runGuarded(guard, failing(http5xx()).call)).rejects.toBeInstanceOf(TeacherError);
    vi.advanceTimersByTime(1000);
    await expect(
      runGuarded(guard, failing().call, async () => {
        throw new TeacherError("budget", "spent");
      }),
    ).rejects.toMatchObject({ kind: "budget" });
    expect(breakerState(teacher, settings, "m")).toBe("half_open");
    await expect(runGuarded(guard, failing().call)).resolves.toBe("ok");
    expect(breakerState(teacher, settings, "m")).toBe("closed");
  });

  it("a call that throws something other than a TeacherError is a bad_response", async () => {
    const { guard } = freshGuard();
    await expect(runGuarded(guard, failing(new Error("adapter bug")).call)).rejects.toMatchObject({
      kind: "bad_response",
      message: "adapter bug",
    });
    await expect(runGuarded(guard, failing("a string").call)).rejects.toMatchObject({
      kind: "bad_response",
      message: "a string",
    });
  });
});
