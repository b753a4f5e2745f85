// Generates the five Prisma clients. Prisma's schema engine cannot be downloaded here and is not
// needed (dbmate runs the migrations), so it is pointed at a stub that says so.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DATABASES } from "../src/databases.ts";
import { prismaSchemaPath } from "../src/migrate.ts";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function generateClients(): void {
  for (const name of DATABASES) {
    execFileSync("npx", ["--no-install", "prisma", "generate", "--schema", prismaSchemaPath(name)], {
      cwd: packageRoot,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        // eslint-disable-next-line no-restricted-properties -- the child inherits our environment
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: path.join(packageRoot, "scripts", "no-schema-engine.sh"),
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  generateClients();
  console.log(`generated ${DATABASES.length} Prisma clients`);
}
