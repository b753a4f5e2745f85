import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";
import { NON_PAGE_CONTENT_SECURITY_POLICY } from "./src/server/security-headers.ts";

// The Docker image sets NEXT_OUTPUT=standalone at build time: a self-contained server traced from the
// monorepo root (the workspace packages live outside apps/web). Local builds keep `next start`.
// eslint-disable-next-line no-restricted-properties -- build-time switch, read before any env module
const standalone = process.env.NEXT_OUTPUT === "standalone";

const nextConfig: NextConfig = {
  // The workspace packages ship TypeScript sources (with `.ts` import extensions), compiled here.
  transpilePackages: ["@ems/auth", "@ems/config", "@ems/contracts", "@ems/db", "@ems/hashing", "@ems/messaging", "@ems/runtime"],
  // Native or Node-only modules are loaded from node_modules at run time instead of being bundled.
  serverExternalPackages: ["@node-rs/argon2", "@prisma/client", "@prisma/adapter-pg", "pg", "amqplib"],
  poweredByHeader: false,
  // Fixed headers of every response: no framing (clickjacking), no MIME sniffing, no full URLs leaked
  // to other sites, no shared browsing context with pages of other origins (ASVS 5.0 V3.4.4–V3.4.8).
  // Pages get their own per-request Content-Security-Policy with a script nonce, and HSTS on an https
  // deployment, from src/proxy.ts (these headers are fixed at build time, the public origin is not);
  // responses the proxy does not see (API, static files) get the fixed policy below.
  headers: () =>
    Promise.resolve([
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
      ...["/api/:path*", "/_next/static/:path*", "/_next/image", "/favicon.ico"].map((source) => ({
        source,
        headers: [{ key: "Content-Security-Policy", value: NON_PAGE_CONTENT_SECURITY_POLICY }],
      })),
    ]),
  ...(standalone && {
    output: "standalone" as const,
    outputFileTracingRoot: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.."),
  }),
  typedRoutes: false,
};

export default nextConfig;
