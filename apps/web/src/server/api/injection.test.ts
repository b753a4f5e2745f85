import { TRPCError } from "@trpc/server";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { userDb } from "@ems/db/user";
import superjson from "superjson";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as trpcGet, POST as trpcPost } from "~/app/api/trpc/[trpc]/route.ts";
import { callerFor, createCast, createTestDevice, PASSWORD, uniqueName, type Cast } from "../../../test/fixtures.ts";
import { bearerFor, randomClientIp, rest } from "../../../test/rest.ts";

/**
 * OWASP ASVS 5.0:
 *  - 1.2.4 "Verify that data selection or database queries (e.g., SQL, HQL, NoSQL, Cypher) use
 *    parameterized queries, ORMs, entity frameworks, or are otherwise protected from SQL Injection
 *    and other database injection attacks."
 *  - 2.2.1 "Verify that input is validated to enforce business or functional expectations for that
 *    input [...] For L2 and up, this should apply to all input."
 *  - V1.1 (section text): data is stored "in its original state and is not stored in an encoded or
 *    escaped form"; output encoding happens where it is rendered (React renders text, never HTML).
 *
 * Every text input — registration and admin user fields, device fields, passwords, sign-in
 * fields, REST path and query parameters — gets injection-style payloads. Each is either stored and
 * returned exactly as sent, or refused with a 400; never a 500, and nothing else changes.
 */

/** Payloads free text must store and return verbatim. None has leading or trailing whitespace (inputs are trimmed). */
const VERBATIM_PAYLOADS = [
  "'; DROP TABLE devices; --",
  "' OR '1'='1",
  "\" OR \"\"=\"",
  "Robert'); DROP TABLE credentials;--",
  "1; SELECT pg_sleep(10)",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "javascript:alert(1)",
  "{{7*7}}",
  "${7*7}",
  "#{7*7}",
  "%s%s%s%n",
  "{\"$where\": \"1 == 1\"}",
  "__proto__",
  "../../etc/passwd",
  "back\\slash \\' \\\" quotes",
  "line\nbreak\ttab\r\ncrlf",
  "bell\u0007 escape\u001b[31m",
  "emoji 🔌⚡ combining e\u0301 zero\u200Bwidth \u202Eright-to-left",
  "日本語のデバイス Ελληνικά العربية",
];

/** Payloads no text column can hold as sent: refused with a 400 (PostgreSQL rejects NUL; a lone surrogate would become U+FFFD). */
const UNSTORABLE_PAYLOADS = ["nul \u0000 byte", "lone \uD800 surrogate", "\uDC00 reversed"];

let cast: Cast;
let controlDevice: { id: string; name: string; version: number };

beforeAll(async () => {
  cast = await createCast();
  controlDevice = await createTestDevice(cast.admin, cast.clientA.id);
});

/** The write's result, or "BAD_REQUEST"; any other failure (a 500 above all) fails the test. */
async function storedOrRefused<T>(write: () => Promise<T>): Promise<T | "BAD_REQUEST"> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "BAD_REQUEST") return "BAD_REQUEST";
    throw error;
  }
}

async function expectBadRequest(write: () => Promise<unknown>): Promise<void> {
  expect(await storedOrRefused(write)).toBe("BAD_REQUEST");
}

describe("ASVS V1.2.4 + V2.2.1 — free-text fields store injection-style payloads verbatim", () => {
  it.each(VERBATIM_PAYLOADS)("%j in registration, user and device fields", async (payload) => {
    const admin = callerFor(cast.admin);

    const registered = await callerFor(null).auth.register({ username: uniqueName("inj"), password: PASSWORD, name: payload, address: payload });
    expect(await admin.users.byId({ id: registered.id })).toMatchObject({ name: payload, address: payload });

    const created = await admin.users.create({ username: uniqueName("inj"), password: PASSWORD, name: payload, address: payload, role: "client" });
    await admin.users.update({ id: created.id, name: `${payload} (updated)`, address: `${payload} (updated)` });
    expect(await callerFor({ ...created }).auth.profile()).toMatchObject({ name: `${payload} (updated)`, address: `${payload} (updated)` });

    const device = await admin.devices.create({ name: payload, description: payload, address: payload, maxHourlyConsumption: 1, ownerId: registered.id });
    expect(await callerFor({ ...registered }).devices.byId({ id: device.id })).toMatchObject({ name: payload, description: payload, address: payload });
    await admin.devices.update({ id: device.id, name: `${payload}!`, description: `${payload}!`, address: `${payload}!` });
    expect(await admin.devices.byId({ id: device.id })).toMatchObject({ name: `${payload}!`, description: `${payload}!`, address: `${payload}!` });
  });

  it.each(VERBATIM_PAYLOADS)("%j as a password: hashed, and signs in exactly as typed", async (payload) => {
    const password = `pw ${payload}`;
    const user = await callerFor(cast.admin).users.create({ username: uniqueName("pwinj"), password, name: "Password payload" });
    expect((await rest.login({ username: user.username, password }, randomClientIp())).status).toBe(200);
    expect((await rest.login({ username: user.username, password: password.toUpperCase() }, randomClientIp())).status).toBe(password === password.toUpperCase() ? 200 : 401);
  });
});

describe("ASVS V2.2.1 — format-restricted fields refuse what their format does not allow", () => {
  it.each([...VERBATIM_PAYLOADS, ...UNSTORABLE_PAYLOADS])("%j as a username (a-z 0-9 . _ -) or an email: 400, or stored verbatim", async (payload) => {
    const admin = callerFor(cast.admin);
    // Admin-created users share the registration schema (createUserInputSchema extends it).
    const registered = await storedOrRefused(() => callerFor(null).auth.register({ username: payload, password: PASSWORD, name: "Username payload" }));
    if (registered !== "BAD_REQUEST") expect(registered.username).toBe(payload);

    for (const email of [payload, `${payload}@example.com`, `user@${payload}.example`]) {
      const result = await storedOrRefused(() => admin.users.update({ id: cast.clientB.id, email }));
      if (result !== "BAD_REQUEST") expect((await admin.users.byId({ id: cast.clientB.id })).email).toBe(email.toLowerCase());
    }
  });
});

describe("ASVS V2.2.1 — text no column can hold as sent is refused with a 400, not a 500", () => {
  it.each(UNSTORABLE_PAYLOADS)("%j in every free-text field and in the sign-in username", async (payload) => {
    const admin = callerFor(cast.admin);
    await expectBadRequest(() => callerFor(null).auth.register({ username: uniqueName("nul"), password: PASSWORD, name: payload }));
    await expectBadRequest(() => callerFor(null).auth.register({ username: uniqueName("nul"), password: PASSWORD, name: "ok", address: payload }));
    await expectBadRequest(() => admin.users.create({ username: uniqueName("nul"), password: PASSWORD, name: payload }));
    await expectBadRequest(() => admin.users.update({ id: cast.clientB.id, name: payload }));
    await expectBadRequest(() => admin.users.update({ id: cast.clientB.id, address: payload }));
    await expectBadRequest(() => admin.devices.create({ name: payload, maxHourlyConsumption: 1 }));
    await expectBadRequest(() => admin.devices.create({ name: "ok", description: payload, maxHourlyConsumption: 1 }));
    await expectBadRequest(() => admin.devices.update({ id: controlDevice.id, address: payload }));

    const login = await rest.login({ username: payload, password: "whatever-it-is" }, randomClientIp());
    expect(login.status).toBe(400);
    expect(await login.json()).toEqual({ error: { code: "BAD_REQUEST", message: expect.stringMatching(/username/) as string } });
  });

  it("the refusal names the field and says why", async () => {
    const error = await callerFor(cast.admin)
      .devices.create({ name: "ok", description: "a\u0000b", maxHourlyConsumption: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).message).toMatch(/description contains a character that cannot be stored/);
  });
});

describe("ASVS V1.2.4 + V2.2.1 — sign-in fields, path and query parameters", () => {
  it.each([...VERBATIM_PAYLOADS, ...UNSTORABLE_PAYLOADS])("%j in the sign-in fields: 400 or 401, never a 500 or a token", async (payload) => {
    const login = await rest.login({ username: payload, password: payload }, randomClientIp());
    expect([400, 401]).toContain(login.status);
    // ' OR '1'='1 must not sign anyone in as whoever comes first.
    expect(await login.json()).not.toHaveProperty("token");
  });

  // A URL carries UTF-8, so a lone surrogate cannot even be put into one.
  it.each([...VERBATIM_PAYLOADS, "nul \u0000 byte"])("%j in REST path and query parameters: 400", async (payload) => {
    const admin = await bearerFor(cast.admin);
    expect((await rest.devicesOfUser(payload, admin)).status).toBe(400);
    expect((await rest.consumption(payload, "date=2026-02-01", admin)).status).toBe(400);
    expect((await rest.consumption(controlDevice.id, `date=${encodeURIComponent(payload)}`, admin)).status).toBe(400);
    expect((await rest.consumption(controlDevice.id, `date=2026-02-01&tz=${encodeURIComponent(payload)}`, admin)).status).toBe(400);
  });
});

describe("ASVS V1.2.4 — over HTTP the payloads travel as JSON data and come back unchanged", () => {
  it("tRPC: a device created over HTTP with each payload reads back identical; REST serves it as JSON", async () => {
    const headers = { ...(await bearerFor(cast.admin)), "content-type": "application/json" };
    const ids: string[] = [];
    for (const payload of VERBATIM_PAYLOADS) {
      const input = { name: payload, description: payload, address: payload, maxHourlyConsumption: "1.5", ownerId: cast.clientA.id };
      const created = await trpcPost(new Request("http://ems.test/api/trpc/devices.create", { method: "POST", headers, body: JSON.stringify(superjson.serialize(input)) }));
      expect(created.status).toBe(200);
      const { id } = superjson.deserialize<{ id: string }>(((await created.json()) as { result: { data: never } }).result.data);
      ids.push(id);

      const query = encodeURIComponent(JSON.stringify(superjson.serialize({ id })));
      const read = await trpcGet(new Request(`http://ems.test/api/trpc/devices.byId?input=${query}`, { headers }));
      const device = superjson.deserialize<Record<string, unknown>>(((await read.json()) as { result: { data: never } }).result.data);
      expect(device).toMatchObject({ name: payload, description: payload, address: payload });
    }

    const listed = await rest.devicesOfUser(cast.clientA.id, await bearerFor(cast.clientA));
    expect(listed.headers.get("content-type")).toMatch(/^application\/json/);
    const names = ((await listed.json()) as { id: string; name: string }[]).filter((d) => ids.includes(d.id)).map((d) => d.name);
    expect(names.sort()).toEqual([...VERBATIM_PAYLOADS].sort());
  });
});

describe("ASVS V1.2.4 — after every payload above, the schema and other rows are untouched", () => {
  it("the tables exist and the control device and the cast are as they were", async () => {
    const tables = async (db: { $queryRaw: typeof deviceDb.$queryRaw }, names: string[]) =>
      db.$queryRaw<{ name: string | null }[]>`SELECT to_regclass(n)::text AS name FROM unnest(${names}::text[]) AS n`;
    expect(await tables(deviceDb, ["devices", "outbox"])).toEqual([{ name: "devices" }, { name: "outbox" }]);
    expect(await tables(authDb, ["credentials", "login_throttle"])).toEqual([{ name: "credentials" }, { name: "login_throttle" }]);
    expect(await tables(userDb, ["profiles"])).toEqual([{ name: "profiles" }]);

    expect(await deviceDb.device.findUniqueOrThrow({ where: { id: controlDevice.id } })).toMatchObject({
      name: controlDevice.name,
      version: controlDevice.version,
      ownerId: cast.clientA.id,
    });
    for (const who of [cast.admin, cast.clientA]) {
      expect(await authDb.credential.findUniqueOrThrow({ where: { userId: who.id } })).toMatchObject({ username: who.username, role: who.role });
    }
  });
});
