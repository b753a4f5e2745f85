import { createHash, createHmac, randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { CHAT_BOT_ROLE, chatBotUrl, scramSha256Secret, setRolePassword } from "./chat-bot-role.ts";
import { databaseUrls } from "./env.ts";

describe("scramSha256Secret", () => {
  it("derives the keys of RFC 7677's example exchange (user, pencil)", () => {
    // RFC 7677 §3: the client's proof and the server's signature of that exchange follow from StoredKey
    // and ServerKey alone, so they check the secret independently of how it was computed.
    const secret = scramSha256Secret("pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"));
    const match = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$/.exec(secret);
    expect(match).not.toBeNull();
    const [storedKey, serverKey] = [Buffer.from(match![1]!, "base64"), Buffer.from(match![2]!, "base64")];
    const authMessage =
      "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    expect(createHmac("sha256", serverKey).update(authMessage).digest("base64")).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    const proof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const clientSignature = createHmac("sha256", storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ clientSignature[i]!));
    expect(createHash("sha256").update(clientKey).digest().equals(storedKey)).toBe(true);
  });
});

describe("setRolePassword", () => {
  it("stores the secret as given (PostgreSQL took it as pre-hashed), makes the role LOGIN, and writes again only for a new password", async () => {
    const admin = new pg.Client({ connectionString: databaseUrls.monitoring });
    await admin.connect();
    const role = `ems_test_role_${randomBytes(4).toString("hex")}`;
    const stored = async () =>
      (await admin.query<{ rolpassword: string; rolcanlogin: boolean }>("SELECT rolpassword, rolcanlogin FROM pg_authid WHERE rolname = $1", [role])).rows[0];
    try {
      await admin.query(`CREATE ROLE ${role} NOLOGIN`);
      expect(await setRolePassword(admin, role, "correct-horse-battery-staple")).toBe(true);
      const first = await stored();
      expect(first?.rolcanlogin).toBe(true);
      const salt = Buffer.from(/^SCRAM-SHA-256\$4096:([^$]+)\$/.exec(first?.rolpassword ?? "")?.[1] ?? "", "base64");
      expect(salt.length).toBe(16);
      expect(first?.rolpassword).toBe(scramSha256Secret("correct-horse-battery-staple", salt));

      // Every replica's migrator runs it at start: the same password changes nothing.
      expect(await setRolePassword(admin, role, "correct-horse-battery-staple")).toBe(false);
      expect((await stored())?.rolpassword).toBe(first?.rolpassword);
      expect(await setRolePassword(admin, role, "another-password")).toBe(true);
      expect((await stored())?.rolpassword).not.toBe(first?.rolpassword);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it("refuses a password that is not printable ASCII (it would need SASLprep)", () => {
    expect(() => scramSha256Secret("pass word")).toThrow(/printable ASCII/);
    expect(() => scramSha256Secret("pässword")).toThrow(/printable ASCII/);
  });

  it.each([
    ["device", ["devices.address", "devices.description", "devices.id", "devices.max_hourly_consumption", "devices.name", "devices.owner_id"]],
    [
      "monitoring",
      [
        ...["acknowledged_at", "cleared_at", "created_at", "device_id", "hour_start", "kind", "last_reading_at", "limit_kwh", "owner_id", "total_kwh"].map((c) => `alerts.${c}`),
        ...["device_id", "hour_start", "total_kwh"].map((c) => `hourly_consumption.${c}`),
      ],
    ],
  ] as const)("the %s migrations gave the chat bot's role read-only sessions, its columns and nothing else", async (database, columns) => {
    const admin = new pg.Client({ connectionString: databaseUrls[database] });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ table: string; column: string }>(
        `SELECT table_name AS table, column_name AS column FROM information_schema.column_privileges
          WHERE grantee = $1 AND privilege_type = 'SELECT' ORDER BY 1, 2`,
        [CHAT_BOT_ROLE],
      );
      expect(rows.map((row) => `${row.table}.${row.column}`)).toEqual(columns);
      const others = await admin.query("SELECT 1 FROM information_schema.table_privileges WHERE grantee = $1", [CHAT_BOT_ROLE]);
      expect(others.rowCount).toBe(0);
      const settings = await admin.query<{ setconfig: string[] }>(
        "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1",
        [CHAT_BOT_ROLE],
      );
      expect(settings.rows.flatMap((row) => row.setconfig)).toContain("default_transaction_read_only=on");
    } finally {
      await admin.end();
    }
  });
});

describe("chatBotUrl", () => {
  it("is the same server and database as the bot's role, without the owner's password", () => {
    expect(chatBotUrl("postgresql://ems:owner-secret@device-db:5432/ems_device")).toBe("postgresql://ems_chat_bot@device-db:5432/ems_device");
  });

  it("signs in on the migrated device database (this server trusts local connections) and reads devices' shown columns only", async () => {
    const bot = new pg.Client({ connectionString: chatBotUrl(databaseUrls.device) });
    await bot.connect();
    try {
      await expect(bot.query("SELECT id, name, owner_id FROM devices LIMIT 1")).resolves.toBeDefined();
      await expect(bot.query("SELECT * FROM devices LIMIT 1")).rejects.toThrow(/permission denied/);
      await expect(bot.query("SELECT * FROM outbox LIMIT 1")).rejects.toThrow(/permission denied/);
    } finally {
      await bot.end();
    }
  });
});
