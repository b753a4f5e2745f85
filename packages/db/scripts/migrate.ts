// `migrate [database...]`: applies pending migrations to the named databases (all five when none is
// named), creating them if missing. Containers run it at start: it waits up to MIGRATE_WAIT_SECONDS
// for a database that is not reachable yet, and concurrent runs wait on an advisory lock.
import { DATABASES, type DatabaseName } from "../src/databases.ts";
import { CHAT_BOT_DATABASES, CHAT_BOT_ROLE, setRolePassword } from "../src/chat-bot-role.ts";
import { migrate } from "../src/migrate.ts";

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(DATABASES as readonly string[]).includes(name));
if (unknown.length) {
  console.error(`unknown database(s): ${unknown.join(", ")}; expected some of: ${DATABASES.join(", ")}`);
  process.exit(2);
}
const { databaseUrls, dbEnv } = await import("../src/env.ts");
const waitMs = dbEnv.MIGRATE_WAIT_SECONDS * 1000;
for (const name of (requested.length ? requested : DATABASES) as DatabaseName[]) {
  try {
    const botPassword = CHAT_BOT_DATABASES.includes(name) ? dbEnv.CHAT_BOT_DATABASE_PASSWORD : undefined;
    let botPasswordSet = false;
    const output = await migrate(name, databaseUrls[name], {
      waitMs,
      afterMigrations: botPassword ? async (client) => void (botPasswordSet = await setRolePassword(client, CHAT_BOT_ROLE, botPassword)) : undefined,
    });
    const applied = output.split("\n").filter((line) => line.startsWith("Applying:")).length;
    console.log(`database ${name}: ${applied ? `${applied} migration(s) applied` : "up to date"}`);
    if (botPasswordSet) console.log(`database ${name}: role ${CHAT_BOT_ROLE} may sign in with its (new) password`);
  } catch (error) {
    // migrate's messages name the database and the cause, without the password: no stack needed.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
