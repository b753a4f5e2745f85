import { TRPCError } from "@trpc/server";
import { monitoringDb } from "@ems/db/monitoring";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as trpcPost, GET as trpcGet } from "~/app/api/trpc/[trpc]/route.ts";
import { appRouter } from "./root.ts";
import type { Viewer } from "../viewer.ts";
import { callerFor, createCast, createTestDevice, createTestUser, PASSWORD, seedAlert, seedMonitoring, uniqueName, type Cast } from "../../../test/fixtures.ts";
import { bearerFor, rest } from "../../../test/rest.ts";

/**
 * OWASP ASVS 5.0, V8.2 General Authorization Design:
 *  - 8.2.1 "Verify that the application ensures that function-level access is restricted to
 *    consumers with explicit permissions."
 *  - 8.2.2 "Verify that the application ensures that data-specific access is restricted to consumers
 *    with explicit permissions to specific data items to mitigate insecure direct object reference
 *    (IDOR) and broken object level authorization (BOLA)."
 *
 * Who may do what: every tRPC procedure and every REST route, called by an anonymous caller, client
 * A, client B and an admin. Resources used belong to client A (or are fresh), so "B" is always
 * asking about someone else's data. The object-level block below checks that B's attempts return no
 * data and change nothing, over tRPC (in-process and over HTTP) and REST.
 */
type Who = "anonymous" | "clientA" | "clientB" | "admin";
type Outcome = "ok" | "UNAUTHORIZED" | "FORBIDDEN";
const WHO: Who[] = ["anonymous", "clientA", "clientB", "admin"];

let cast: Cast;
let deviceOfA: { id: string };
let alertHour = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  cast = await createCast();
  deviceOfA = await createTestDevice(cast.admin, cast.clientA.id);
  await seedMonitoring(deviceOfA.id, cast.clientA.id, [{ hourStart: "2026-02-01T05:00:00Z", kwh: "0.3" }]);
});

function viewerOf(who: Who): Viewer | null {
  return who === "anonymous" ? null : cast[who];
}

type Caller = ReturnType<typeof callerFor>;
interface ProcedureCase {
  procedure: string;
  label?: string;
  call: (api: Caller) => Promise<unknown>;
  expected: Record<Who, Outcome>;
}

const everyone: Record<Who, Outcome> = { anonymous: "ok", clientA: "ok", clientB: "ok", admin: "ok" };
const signedIn: Record<Who, Outcome> = { anonymous: "UNAUTHORIZED", clientA: "ok", clientB: "ok", admin: "ok" };
const ownerOrAdmin: Record<Who, Outcome> = { anonymous: "UNAUTHORIZED", clientA: "ok", clientB: "FORBIDDEN", admin: "ok" };
const adminOnly: Record<Who, Outcome> = { anonymous: "UNAUTHORIZED", clientA: "FORBIDDEN", clientB: "FORBIDDEN", admin: "ok" };

const freshDevice = () => createTestDevice(cast.admin, null);
const freshClient = () => createTestUser("client", "target");

const procedureCases: ProcedureCase[] = [
  { procedure: "auth.register", call: (api) => api.auth.register({ username: uniqueName("self"), password: PASSWORD, name: "Self" }), expected: everyone },
  { procedure: "auth.me", call: (api) => api.auth.me(), expected: everyone },
  { procedure: "auth.profile", call: (api) => api.auth.profile(), expected: signedIn },
  { procedure: "auth.changePassword", call: (api) => api.auth.changePassword({ currentPassword: PASSWORD, newPassword: PASSWORD }), expected: signedIn },
  { procedure: "users.list", call: (api) => api.users.list(), expected: adminOnly },
  { procedure: "users.byId", call: (api) => api.users.byId({ id: cast.clientA.id }), expected: ownerOrAdmin },
  { procedure: "users.create", call: (api) => api.users.create({ username: uniqueName("new"), password: PASSWORD, name: "New" }), expected: adminOnly },
  { procedure: "users.update", call: async (api) => api.users.update({ id: (await freshClient()).id, name: "Changed" }), expected: adminOnly },
  { procedure: "users.delete", call: async (api) => api.users.delete({ id: (await freshClient()).id }), expected: adminOnly },
  { procedure: "devices.list", call: (api) => api.devices.list(), expected: signedIn },
  {
    procedure: "devices.list",
    label: "devices.list of client A",
    call: (api) => api.devices.list({ ownerId: cast.clientA.id }),
    expected: ownerOrAdmin,
  },
  { procedure: "devices.byId", call: (api) => api.devices.byId({ id: deviceOfA.id }), expected: ownerOrAdmin },
  { procedure: "devices.create", call: (api) => api.devices.create({ name: "New", maxHourlyConsumption: 1 }), expected: adminOnly },
  { procedure: "devices.update", call: async (api) => api.devices.update({ id: (await freshDevice()).id, name: "Renamed" }), expected: adminOnly },
  {
    procedure: "devices.assign",
    call: async (api) => api.devices.assign({ deviceId: (await freshDevice()).id, userId: cast.clientB.id }),
    expected: adminOnly,
  },
  {
    procedure: "devices.unassign",
    call: async (api) => api.devices.unassign({ deviceId: (await createTestDevice(cast.admin, cast.clientA.id)).id }),
    expected: adminOnly,
  },
  { procedure: "devices.delete", call: async (api) => api.devices.delete({ id: (await freshDevice()).id }), expected: adminOnly },
  { procedure: "monitoring.consumption", call: (api) => api.monitoring.consumption({ deviceId: deviceOfA.id, date: "2026-02-01" }), expected: ownerOrAdmin },
  {
    procedure: "monitoring.deviceConsumption",
    call: (api) => api.monitoring.deviceConsumption({ deviceId: deviceOfA.id, from: "2026-01-01", to: "2027-01-01", resolution: "month" }),
    expected: ownerOrAdmin,
  },
  {
    procedure: "monitoring.userConsumption",
    label: "monitoring.userConsumption of client A",
    call: (api) => api.monitoring.userConsumption({ userId: cast.clientA.id, from: "2026-02-01", to: "2026-03-01", resolution: "day" }),
    expected: ownerOrAdmin,
  },
  { procedure: "monitoring.alerts", call: (api) => api.monitoring.alerts(), expected: signedIn },
  {
    procedure: "monitoring.acknowledgeAlert",
    call: async (api) => {
      alertHour += 3_600_000;
      const alert = await seedAlert(deviceOfA.id, cast.clientA.id, new Date(alertHour).toISOString());
      return api.monitoring.acknowledgeAlert({ alertId: alert.id });
    },
    expected: ownerOrAdmin,
  },
  { procedure: "chat.socketToken", call: (api) => api.chat.socketToken(), expected: signedIn },
  { procedure: "operations.fleet", call: (api) => api.operations.fleet({ state: "silent", limit: 5 }), expected: adminOnly },
  { procedure: "operations.alerts", call: (api) => api.operations.alerts({ ownerId: cast.clientA.id, limit: 5 }), expected: adminOnly },
  {
    procedure: "operations.acknowledgeAlert",
    call: async (api) => {
      alertHour += 3_600_000;
      const alert = await seedAlert(deviceOfA.id, cast.clientA.id, new Date(alertHour).toISOString());
      return api.operations.acknowledgeAlert({ alertId: alert.id });
    },
    expected: adminOnly,
  },
  { procedure: "operations.dataPlane", call: (api) => api.operations.dataPlane(), expected: adminOnly },
  { procedure: "operations.deadLetterReasons", call: (api) => api.operations.deadLetterReasons(), expected: adminOnly },
];

async function outcomeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("ASVS V8.2.1 + V8.2.2 — function-level and object-level authorization of every tRPC procedure", () => {
  it("covers every procedure of the app router", () => {
    expect(new Set(procedureCases.map((c) => c.procedure))).toEqual(new Set(Object.keys(appRouter._def.procedures)));
  });

  for (const testCase of procedureCases) {
    it(`${testCase.label ?? testCase.procedure}: ${WHO.map((w) => `${w} → ${testCase.expected[w]}`).join(", ")}`, async () => {
      const outcomes: Record<string, string> = {};
      for (const who of WHO) outcomes[who] = await outcomeOf(testCase.call(callerFor(viewerOf(who))));
      expect(outcomes).toEqual(testCase.expected);
    });
  }
});

describe("ASVS V8.2.1 + V8.2.2 — function-level and object-level authorization of every REST route", () => {
  const restCases: { route: string; call: (headers: Record<string, string>) => Promise<Response>; expected: Record<Who, number> }[] = [
    {
      route: "GET /api/devices/user/{clientA}",
      call: (headers) => rest.devicesOfUser(cast.clientA.id, headers),
      expected: { anonymous: 401, clientA: 200, clientB: 403, admin: 200 },
    },
    {
      route: "GET /api/monitoring/consumption/{device of clientA}",
      call: (headers) => rest.consumption(deviceOfA.id, "date=2026-02-01", headers),
      expected: { anonymous: 401, clientA: 200, clientB: 403, admin: 200 },
    },
    {
      route: "GET /api/monitoring/consumption/{device of clientA}?from=&to=&resolution=",
      call: (headers) => rest.consumption(deviceOfA.id, "from=2026-02-01&to=2026-02-02&resolution=hour", headers),
      expected: { anonymous: 401, clientA: 200, clientB: 403, admin: 200 },
    },
    {
      route: "GET /api/monitoring/consumption/user/{clientA}",
      call: (headers) => rest.userConsumption(cast.clientA.id, "from=2026-02-01&to=2026-03-01&resolution=day", headers),
      expected: { anonymous: 401, clientA: 200, clientB: 403, admin: 200 },
    },
  ];

  for (const testCase of restCases) {
    it(`${testCase.route}: ${WHO.map((w) => `${w} → ${testCase.expected[w]}`).join(", ")}`, async () => {
      const statuses: Record<string, number> = {};
      for (const who of WHO) statuses[who] = (await testCase.call(await bearerFor(viewerOf(who)))).status;
      expect(statuses).toEqual(testCase.expected);
    });
  }

  it("POST /api/auth/login, GET /api/health and GET /api/health/live are public", async () => {
    for (const who of ["clientA", "clientB", "admin"] as const) {
      const response = await rest.login({ username: cast[who].username, password: PASSWORD }, { "x-real-ip": `10.9.0.${WHO.indexOf(who)}` });
      expect(response.status).toBe(200);
    }
    expect((await rest.health()).status).toBe(200);
    expect((await rest.live()).status).toBe(200);
  });

  it("a client's own devices exclude everyone else's, an admin sees the owner's", async () => {
    const response = await rest.devicesOfUser(cast.clientA.id, await bearerFor(cast.clientA));
    const devices = (await response.json()) as { id: string; ownerId: string }[];
    expect(devices.map((d) => d.id)).toContain(deviceOfA.id);
    expect(devices.every((d) => d.ownerId === cast.clientA.id)).toBe(true);
  });
});

describe("ASVS V8.2.2 — object-level authorization: client B never reads or changes client A's data", () => {
  let alertOfA: { id: string };
  let deviceOfB: { id: string };

  beforeAll(async () => {
    deviceOfB = await createTestDevice(cast.admin, cast.clientB.id);
    alertOfA = await seedAlert(deviceOfA.id, cast.clientA.id, "2026-03-01T10:00:00Z");
  });

  it("tRPC: A's device, device list, profile and consumption are FORBIDDEN to B", async () => {
    const asB = callerFor(cast.clientB);
    expect(await outcomeOf(asB.devices.byId({ id: deviceOfA.id }))).toBe("FORBIDDEN");
    expect(await outcomeOf(asB.devices.list({ ownerId: cast.clientA.id }))).toBe("FORBIDDEN");
    expect(await outcomeOf(asB.users.byId({ id: cast.clientA.id }))).toBe("FORBIDDEN");
    expect(await outcomeOf(asB.monitoring.consumption({ deviceId: deviceOfA.id, date: "2026-02-01" }))).toBe("FORBIDDEN");
  });

  it("tRPC: B's own lists hold only B's devices and alerts, whatever device or cursor B names", async () => {
    const asB = callerFor(cast.clientB);
    const devicesOfB = await asB.devices.list();
    expect(devicesOfB.map((d) => d.id)).toContain(deviceOfB.id);
    expect(devicesOfB.every((d) => d.ownerId === cast.clientB.id)).toBe(true);
    const everyAlertOfB = await asB.monitoring.alerts({ limit: 100 });
    expect(everyAlertOfB.items.every((a) => a.ownerId === cast.clientB.id)).toBe(true);
    expect(await asB.monitoring.alerts({ deviceId: deviceOfA.id })).toEqual({ items: [], nextCursor: null });
    const pagedFromAsAlert = await asB.monitoring.alerts({ cursor: alertOfA.id, limit: 100 });
    expect(pagedFromAsAlert.items.map((a) => a.id)).not.toContain(alertOfA.id);
    expect(pagedFromAsAlert.items.every((a) => a.ownerId === cast.clientB.id)).toBe(true);
  });

  it("tRPC: B cannot acknowledge A's alert, and the alert stays unacknowledged", async () => {
    expect(await outcomeOf(callerFor(cast.clientB).monitoring.acknowledgeAlert({ alertId: alertOfA.id }))).toBe("FORBIDDEN");
    const stored = await monitoringDb.alert.findUniqueOrThrow({ where: { id: alertOfA.id } });
    expect(stored.acknowledgedAt).toBeNull();
    // A may, which shows the refusal above was about who asked, not about the alert.
    expect((await callerFor(cast.clientA).monitoring.acknowledgeAlert({ alertId: alertOfA.id })).acknowledgedAt).toBeInstanceOf(Date);
  });

  it("tRPC over HTTP with B's Bearer token: 403 and nothing of A's device in the body", async () => {
    const asB = await bearerFor(cast.clientB);
    const input = encodeURIComponent(JSON.stringify({ json: { id: deviceOfA.id } }));
    const read = await trpcGet(new Request(`http://ems.test/api/trpc/devices.byId?input=${input}`, { headers: asB }));
    expect(read.status).toBe(403);
    const deviceName = (await callerFor(cast.admin).devices.byId({ id: deviceOfA.id })).name;
    expect(await read.text()).not.toContain(deviceName);

    const acknowledge = await trpcPost(
      new Request("http://ems.test/api/trpc/monitoring.acknowledgeAlert", {
        method: "POST",
        headers: { ...asB, "content-type": "application/json" },
        body: JSON.stringify({ json: { alertId: (await seedAlert(deviceOfA.id, cast.clientA.id, "2026-03-01T11:00:00Z")).id } }),
      }),
    );
    expect(acknowledge.status).toBe(403);
  });

  it("REST with B's Bearer token: 403 with only an error body for A's devices and A's consumption", async () => {
    const asB = await bearerFor(cast.clientB);
    for (const response of [await rest.devicesOfUser(cast.clientA.id, asB), await rest.consumption(deviceOfA.id, "date=2026-02-01", asB)]) {
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) as string } });
    }
  });

  it("an ownership change takes effect at once: the former owner loses the device, the new one gains it, old alerts stay the former owner's", async () => {
    const admin = callerFor(cast.admin);
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, []);
    const oldAlert = await seedAlert(device.id, cast.clientA.id, "2026-03-02T10:00:00Z");
    await admin.devices.assign({ deviceId: device.id, userId: cast.clientB.id });

    expect(await outcomeOf(callerFor(cast.clientA).devices.byId({ id: device.id }))).toBe("FORBIDDEN");
    expect(await outcomeOf(callerFor(cast.clientA).monitoring.consumption({ deviceId: device.id, date: "2026-03-02" }))).toBe("FORBIDDEN");
    expect((await rest.consumption(device.id, "date=2026-03-02", await bearerFor(cast.clientA))).status).toBe(403);
    expect(await outcomeOf(callerFor(cast.clientB).devices.byId({ id: device.id }))).toBe("ok");
    expect(await outcomeOf(callerFor(cast.clientB).monitoring.acknowledgeAlert({ alertId: oldAlert.id }))).toBe("FORBIDDEN");
    expect((await callerFor(cast.clientB).monitoring.alerts({ deviceId: device.id })).items).toEqual([]);
  });
});

describe("ASVS V15.3.3 — mass assignment: fields a caller may not set are dropped, not applied", () => {
  // 15.3.3: "Verify that the application has countermeasures to protect against mass assignment
  // attacks by limiting allowed fields per controller and action [...]". Every input is a zod object,
  // which strips keys it does not name; these calls smuggle such keys past the TypeScript types.
  it("self-registration asking for role admin (and an id) creates a client with a fresh id", async () => {
    const chosenId = "00000000-0000-4000-8000-0000000000ad";
    const smuggled = { username: uniqueName("sneaky"), password: PASSWORD, name: "Sneaky", role: "admin", id: chosenId } as never;
    const user = await callerFor(null).auth.register(smuggled);
    expect(user.role).toBe("client");
    expect(user.id).not.toBe(chosenId);
    expect(await outcomeOf(callerFor({ id: user.id, username: user.username, role: "client" }).users.list())).toBe("FORBIDDEN");
  });

  it("a device update carrying ownerId and version changes neither", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    const smuggled = { id: device.id, name: "Renamed", ownerId: cast.clientB.id, version: 1000 } as never;
    const updated = await callerFor(cast.admin).devices.update(smuggled);
    expect(updated).toMatchObject({ name: "Renamed", ownerId: cast.clientA.id, version: device.version + 1 });
  });
});
