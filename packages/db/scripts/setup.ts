// `npm run setup`: safe to run again. Creates the five databases if missing, applies pending
// migrations, generates the Prisma clients and seeds a first admin and a demo client with one device.
import { DATABASES } from "../src/databases.ts";
import { migrate } from "../src/migrate.ts";
import { generateClients } from "./generate.ts";

const { databaseUrls } = await import("../src/env.ts");

for (const name of DATABASES) {
  const output = await migrate(name, databaseUrls[name]);
  const applied = output.split("\n").filter((line) => line.startsWith("Applying:")).length;
  console.log(`database ${name}: ${applied ? `${applied} migration(s) applied` : "up to date"}`);
}

generateClients();
console.log(`generated ${DATABASES.length} Prisma clients`);

// Imported only now: the seed uses the clients generated just above.
const { seed } = await import("../src/seed.ts");
const result = await seed();
console.log(result.map((line) => `seed: ${line}`).join("\n"));
process.exit(0);
