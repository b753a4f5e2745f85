import { z } from "zod";

// Runs in the browser before the app's own code (Next.js instrumentation-client). Zod 4 probes once
// whether it may compile parsers with `new Function`; under the pages' Content-Security-Policy (no
// 'unsafe-eval', src/proxy.ts) the probe fails harmlessly but the browser still reports a CSP
// violation. Jitless mode skips the probe; it must be set before the first schema is built.
z.config({ jitless: true });
