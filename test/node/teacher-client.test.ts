/**
 * The teacher client's workerd specs, run again in Node against the same real servers (global-setup.ts):
 * the client uses only web-standard fetch, AbortSignal and timers, so its deadline, retry, breaker, cap and
 * adapters behave alike in both runtimes, and Stryker's vitest runner (Node only, docs/mutation.md) can
 * judge mutants of `src/gateway/teacher-client/` with them. The Cache API is workerd's alone, so the
 * answer-cache specs run there only.
 */
import "../workerd/teacher-adapters.test.ts";
import "../workerd/teacher-answers.test.ts";
import "../workerd/teacher-client.test.ts";
