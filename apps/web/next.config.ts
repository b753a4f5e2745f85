import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

// The Docker image sets NEXT_OUTPUT=standalone at build time: a self-contained server traced from the
// monorepo root (the workspace packages live outside apps/web). Local builds keep `next start`.
// eslint-disable-next-line no-restricted-properties -- build-time switch, read before any env module
const standalone = process.env.NEXT_OUTPUT === "standalone";

const nextConfig: NextConfig = {
  // The workspace packages ship TypeScript sources (with `.ts` import extensions), compiled here.
  transpilePackages: ["@ems/auth", "@ems/config", "@ems/contracts", "@ems/db", "@ems/messaging"],
  // Native or Node-only modules are loaded from node_modules at run time instead of being bundled.
  serverExternalPackages: ["@node-rs/argon2", "@prisma/client", "@prisma/adapter-pg", "pg", "amqplib"],
  poweredByHeader: false,
  // No framing (clickjacking), no MIME sniffing, no full URLs leaked to other sites.
  headers: () =>
    Promise.resolve([
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        ],
      },
    ]),
  ...(standalone && {
    output: "standalone" as const,
    outputFileTracingRoot: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.."),
  }),
  typedRoutes: false,
};

export default nextConfig;
