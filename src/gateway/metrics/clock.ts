/**
 * Milliseconds for durations. workerd's clock is coarse (1 ms locally; in production it advances only
 * on I/O, a guard against timing attacks), so a short student run can read as 0 ms there: figures are
 * honest about that rather than precise (docs/architecture.md "Platform facts").
 */
export const now = (): number => performance.now();
