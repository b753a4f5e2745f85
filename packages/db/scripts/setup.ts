// `npm run setup`: safe to run again. Creates the five databases if missing, applies pending
// migrations, generates the Prisma clients and seeds a first admin and a demo client with one device.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DATABASES } from "../src/databases.ts";
import { generateClients } from "./generate.ts";

execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./migrate.ts", import.meta.url))], { stdio: "inherit" });
generateClients();
console.log(`generated ${DATABASES.length} Prisma clients`);

// Imported only now: the seed uses the clients generated just above.
const { seed } = await import("../src/seed.ts");
const result = await seed();
console.log(result.map((line) => `seed: ${line}`).join("\n"));
process.exit(0);
