// Run with `node --import tsx` (a child process, so that the database clients read the URLs set here):
//   databases.ts create <label>   → creates and migrates five test databases, seeds them, prints their URLs as JSON
//   databases.ts drop '<json>'    → drops them again
/* eslint-disable no-restricted-properties -- hands the test databases' URLs to the seed's database clients */
import { DATABASE_URL_VARIABLES, DATABASES } from "@ems/db/databases";
import { createTestDatabases, dropTestDatabases, type TestDatabaseUrls } from "@ems/db/testing";

const [command, argument] = process.argv.slice(2);

if (command === "create" && argument) {
  const urls = await createTestDatabases(argument);
  for (const name of DATABASES) process.env[DATABASE_URL_VARIABLES[name]] = urls[name];
  // The seed gives the run an administrator (admin / admin-password) and the demo client with a device.
  const { seed } = await import("../../../../packages/db/src/seed.ts");
  await seed();
  process.stdout.write(`${JSON.stringify(urls)}\n`);
  process.exit(0);
} else if (command === "drop" && argument) {
  await dropTestDatabases(JSON.parse(argument) as TestDatabaseUrls);
  process.exit(0);
} else {
  console.error("usage: databases.ts create <label> | drop <json>");
  process.exit(64);
}
