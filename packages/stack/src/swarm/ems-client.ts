import { tasksOf } from "./docker.ts";

/**
 * How the test reaches web and chat: through Traefik on :80 when it runs, else (a machine without
 * its image) straight to each task's own host port, spread over the tasks Swarm reports running
 * (healthy) — a stand-in for the gateway's balancing, refreshed as tasks come and go.
 */
export class Entry {
  private cache = new Map<string, { at: number; urls: string[] }>();
  private turn = 0;
  constructor(
    private readonly stack: string,
    private readonly viaTraefik: boolean,
  ) {}

  async web(): Promise<string> {
    return this.pick("web", 3000);
  }
  async chat(): Promise<string> {
    return this.pick("chat", 4000);
  }
  /** Every running task's URL (for per-replica checks). */
  async all(service: "web" | "chat", port: number): Promise<string[]> {
    if (this.viaTraefik) return ["http://127.0.0.1"];
    const cached = this.cache.get(service);
    if (cached && Date.now() - cached.at < 500) return cached.urls;
    const urls = (await tasksOf(`${this.stack}_${service}`))
      .filter((task) => task.state === "running" && task.hostPorts.has(port))
      .map((task) => `http://127.0.0.1:${task.hostPorts.get(port)}`);
    this.cache.set(service, { at: Date.now(), urls });
    return urls;
  }
  private async pick(service: "web" | "chat", port: number): Promise<string> {
    const urls = await this.all(service, port);
    const url = urls[this.turn++ % Math.max(urls.length, 1)];
    if (!url) throw new Error(`no running ${service} task`);
    return url;
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, `${what}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export interface SignedIn {
  token: string;
  user: { id: string; username: string; role: string };
}

/** The contract's REST sign-in. */
export async function login(base: string, username: string, password: string): Promise<SignedIn> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(10_000),
  });
  return json<SignedIn>(response, `sign-in as ${username}`);
}

/** A tRPC mutation over HTTP with a Bearer token (superjson envelope: `{json: input}`). */
export async function mutation<T>(base: string, token: string, path: string, input: unknown): Promise<T> {
  const response = await fetch(`${base}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ json: input }),
    signal: AbortSignal.timeout(15_000),
  });
  return (await json<{ result: { data: { json: T } } }>(response, path)).result.data.json;
}

/** A tRPC query without input over HTTP with a Bearer token. */
export async function query<T>(base: string, token: string, path: string): Promise<T> {
  const response = await fetch(`${base}/api/trpc/${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
  return (await json<{ result: { data: { json: T } } }>(response, path)).result.data.json;
}

/** The contract's hourly consumption of a device for a UTC day: hour start (ms) → kWh, 24 entries. */
export async function consumption(base: string, token: string, deviceId: string, date: string): Promise<Map<number, number>> {
  const response = await fetch(`${base}/api/monitoring/consumption/${deviceId}?date=${date}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await json<{ hours: { hourStart: string; kwh: number }[] }>(response, `consumption of ${deviceId}`);
  return new Map(body.hours.map((hour) => [Date.parse(hour.hourStart), hour.kwh]));
}
