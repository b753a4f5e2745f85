import "server-only";
import { isIP } from "node:net";
import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { databaseUrls, dbEnv } from "@ems/db/env";
import { DomainError, tooManyRequests } from "../errors.ts";

/**
 * Sign-in and registration throttling (OWASP ASVS 5.0 V6.3.1, documented as V6.1.1 asks in
 * apps/web/README.md, "Throttling"). The counters live in the auth database's `rate_limits` table,
 * so every web replica sees the same ones, and are kept by rate-limiter-flexible's RateLimiterPostgres,
 * whose `consume` is one atomic statement (INSERT … ON CONFLICT DO UPDATE SET points = points + 1 …
 * RETURNING). An attempt is reserved — counted — BEFORE its password is checked: of any number of
 * attempts sent at once, only those the limit leaves room for are checked, the rest get 429.
 *
 * Keys, from the most specific:
 * - pair: (username, client network). The lock: 5 attempts per 15 minutes. Failures from other
 *   addresses never count here, so nobody can lock an owner out of their own address.
 * - network: the client network across usernames (credential stuffing, password spraying from one
 *   place): 30 attempts per 15 minutes.
 * - account: the username across every network (guessing spread over many addresses). Up to 10
 *   failures per 24 hours are free; after that, attempts from networks that never signed in to the
 *   account pass one at a time through a gate that stays closed 2 s after the 11th, 4 s after the
 *   12th, doubling up to 15 minutes. Networks where the account signed in successfully within 30 days
 *   (the owner's own) do not wait at the gate: the owner with the right password still gets in.
 * A successful sign-in clears the pair and gives this attempt back to the network and the account.
 *
 * A client network is an IPv4 address or an IPv6 /64 (one subscriber's allocation: a host picks any
 * of its 2^64 addresses at will).
 */
export const THROTTLE_POLICY = {
  pair: { attempts: 5, windowSeconds: 15 * 60 },
  network: { attempts: 30, windowSeconds: 15 * 60 },
  account: { freeFailures: 10, windowSeconds: 24 * 60 * 60, firstDelaySeconds: 2, maxDelaySeconds: 15 * 60 },
  knownNetworkSeconds: 30 * 24 * 60 * 60,
  registration: { attempts: 5, windowSeconds: 10 * 60 },
} as const;

/** The wait before the next gated attempt once the account has `failures` (≥ freeFailures) failures. */
export function accountDelaySeconds(failures: number): number {
  const { freeFailures, firstDelaySeconds, maxDelaySeconds } = THROTTLE_POLICY.account;
  const doublings = Math.max(0, failures - freeFailures);
  return Math.min(maxDelaySeconds, firstDelaySeconds * 2 ** Math.min(doublings, 30));
}

/**
 * The network an address is counted under: IPv4 as is (an IPv4-mapped IPv6 address too), IPv6 by
 * its /64 (`2001:db8:1:2::/64`). Anything else (no proxy header: "unknown") is its own key.
 */
export function clientNetwork(address: string): string {
  const bare = address.trim().replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return address.trim().toLowerCase().slice(0, 64) || "unknown";
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const ipv4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4Tail) {
    const [a, b, c, d] = ipv4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const [head = "", tail] = text.split("::");
  if (tail === undefined) return parse(head);
  const [before, after] = [parse(head), parse(tail)];
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

interface Limiters {
  pair: RateLimiterPostgres;
  network: RateLimiterPostgres;
  account: RateLimiterPostgres;
  gate: RateLimiterPostgres;
  knownNetwork: RateLimiterPostgres;
  registration: RateLimiterPostgres;
}

/** Created once per process (on globalThis, so Next.js dev reloads do not open a pool per edit). */
const cache = globalThis as unknown as { __emsThrottleLimiters?: Limiters };

function limiters(): Limiters {
  if (cache.__emsThrottleLimiters) return cache.__emsThrottleLimiters;
  // A small pool of its own: the library speaks node-postgres, Prisma's pool is not reachable.
  // allowExitOnIdle: idle connections do not keep a script or test process alive.
  const pool = new pg.Pool({
    connectionString: databaseUrls.auth,
    max: Math.min(5, dbEnv.DATABASE_POOL_SIZE),
    connectionTimeoutMillis: 5_000,
    allowExitOnIdle: true,
  });
  // An idle connection that dies (database restarted) is dropped by the pool; without a listener the
  // error would end the process.
  pool.on("error", (error) => console.warn("[web] throttle pool: idle connection lost:", error.message));
  const limiter = (keyPrefix: string, points: number, duration: number, clearExpired = false) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pool",
      tableName: "rate_limits",
      // The table belongs to the migrations (packages/db/databases/auth/migrations): no DDL from here.
      tableCreated: true,
      keyPrefix,
      points,
      duration,
      // One limiter deletes the rows of every limiter that expired over an hour ago (every 5 min, unref'd).
      clearExpiredByTimeout: clearExpired,
    });
  const { pair, network, account, registration, knownNetworkSeconds } = THROTTLE_POLICY;
  cache.__emsThrottleLimiters = {
    pair: limiter("login-pair", pair.attempts, pair.windowSeconds, true),
    network: limiter("login-network", network.attempts, network.windowSeconds),
    account: limiter("login-account", account.freeFailures, account.windowSeconds),
    // One attempt at a time; each consume sets how long the gate then stays closed (customDuration).
    gate: limiter("login-gate", 1, account.firstDelaySeconds),
    knownNetwork: limiter("login-known", 1, knownNetworkSeconds),
    registration: limiter("register-network", registration.attempts, registration.windowSeconds),
  };
  return cache.__emsThrottleLimiters;
}

type Consumed = { ok: true; res: RateLimiterRes } | { ok: false; res: RateLimiterRes };

/** One point, atomically; a refusal (over the limit) is a result, a database error is thrown. */
async function consumeOne(limiter: RateLimiterPostgres, key: string, options?: { customDuration: number }): Promise<Consumed> {
  try {
    return { ok: true, res: await limiter.consume(key, 1, options) };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { ok: false, res: error };
    throw error;
  }
}

const secondsUntil = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/** A reserved sign-in attempt: the reservation already counts as a failure unless `succeeded` is called. */
export interface SignInAttempt {
  /** The password was right: the pair's failures are cleared, and the network becomes known for the account. */
  succeeded(): Promise<void>;
}

/**
 * Reserves one password check for `username` from `clientIp`, or throws TOO_MANY_REQUESTS (with the
 * seconds to wait) without checking anything. Keys are taken in order pair → network → account
 * (→ gate); a key that refuses gives back what the earlier ones took, so a refused attempt counts
 * nowhere. A wrong password needs no further call: the reservation is the failure.
 */
export async function reserveSignInAttempt(username: string, clientIp: string): Promise<SignInAttempt> {
  const l = limiters();
  const network = clientNetwork(clientIp);
  const pairKey = `${username}@${network}`;
  const taken: [RateLimiterPostgres, string][] = [];
  const refuse = async (res: RateLimiterRes): Promise<never> => {
    await Promise.all(taken.map(([limiter, key]) => limiter.reward(key, 1)));
    throw tooManyRequests(secondsUntil(res));
  };

  const pair = await consumeOne(l.pair, pairKey);
  if (!pair.ok) return refuse(pair.res);
  taken.push([l.pair, pairKey]);

  const byNetwork = await consumeOne(l.network, network);
  if (!byNetwork.ok) return refuse(byNetwork.res);
  taken.push([l.network, network]);

  // Past the free failures the point is still counted (consume adds before it refuses).
  const account = await consumeOne(l.account, username);
  taken.push([l.account, username]);
  if (!account.ok && (await l.knownNetwork.get(pairKey)) === null) {
    const failures = account.res.consumedPoints - 1;
    const gate = await consumeOne(l.gate, username, { customDuration: accountDelaySeconds(failures) });
    if (!gate.ok) return refuse(gate.res);
  }

  return {
    async succeeded() {
      await Promise.all([
        l.pair.delete(pairKey),
        l.network.reward(network, 1),
        l.account.reward(username, 1),
        l.knownNetwork.set(pairKey, 1, THROTTLE_POLICY.knownNetworkSeconds),
      ]);
    },
  };
}

/**
 * Self-registration costs an argon2 hash: 5 per client network per 10 minutes (counted before the
 * hash, whatever the outcome), else TOO_MANY_REQUESTS with the seconds to wait.
 */
export async function reserveRegistration(clientIp: string): Promise<void> {
  const consumed = await consumeOne(limiters().registration, clientNetwork(clientIp));
  if (consumed.ok) return;
  const seconds = secondsUntil(consumed.res);
  throw new DomainError("TOO_MANY_REQUESTS", `Too many registrations from this address; try again in ${seconds} s`, seconds);
}
