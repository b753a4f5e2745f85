import type { Page } from "@playwright/test";

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

export interface CspWatch {
  /** Every Content-Security-Policy violation the page reported so far (console) or the current document saw. */
  violations(): Promise<string[]>;
}

/**
 * Records the page's CSP violations: the browser's `securitypolicyviolation` events (an init script,
 * which Playwright injects outside the page's CSP, in every document) and its console reports
 * ("Refused to … because it violates the following Content Security Policy directive"), which also
 * cover documents already left. Call it before the page's first navigation.
 */
export async function watchCsp(page: Page): Promise<CspWatch> {
  const reported: string[] = [];
  page.on("console", (message) => {
    if (/Content[ -]Security[ -]Policy/i.test(message.text())) reported.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations?.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
    });
  });
  return {
    async violations() {
      const events = await page.evaluate(() => window.__cspViolations ?? []);
      return [...reported, ...events];
    },
  };
}
