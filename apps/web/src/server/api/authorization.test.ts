import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "./root.ts";
import type { Viewer } from "../viewer.ts";
import { callerFor, createCast, createTestDevice, createTestUser, PASSWORD, seedAlert, seedMonitoring, uniqueName, type Cast } from "../../../test/fixtures.ts";
import { bearerFor, rest } from "../../../test/rest.ts";

/**
 * Who may do what: every tRPC procedure and every REST route, called by an anonymous caller, client
 * A, client B and an admin. Resources used belong to client A (or are fresh), so "B" is always
 * asking about someone else's data.
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

describe("tRPC authorization matrix", () => {
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

describe("REST authorization matrix", () => {
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
  ];

  for (const testCase of restCases) {
    it(`${testCase.route}: ${WHO.map((w) => `${w} → ${testCase.expected[w]}`).join(", ")}`, async () => {
      const statuses: Record<string, number> = {};
      for (const who of WHO) statuses[who] = (await testCase.call(await bearerFor(viewerOf(who)))).status;
      expect(statuses).toEqual(testCase.expected);
    });
  }

  it("POST /api/auth/login and GET /api/health are public", async () => {
    for (const who of ["clientA", "clientB", "admin"] as const) {
      const response = await rest.login({ username: cast[who].username, password: PASSWORD }, { "x-real-ip": `10.9.0.${WHO.indexOf(who)}` });
      expect(response.status).toBe(200);
    }
    expect((await rest.health()).status).toBe(200);
  });

  it("a client's own devices exclude everyone else's, an admin sees the owner's", async () => {
    const response = await rest.devicesOfUser(cast.clientA.id, await bearerFor(cast.clientA));
    const devices = (await response.json()) as { id: string; ownerId: string }[];
    expect(devices.map((d) => d.id)).toContain(deviceOfA.id);
    expect(devices.every((d) => d.ownerId === cast.clientA.id)).toBe(true);
  });
});
