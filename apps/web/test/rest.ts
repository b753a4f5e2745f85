import { randomInt } from "node:crypto";
import { issueToken } from "~/server/domain/auth.ts";
import type { Viewer } from "~/server/viewer.ts";
import { POST as login } from "~/app/api/auth/login/route.ts";
import { GET as devicesOfUser } from "~/app/api/devices/user/[userId]/route.ts";
import { GET as health } from "~/app/api/health/route.ts";
import { GET as live } from "~/app/api/health/live/route.ts";
import { GET as consumption } from "~/app/api/monitoring/consumption/[deviceId]/route.ts";
import { GET as userConsumption } from "~/app/api/monitoring/consumption/user/[userId]/route.ts";

/**
 * The REST routes called as Next.js calls them: the exported handler with a real Request and the
 * route's params, returning a real Response.
 */
const BASE = "http://ems.test";

export async function bearerFor(viewer: Viewer | null): Promise<Record<string, string>> {
  return viewer ? { authorization: `Bearer ${(await issueToken(viewer, "ems-api")).token}` } : {};
}

/**
 * A random 10.x.y.z address: tests share the throttling table, so each sign-in test uses its own
 * address and IP throttling in one test never affects another.
 */
export function randomIp(): string {
  return `10.${randomInt(100, 256)}.${randomInt(256)}.${randomInt(256)}`;
}

/** An `X-Real-Ip` header with a random address (see randomIp). */
export function randomClientIp(): Record<string, string> {
  return { "x-real-ip": randomIp() };
}

export const rest = {
  login(body: unknown, headers: Record<string, string> = {}) {
    const request = new Request(`${BASE}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return login(request, undefined);
  },
  devicesOfUser(userId: string, headers: Record<string, string> = {}) {
    const request = new Request(`${BASE}/api/devices/user/${encodeURIComponent(userId)}`, { headers });
    return devicesOfUser(request, { params: Promise.resolve({ userId }) });
  },
  consumption(deviceId: string, query: string, headers: Record<string, string> = {}) {
    const request = new Request(`${BASE}/api/monitoring/consumption/${encodeURIComponent(deviceId)}?${query}`, { headers });
    return consumption(request, { params: Promise.resolve({ deviceId }) });
  },
  userConsumption(userId: string, query: string, headers: Record<string, string> = {}) {
    const request = new Request(`${BASE}/api/monitoring/consumption/user/${encodeURIComponent(userId)}?${query}`, { headers });
    return userConsumption(request, { params: Promise.resolve({ userId }) });
  },
  health(headers: Record<string, string> = {}) {
    return health(new Request(`${BASE}/api/health`, { headers }));
  },
  live() {
    return Promise.resolve(live());
  },
};

export async function jsonOf(response: Response): Promise<unknown> {
  expectJson(response);
  return response.json();
}

function expectJson(response: Response): void {
  if (!response.headers.get("content-type")?.includes("application/json")) {
    throw new Error(`expected a JSON response, got ${response.headers.get("content-type")}`);
  }
}
