import { afterAll, beforeAll } from "vitest";
import { getPlatformProxy, type PlatformProxy } from "wrangler";
import type { Env } from "../../src/gateway/bindings.ts";

/**
 * The Worker's bindings on miniflare's real stores (KV, R2, …) in a Node test: wrangler's
 * getPlatformProxy over wrangler.toml, in memory and never remote. Called in a file or a `describe`, it
 * starts the proxy before that scope's tests and disposes of it after them; read `env` inside tests.
 */
export function usePlatformProxy(): { readonly env: Env } {
  let proxy: PlatformProxy<Env> | undefined;
  beforeAll(async () => {
    proxy = await getPlatformProxy<Env>({
      configPath: "wrangler.toml",
      persist: false,
      remoteBindings: false,
    });
  }, 60_000);
  afterAll(async () => {
    await proxy?.dispose();
  });
  return {
    get env(): Env {
      if (!proxy) throw new Error("the platform proxy starts before the tests: read env inside a test");
      return proxy.env;
    },
  };
}
