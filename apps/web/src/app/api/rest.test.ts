import { authDb } from "@ems/db/auth";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as trpcGet } from "~/app/api/trpc/[trpc]/route.ts";
import { createCast, createTestDevice, PASSWORD, seedMonitoring, type Cast } from "../../../test/fixtures.ts";
import { bearerFor, jsonOf, rest } from "../../../test/rest.ts";

let cast: Cast;
let deviceOfA: { id: string };
let ipCounter = 0;
/** Every test signs in from its own address so IP throttling in one test never affects another. */
const freshIp = () => ({ "x-real-ip": `10.20.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}` });

beforeAll(async () => {
  cast = await createCast();
  deviceOfA = await createTestDevice(cast.admin, cast.clientA.id);
  await seedMonitoring(deviceOfA.id, cast.clientA.id, [
    { hourStart: "2026-10-24T22:00:00Z", kwh: "0.1" },
    { hourStart: "2026-10-25T00:00:00Z", kwh: "0.2" },
  ]);
});

async function expectError(response: Response, status: number, messagePattern?: RegExp) {
  expect(response.status).toBe(status);
  const body = (await jsonOf(response)) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.code).toBe("string");
  if (messagePattern) expect(body.error.message).toMatch(messagePattern);
  return body.error;
}

describe("POST /api/auth/login", () => {
  it("returns a Bearer token and the user; the token opens the other routes", async () => {
    const response = await rest.login({ username: cast.clientA.username.toUpperCase(), password: PASSWORD }, freshIp());
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; user: unknown; expiresAt: string };
    expect(body.user).toEqual(cast.clientA);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const devices = await rest.devicesOfUser(cast.clientA.id, { authorization: `Bearer ${body.token}` });
    expect(devices.status).toBe(200);
  });

  it.each([
    ["an empty body", ""],
    ["malformed JSON", "{username:"],
    ["a JSON array", "[]"],
    ["a missing password", JSON.stringify({ username: "demo" })],
    ["a non-string username", JSON.stringify({ username: 42, password: "x" })],
    ["an over-long password", JSON.stringify({ username: "demo", password: "p".repeat(201) })],
  ])("400 for %s", async (_label, body) => {
    await expectError(await rest.login(body, freshIp()), 400);
  });
});

describe("GET /api/devices/user/{userId}", () => {
  it("400 for an id that is not a UUID, 404 for an unknown user (admin)", async () => {
    const admin = await bearerFor(cast.admin);
    await expectError(await rest.devicesOfUser("42", admin), 400, /userId/);
    await expectError(await rest.devicesOfUser("00000000-0000-4000-8000-00000000abcd", admin), 404);
  });

  it("serialises devices as JSON with decimal limits", async () => {
    const devices = (await jsonOf(await rest.devicesOfUser(cast.clientA.id, await bearerFor(cast.admin)))) as Record<string, unknown>[];
    const device = devices.find((d) => d.id === deviceOfA.id);
    expect(device).toMatchObject({ ownerId: cast.clientA.id, maxHourlyConsumption: "2.500", ownerUsername: cast.clientA.username });
    expect(typeof device?.createdAt).toBe("string");
  });
});

describe("GET /api/monitoring/consumption/{deviceId}", () => {
  it("24 values for a UTC day, 25 for the fall-back day in Bucharest", async () => {
    const headers = await bearerFor(cast.clientA);
    const utc = (await jsonOf(await rest.consumption(deviceOfA.id, "date=2026-10-25", headers))) as { hours: { kwh: number }[] };
    expect(utc.hours).toHaveLength(24);
    expect(utc.hours[0]?.kwh).toBe(0.2);
    const local = (await jsonOf(await rest.consumption(deviceOfA.id, "date=2026-10-25&tz=Europe/Bucharest", headers))) as {
      hours: { kwh: number; localTime: string }[];
      timeZone: string;
    };
    expect(local.timeZone).toBe("Europe/Bucharest");
    expect(local.hours).toHaveLength(25);
    // Local midnight is 21:00 UTC the day before (summer time, +03:00).
    expect(local.hours.slice(0, 4).map((h) => h.kwh)).toEqual([0, 0.1, 0, 0.2]);
  });

  it.each([
    ["no date", "", /date/],
    ["an impossible date", "date=2026-02-30", /real calendar date/],
    ["a malformed date", "date=yesterday", /YYYY-MM-DD/],
    ["an unknown zone", "date=2026-02-01&tz=Nowhere/Special", /tz/],
  ])("400 for %s", async (_label, query, message) => {
    await expectError(await rest.consumption(deviceOfA.id, query, await bearerFor(cast.clientA)), 400, message);
  });

  it("400 for a device id that is not a UUID, 404 for an unknown device", async () => {
    const headers = await bearerFor(cast.admin);
    await expectError(await rest.consumption("not-a-uuid", "date=2026-02-01", headers), 400, /deviceId/);
    await expectError(await rest.consumption("00000000-0000-4000-8000-00000000dead", "date=2026-02-01", headers), 404);
  });
});

describe("GET /api/health (readiness)", () => {
  it("answers 200 ok with every database reachable", async () => {
    const response = await rest.health();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await jsonOf(response)).toEqual({ status: "ok" });
  });
  // "degraded" (200) and "unavailable" (503): src/server/database-outage.test.ts, with databases cut.
});

describe("ASVS 5.0 V13.4.5: health details only to admins", () => {
  it("anonymous: exactly {status}", async () => {
    const response = await rest.health();
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ status: "ok" });
  });

  it("a client's token: exactly {status}, not a 401", async () => {
    const response = await rest.health(await bearerFor(cast.clientA));
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ status: "ok" });
  });

  it.each([
    ["an invalid token", { authorization: "Bearer not-a-token" }],
    ["a malformed Authorization header", { authorization: "Basic YWRtaW46YWRtaW4=" }],
    ["a cookie that is no session", { cookie: "next-auth.session-token=forged" }],
  ])("%s: exactly {status}, not a 401", async (_label, headers) => {
    const response = await rest.health(headers);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ status: "ok" });
  });

  it("an admin's token: the databases and the outbox relay too", async () => {
    const response = await rest.health(await bearerFor(cast.admin));
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await jsonOf(response)).toEqual({
      status: "ok",
      databases: { auth: "ok", user: "ok", device: "ok", monitoring: "ok" },
      outboxRelay: null, // the tests run no relay in this process
    });
  });
});

describe("GET /api/health/live (liveness)", () => {
  it('answers 200 {"status":"ok"}', async () => {
    const response = await rest.live();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await jsonOf(response)).toEqual({ status: "ok" });
  });
});

describe("tRPC over HTTP", () => {
  const call = async (path: string, input: string | undefined, headers: Record<string, string>) => {
    const query = input === undefined ? "" : `?input=${encodeURIComponent(input)}`;
    return trpcGet(new Request(`http://ems.test/api/trpc/${path}${query}`, { headers }));
  };

  it("answers with the procedure's status: 200, 400 for bad input, 401 for a bad token, 403 for a client", async () => {
    const client = await bearerFor(cast.clientA);
    expect((await call("devices.list", undefined, client)).status).toBe(200);
    expect((await call("devices.byId", JSON.stringify({ json: { id: "nope" } }), client)).status).toBe(400);
    expect((await call("devices.byId", "{not json", client)).status).toBe(400);
    expect((await call("devices.list", undefined, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await call("users.list", undefined, client)).status).toBe(403);
  });

  it("never reveals internals in an error", async () => {
    const response = await call("devices.byId", JSON.stringify({ json: { id: "nope" } }), await bearerFor(cast.clientA));
    const body = JSON.stringify(await response.json());
    expect(body).not.toMatch(/at .*\.ts:\d+/);
    expect(body).toMatch(/must be a UUID/);
  });
});

describe("login throttle storage", () => {
  it("keeps one row per key", async () => {
    const rows = await authDb.loginThrottle.findMany({ where: { key: { startsWith: "ip:10.20." } } });
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });
});
