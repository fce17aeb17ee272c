import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Real headless Chromium for browser tests: Debian's `chromium` package (CHROMIUM_PATH overrides the
 * path), driven by playwright-core, with a fresh profile per launch and the flags of issue 5: no
 * sandbox (containers), no GPU, and none of the browser's own background traffic.
 */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH)
    ? null
    : `no Chromium at ${CHROMIUM_PATH} (install Debian's: apt-get install chromium, or set CHROMIUM_PATH)`;
}

export interface Browser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "apprentice-chromium-"));
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      acceptDownloads: true,
    })
    .catch(async (error: unknown) => {
      await rm(profile, { recursive: true, force: true });
      throw error;
    });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * What went wrong in a page: console errors, uncaught exceptions and Content-Security-Policy
 * violations. The violations are caught by a listener installed before any page script runs (through
 * the DevTools protocol, which the page's CSP does not govern), so none can slip past.
 */
export interface PageProblems {
  console: string[];
  exceptions: string[];
  /** "directive blocked-uri" of each violation. */
  csp(): Promise<string[]>;
}

interface CspLog {
  __cspViolations?: string[];
}

export async function watchPage(page: Page): Promise<PageProblems> {
  const problems = { console: [] as string[], exceptions: [] as string[] };
  page.on("console", (message) => {
    if (message.type() === "error") problems.console.push(message.text());
  });
  page.on("pageerror", (error) => problems.exceptions.push(String(error)));
  await page.addInitScript(() => {
    const log: string[] = [];
    const target = globalThis as unknown as CspLog & {
      addEventListener(
        type: string,
        listener: (event: { violatedDirective: string; blockedURI: string }) => void,
      ): void;
    };
    target.__cspViolations = log;
    target.addEventListener("securitypolicyviolation", (event) => {
      log.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return {
    ...problems,
    csp: () => page.evaluate(() => (globalThis as unknown as CspLog).__cspViolations ?? []),
  };
}
