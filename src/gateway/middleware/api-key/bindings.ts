/**
 * Client access bindings (wrangler.toml). API_KEYS holds the clients' keys, hashed (store.ts); without it
 * CLIENT_AUTH=api-key refuses every client request (503). CLIENT_RATE_LIMITER is the Workers
 * rate-limiting binding counting requests per key id; without it keys are not rate limited.
 */
export interface ClientAccessBindings {
  API_KEYS?: KVNamespace;
  CLIENT_RATE_LIMITER?: RateLimit;
}
