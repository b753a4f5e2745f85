import { beforeAll, describe, expect, it } from "vitest";
import { periodConsumptionSchema } from "~/lib/consumption-periods.ts";
import { createCast, createTestDevice, seedMonitoring, type Cast } from "../../../../../test/fixtures.ts";
import { bearerFor, jsonOf, rest } from "../../../../../test/rest.ts";

/** The period form of the consumption routes: `?from=&to=&resolution=&tz=`, beside the contract's `?date=`. */

let cast: Cast;
let deviceOfA: string;

beforeAll(async () => {
  cast = await createCast();
  deviceOfA = (await createTestDevice(cast.admin, cast.clientA.id)).id;
  await seedMonitoring(deviceOfA, cast.clientA.id, [
    { hourStart: "2026-02-28T21:00:00Z", kwh: "0.5" }, // 28 February 23:00 in Bucharest
    { hourStart: "2026-02-28T22:00:00Z", kwh: "0.25" }, // 1 March 00:00 in Bucharest
  ]);
});

async function expectBadRequest(response: Response, message: RegExp) {
  expect(response.status).toBe(400);
  const body = (await jsonOf(response)) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("BAD_REQUEST");
  expect(body.error.message).toMatch(message);
}

describe("GET /api/monitoring/consumption/{deviceId}?from=&to=&resolution=", () => {
  it("200: a year by month in the viewer's zone, with the year before, as its published schema says", async () => {
    const response = await rest.consumption(deviceOfA, "from=2026-01-01&to=2027-01-01&resolution=month&tz=Europe/Bucharest", await bearerFor(cast.clientA));
    expect(response.status).toBe(200);
    const year = periodConsumptionSchema.parse(await jsonOf(response));
    expect(year.scope).toEqual({ kind: "device", deviceId: deviceOfA });
    expect(year.current.buckets.slice(1, 3).map((b) => [b.localStart, b.kwh])).toEqual([
      ["2026-02-01T00:00:00+02:00", 0.5],
      ["2026-03-01T00:00:00+02:00", 0.25],
    ]);
    expect(year.previous.from).toBe("2025-01-01");
  });

  it("the contract's ?date= form still answers the day's hours", async () => {
    const day = (await jsonOf(await rest.consumption(deviceOfA, "date=2026-03-01&tz=Europe/Bucharest", await bearerFor(cast.clientA)))) as { hours: { kwh: number }[] };
    expect(day.hours).toHaveLength(24);
    expect(day.hours[0]?.kwh).toBe(0.25);
  });

  it.each([
    ["a bad zone", "from=2026-01-01&to=2026-02-01&resolution=day&tz=Mars/Olympus", /tz: tz must be an IANA time zone/],
    ["from after to", "from=2026-02-01&to=2026-01-01&resolution=day", /to: to must be after from/],
    ["from equal to to", "from=2026-02-01&to=2026-02-01&resolution=hour", /to must be after from/],
    ["more than 31 days of hours", "from=2026-01-01&to=2026-02-02&resolution=hour", /at most 31 days/],
    ["more than 400 days of days", "from=2025-01-01&to=2026-02-06&resolution=day", /at most 400 days/],
    ["more than 10 years of months", "from=2016-01-01&to=2026-02-01&resolution=month", /at most 120 months/],
    ["months not starting on day 1", "from=2026-01-15&to=2026-03-01&resolution=month", /first day of a month/],
    ["an unknown resolution", "from=2026-01-01&to=2026-02-01&resolution=week", /resolution must be hour, day or month/],
    ["no resolution", "from=2026-01-01&to=2026-02-01", /resolution/],
    ["no to", "from=2026-01-01&resolution=day", /to: date is required/],
    ["a malformed date", "from=yesterday&to=2026-02-01&resolution=day", /from: date must be YYYY-MM-DD/],
    ["both forms at once", "date=2026-01-01&from=2026-01-01&to=2026-02-01&resolution=day", /either date, or from, to and resolution/],
  ])("400 for %s", async (_label, query, message) => {
    await expectBadRequest(await rest.consumption(deviceOfA, query, await bearerFor(cast.clientA)), message);
  });

  it("403 for another client's device, 401 without a token", async () => {
    const query = "from=2026-01-01&to=2026-02-01&resolution=day";
    expect((await rest.consumption(deviceOfA, query, await bearerFor(cast.clientB))).status).toBe(403);
    expect((await rest.consumption(deviceOfA, query)).status).toBe(401);
  });
});

describe("GET /api/monitoring/consumption/user/{userId}", () => {
  const query = "from=2026-03-01&to=2026-04-01&resolution=day&tz=Europe/Bucharest";

  it("200: all of the client's devices together, with the month before", async () => {
    const month = periodConsumptionSchema.parse(await jsonOf(await rest.userConsumption(cast.clientA.id, query, await bearerFor(cast.clientA))));
    expect(month.scope).toEqual({ kind: "user", userId: cast.clientA.id, deviceCount: 1 });
    expect(month.current.totalKwh).toBe(0.25);
    expect(month.previous).toMatchObject({ from: "2026-02-01", to: "2026-03-01", totalKwh: 0.5 });
    expect(month.change).toEqual({ kwh: -0.25, percent: -50 });
  });

  it("the client themself or an admin: 403 for another client, 404 for an unknown user, 400 for a bad id or period", async () => {
    expect((await rest.userConsumption(cast.clientA.id, query, await bearerFor(cast.admin))).status).toBe(200);
    expect((await rest.userConsumption(cast.clientA.id, query, await bearerFor(cast.clientB))).status).toBe(403);
    expect((await rest.userConsumption("00000000-0000-4000-8000-00000000abcd", query, await bearerFor(cast.admin))).status).toBe(404);
    await expectBadRequest(await rest.userConsumption("42", query, await bearerFor(cast.admin)), /userId: must be a UUID/);
    await expectBadRequest(await rest.userConsumption(cast.clientA.id, "from=2026-03-01&to=2026-03-01&resolution=day", await bearerFor(cast.clientA)), /to must be after from/);
  });
});
