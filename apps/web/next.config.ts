import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The workspace packages ship TypeScript sources (with `.ts` import extensions), compiled here.
  transpilePackages: ["@ems/auth", "@ems/config", "@ems/contracts", "@ems/db", "@ems/messaging"],
  // Native or Node-only modules are loaded from node_modules at run time instead of being bundled.
  serverExternalPackages: ["@node-rs/argon2", "@prisma/client", "@prisma/adapter-pg", "pg", "amqplib"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
