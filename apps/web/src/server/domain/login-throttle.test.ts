import { randomInt } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type * as Passwords from "@ems/auth/passwords";
import { authDb } from "@ems/db/auth";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as trpcPost } from "~/app/api/trpc/[trpc]/route.ts";
import { createCaller } from "../api/root.ts";
import { authOptions } from "../auth.ts";
import { createTestUser, PASSWORD, uniqueName } from "../../../test/fixtures.ts";
import { bearerFor, jsonOf, randomClientIp, randomIp, rest } from "../../../test/rest.ts";
import type { Viewer } from "../viewer.ts";
import { accountDelaySeconds, clientNetwork, THROTTLE_POLICY } from "./login-throttle.ts";

/**
 * OWASP ASVS 5.0, 6.3.1: "Verify that controls to prevent attacks such as credential stuffing and
 * password brute force are implemented according to the application's security documentation."
 * 6.1.1 asks that documentation to say how they are configured "and prevent malicious account
 * lockout". The documented controls (apps/web/README.md, "Throttling"; ./login-throttle.ts):
 * - an attempt is reserved before its password is checked, atomically, so a burst checks at most the limit;
 * - (username, client network): 5 attempts per 15 min — the only lock, so failures from other
 *   addresses never lock the owner out of their own;
 * - client network: 30 attempts per 15 min, any usernames;
 * - username over all networks: 10 free failures per 24 h, then networks that never signed in to the
 *   account pass a gate one at a time, 2 s, 4 s, 8 s … (up to 15 min) apart;
 * - IPv6 counted per /64; a success clears the pair.
 * Both sign-in paths are covered: REST (429 + Retry-After) and next-auth's Credentials provider, which
 * turns every refusal into a 401 carrying the message.
 */

/** Every argon2 verification the sign-in code makes (the real one still runs). */
const verifications = vi.hoisted(() => ({ count: 0 }));
vi.mock("@ems/auth/passwords", async (importOriginal) => {
  const original = await importOriginal<typeof Passwords>();
  return {
    ...original,
    verifyPassword: (storedHash: string, password: string) => {
      verifications.count++;
      return original.verifyPassword(storedHash, password);
    },
  };
});

beforeEach(() => {
  verifications.count = 0;
});

/**
 * A credentials sign-in the way next-auth v4 runs it (core/routes/callback.js): `authorize(body,
 * {query, body, headers, method})`; a throw or null becomes a 401 whose error is the thrown message,
 * a user becomes a session. Headers arrive as a plain object (`Object.fromEntries(headers())`).
 */
type Authorize = (credentials: Record<string, string>, request: { query: object; body: object; headers: Record<string, string>; method: string }) => Promise<unknown>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;

async function nextAuthSignIn(username: string, password: string, headers: Record<string, string>): Promise<{ status: 200 | 401; error?: string }> {
  const body = { username, password, csrfToken: "checked-by-next-auth-before-authorize", json: "true" };
  try {
    const user = await authorize(body, { query: {}, body, headers, method: "POST" });
    return user ? { status: 200 } : { status: 401, error: "CredentialsSignin" };
  } catch (error) {
    return { status: 401, error: (error as Error).message };
  }
}

const at = (ip: string) => ({ "x-real-ip": ip });
const THROTTLED = /^Too many failed attempts; try again in \d+ s$/;
const { pair: PAIR, network: NETWORK, account: ACCOUNT } = THROTTLE_POLICY;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pair's limit of wrong passwords (each must still be a plain 401). */
async function failUntilLocked(signIn: (password: string) => Promise<{ status: number }>): Promise<void> {
  for (let i = 0; i < PAIR.attempts; i++) expect((await signIn("not-the-password")).status).toBe(401);
}

/** The counter row of one throttle key (rate-limiter-flexible's `<prefix>:<key>`), or null. */
const counter = (key: string) => authDb.rateLimit.findUnique({ where: { key } });

/** A random /64 in the documentation prefix 2001:db8::/32, as its first three groups' text. */
const randomIpv6Prefix = () => `2001:db8:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;

describe("ASVS V6.3.1 — an attempt is reserved before its password is checked (no race)", () => {
  it("a parallel burst of 60 wrong passwords for one username from one address checks 5: the other 55 get 429 + Retry-After, never 401", async () => {
    const victim = await createTestUser("client", "burst");
    const ip = randomIp();
    const answers = await Promise.all(Array.from({ length: 60 }, () => rest.login({ username: victim.username, password: "wrong-guess" }, at(ip))));

    expect(verifications.count).toBe(PAIR.attempts);
    expect(answers.filter((r) => r.status === 401)).toHaveLength(PAIR.attempts);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(60 - PAIR.attempts);
    for (const response of refused) {
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(PAIR.windowSeconds);
    }
    // The right password from that address is refused too, unchecked; from the owner's address it works.
    const checked = verifications.count;
    expect((await rest.login({ username: victim.username, password: PASSWORD }, at(ip))).status).toBe(429);
    expect(verifications.count).toBe(checked);
    expect((await rest.login({ username: victim.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });

  it("a parallel burst split between REST and next-auth's sign-in shares the one reservation: 5 checked in all", async () => {
    const victim = await createTestUser("client", "burst2");
    const ip = randomIp();
    const viaRest = Array.from({ length: 20 }, () => rest.login({ username: victim.username, password: "wrong-guess" }, at(ip)).then((r) => r.status));
    const viaNextAuth = Array.from({ length: 20 }, () => nextAuthSignIn(victim.username, "wrong-guess", at(ip)));
    const [restStatuses, nextAuthAnswers] = await Promise.all([Promise.all(viaRest), Promise.all(viaNextAuth)]);

    expect(verifications.count).toBe(PAIR.attempts);
    const invalid = restStatuses.filter((s) => s === 401).length + nextAuthAnswers.filter((a) => a.error === "Invalid username or password").length;
    expect(invalid).toBe(PAIR.attempts);
    expect(restStatuses.filter((s) => s === 429).length + nextAuthAnswers.filter((a) => THROTTLED.test(a.error ?? "")).length).toBe(40 - PAIR.attempts);
  });

  it("20 parallel wrong current passwords of a password change check at most 5; the rest are TOO_MANY_REQUESTS", async () => {
    const user = await createTestUser("client", "pwburst");
    const api = createCaller({ viewer: user, clientIp: randomIp() });
    const codes = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.auth.changePassword({ currentPassword: "wrong-one", newPassword: "a-new-password-0" }).then(
          () => "OK",
          (error: unknown) => (error instanceof TRPCError ? error.code : "OTHER"),
        ),
      ),
    );
    expect(verifications.count).toBe(PAIR.attempts);
    expect(codes.filter((c) => c === "UNAUTHORIZED")).toHaveLength(PAIR.attempts);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(20 - PAIR.attempts);
  });
});

describe("ASVS V6.3.1 — the (username, address) lock over REST (POST /api/auth/login)", () => {
  it("5 failures from one address: that address gets 429 + Retry-After even for the right password, matched case-insensitively", async () => {
    const victim = await createTestUser("client", "victim");
    const ip = randomIp();
    await failUntilLocked((password) => rest.login({ username: victim.username, password }, at(ip)));

    const locked = await rest.login({ username: victim.username, password: PASSWORD }, at(ip));
    expect(locked.status).toBe(429);
    expect(await jsonOf(locked)).toEqual({ error: { code: "TOO_MANY_REQUESTS", message: expect.stringMatching(THROTTLED) as string } });
    const retryAfter = Number(locked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(PAIR.windowSeconds);
    expect((await rest.login({ username: victim.username.toUpperCase(), password: PASSWORD }, at(ip))).status).toBe(429);
  });

  it("a refused attempt is counted nowhere: neither the address's nor the username's count moves, nor the pair's window", async () => {
    const victim = await createTestUser("client", "counted");
    const ip = randomIp();
    await failUntilLocked((password) => rest.login({ username: victim.username, password }, at(ip)));
    const keys = [`login-network:${ip}`, `login-account:${victim.username}`];
    const before = await Promise.all(keys.map(counter));
    const pairBefore = await counter(`login-pair:${victim.username}@${ip}`);
    expect(before.map((row) => row?.points)).toEqual([PAIR.attempts, PAIR.attempts]);

    for (let i = 0; i < 3; i++) expect((await rest.login({ username: victim.username, password: "guess" }, at(ip))).status).toBe(429);
    expect(verifications.count).toBe(PAIR.attempts);
    expect(await Promise.all(keys.map(counter))).toEqual(before);
    expect((await counter(`login-pair:${victim.username}@${ip}`))?.expire).toEqual(pairBefore?.expire);
  });

  it("a successful sign-in clears that pair's failures (a user who mistypes now and then is never locked)", async () => {
    const user = await createTestUser("client", "forgetful");
    const ip = randomIp();
    for (let i = 0; i < PAIR.attempts - 1; i++) expect((await rest.login({ username: user.username, password: "nope-nope" }, at(ip))).status).toBe(401);
    expect((await rest.login({ username: user.username, password: PASSWORD }, at(ip))).status).toBe(200);
    expect(await counter(`login-pair:${user.username}@${ip}`)).toBeNull();
    await failUntilLocked((password) => rest.login({ username: user.username, password }, at(ip)));
    expect((await rest.login({ username: user.username, password: PASSWORD }, at(ip))).status).toBe(429);
  });

  it("per address: 30 attempts for any usernames lock the address for everyone; another address still signs in", async () => {
    const user = await createTestUser("client", "ipuser");
    const ip = randomIp();
    for (let i = 0; i < NETWORK.attempts; i++) {
      expect((await rest.login({ username: `nobody-${i}`, password: "x-x-x-x-x" }, at(ip))).status).toBe(401);
    }
    const locked = await rest.login({ username: user.username, password: PASSWORD }, at(ip));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(NETWORK.windowSeconds);
    // The refused attempt gave its pair point back: the owner's 5 attempts from there are untouched.
    expect((await counter(`login-pair:${user.username}@${ip}`))?.points ?? 0).toBe(0);
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });
});

describe("ASVS V6.3.1 / V6.1.1 — failures from other addresses never lock the owner out of their own", () => {
  it("8 wrong passwords for the admin from 8 strangers' addresses: the admin, at their own address, signs in (REST 200 and next-auth)", async () => {
    const admin = await createTestUser("admin", "lockme");
    const strangers = Array.from({ length: 8 }, () => randomIp());
    const answers = await Promise.all(strangers.map((ip) => rest.login({ username: admin.username, password: "guess-guess" }, at(ip))));
    expect(answers.map((r) => r.status)).toEqual(Array<number>(8).fill(401));

    const home = randomIp();
    expect((await rest.login({ username: admin.username, password: PASSWORD }, at(home))).status).toBe(200);
    expect(await nextAuthSignIn(admin.username, PASSWORD, at(home))).toEqual({ status: 200 });
  });

  it("a stranger who locked their own pair (5 failures) leaves the owner's address open", async () => {
    const owner = await createTestUser("client", "owner");
    const stranger = randomIp();
    await failUntilLocked((password) => rest.login({ username: owner.username, password }, at(stranger)));
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(stranger))).status).toBe(429);
    expect((await rest.login({ username: owner.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });
});

describe("ASVS V6.3.1 — guessing spread over many addresses is still slowed, per username", () => {
  it("after 10 failures from 10 addresses, new addresses are checked one at a time, 2 s then 4 s apart; the owner's known address never waits", async () => {
    const owner = await createTestUser("client", "spread");
    const home = randomIp();
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(home))).status).toBe(200);

    for (let i = 0; i < ACCOUNT.freeFailures; i++) {
      expect((await rest.login({ username: owner.username, password: `guess-${i}-x` }, randomClientIp())).status).toBe(401);
    }
    // The 11th guess is checked; the gate then stays closed accountDelaySeconds(10) = 2 s for new addresses.
    expect((await rest.login({ username: owner.username, password: "guess-11-x" }, randomClientIp())).status).toBe(401);
    const held = await rest.login({ username: owner.username, password: "guess-12-x" }, randomClientIp());
    expect(held.status).toBe(429);
    const firstWait = Number(held.headers.get("retry-after"));
    expect(firstWait).toBeGreaterThan(0);
    expect(firstWait).toBeLessThanOrEqual(accountDelaySeconds(ACCOUNT.freeFailures));
    // A new address cannot be told from the guesser's, right password or not; the owner at home can.
    expect((await rest.login({ username: owner.username, password: PASSWORD }, randomClientIp())).status).toBe(429);
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(home))).status).toBe(200);
    expect(await nextAuthSignIn(owner.username, PASSWORD, at(home))).toEqual({ status: 200 });

    await sleep(firstWait * 1000 + 100);
    expect((await rest.login({ username: owner.username, password: "guess-13-x" }, randomClientIp())).status).toBe(401);
    const heldLonger = await rest.login({ username: owner.username, password: "guess-14-x" }, randomClientIp());
    expect(heldLonger.status).toBe(429);
    const secondWait = Number(heldLonger.headers.get("retry-after"));
    expect(secondWait).toBeGreaterThan(accountDelaySeconds(ACCOUNT.freeFailures) - 1);
    expect(secondWait).toBeLessThanOrEqual(accountDelaySeconds(ACCOUNT.freeFailures + 1));
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(home))).status).toBe(200);
  });

  it("30 guesses from 30 addresses at once check 11 passwords (10 free + one through the gate); the rest get 429", async () => {
    const owner = await createTestUser("client", "spread2");
    const answers = await Promise.all(Array.from({ length: 30 }, () => rest.login({ username: owner.username, password: "wrong-guess" }, randomClientIp())));
    // The 10 free failures keep their points, so the count never falls back under 10 while the burst runs.
    expect(verifications.count).toBe(ACCOUNT.freeFailures + 1);
    expect(answers.filter((r) => r.status === 401).length).toBe(verifications.count);
    expect(answers.filter((r) => r.status === 429).length).toBe(30 - verifications.count);
  });

  it("the wait doubles from 2 s to a cap of 15 min: about a hundred guesses per account per day, however many addresses", () => {
    expect([10, 11, 12, 13, 18, 19, 20, 500].map(accountDelaySeconds)).toEqual([2, 4, 8, 16, 512, 900, 900, 900]);
    let checked = ACCOUNT.freeFailures;
    for (let elapsed = 0, failures = ACCOUNT.freeFailures; elapsed < ACCOUNT.windowSeconds; failures++, checked++) elapsed += accountDelaySeconds(failures);
    expect(checked).toBeLessThanOrEqual(115);
  });
});

describe("ASVS V6.3.1 — IPv6 clients are counted per /64", () => {
  it("5 failures from 5 addresses of one /64 lock that /64 (a 6th address of it gets 429); another /64 signs in", async () => {
    const owner = await createTestUser("client", "six");
    const prefix = randomIpv6Prefix();
    const inPrefix = () => `${prefix}:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}:${randomInt(1, 0x10000).toString(16)}`;
    await failUntilLocked((password) => rest.login({ username: owner.username, password }, at(inPrefix())));
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(inPrefix()))).status).toBe(429);
    expect((await rest.login({ username: owner.username, password: PASSWORD }, at(`${randomIpv6Prefix()}::1`))).status).toBe(200);
  });

  it("addresses map to their network: IPv4 as is, IPv4-mapped IPv6 as IPv4, any spelling of IPv6 to its /64", () => {
    expect(clientNetwork("203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::FFFF:cb00:7107")).toBe("203.0.113.7");
    expect(clientNetwork("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
    expect(clientNetwork("2001:0DB8:0000:0001:ffff:ffff:ffff:ffff")).toBe("2001:db8:0:1::/64");
    expect(clientNetwork("[2001:db8:0:1:a:b:c:d]")).toBe("2001:db8:0:1::/64");
    expect(clientNetwork("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientNetwork("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(clientNetwork("::1")).toBe("0:0:0:0::/64");
    expect(clientNetwork("64:ff9b::192.0.2.33")).toBe("64:ff9b:0:0::/64");
    expect(clientNetwork("unknown")).toBe("unknown");
  });
});

describe("ASVS V6.3.1 — next-auth's Credentials sign-in is throttled the same way", () => {
  it("once the pair is locked, the right password is refused (401 with the throttle message, no session)", async () => {
    const victim = await createTestUser("client", "navictim");
    const ip = randomIp();
    expect(await nextAuthSignIn(victim.username, PASSWORD, at(ip))).toEqual({ status: 200 });
    await failUntilLocked((password) => nextAuthSignIn(victim.username, password, at(ip)));
    expect(await nextAuthSignIn(victim.username, PASSWORD, at(ip))).toEqual({ status: 401, error: expect.stringMatching(THROTTLED) as string });
  });

  it("the lock is shared with REST: failures through next-auth lock REST sign-in too, and the other way round", async () => {
    const viaNextAuth = await createTestUser("client", "shared1");
    const ip1 = randomIp();
    await failUntilLocked((password) => nextAuthSignIn(viaNextAuth.username, password, at(ip1)));
    expect((await rest.login({ username: viaNextAuth.username, password: PASSWORD }, at(ip1))).status).toBe(429);

    const viaRest = await createTestUser("client", "shared2");
    const ip2 = randomIp();
    await failUntilLocked((password) => rest.login({ username: viaRest.username, password }, at(ip2)));
    expect((await nextAuthSignIn(viaRest.username, PASSWORD, at(ip2))).error).toMatch(THROTTLED);
  });

  it("per address: the address next-auth reports (X-Real-Ip) is locked after 30 attempts", async () => {
    const user = await createTestUser("client", "naip");
    const ip = randomIp();
    for (let i = 0; i < NETWORK.attempts; i++) {
      expect((await nextAuthSignIn(`nobody-${i}`, "x-x-x-x-x", at(ip))).status).toBe(401);
    }
    expect((await nextAuthSignIn(user.username, PASSWORD, at(ip))).error).toMatch(THROTTLED);
    expect(await nextAuthSignIn(user.username, PASSWORD, randomClientIp())).toEqual({ status: 200 });
  });
});

describe("ASVS V6.3.8 — failed sign-ins do not reveal which usernames exist", () => {
  // 6.3.8: "Verify that valid users cannot be deduced from failed authentication challenges, such as
  // by basing on error messages, HTTP response codes, or different response times."
  let known: Viewer;
  beforeAll(async () => {
    known = await createTestUser("client", "known");
  });

  it("a wrong password and an unknown username get the same status and message, over REST and next-auth", async () => {
    const ip = randomClientIp();
    const wrongPassword = await rest.login({ username: known.username, password: "wrong-password" }, ip);
    const unknownUser = await rest.login({ username: "nobody-here", password: "wrong-password" }, ip);
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(await unknownUser.json()).toEqual(await wrongPassword.json());
    expect(await nextAuthSignIn("nobody-here", "wrong-password", ip)).toEqual(await nextAuthSignIn(known.username, "wrong-password", ip));
  });
});

describe("ASVS V6.3.1 — the current password asked for by a password change is throttled like a sign-in", () => {
  it("5 wrong current passwords from one address lock the change there (TOO_MANY_REQUESTS) and sign-in from there; the owner's address still signs in", async () => {
    const user = await createTestUser("client", "changer");
    const ip = randomIp();
    const api = createCaller({ viewer: user, clientIp: ip });
    const change = async (currentPassword: string) =>
      api.auth.changePassword({ currentPassword, newPassword: "a-new-password-1" }).then(
        () => ({ status: 200 }),
        (error: unknown) => ({ status: error instanceof TRPCError && error.code === "UNAUTHORIZED" ? 401 : 500 }),
      );
    await failUntilLocked(change);
    await expect(api.auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-1" })).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect((await rest.login({ username: user.username, password: PASSWORD }, at(ip))).status).toBe(429);
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });

  it("a right current password clears the pair's count, like a successful sign-in", async () => {
    const user = await createTestUser("client", "changer2");
    const ip = randomIp();
    const api = createCaller({ viewer: user, clientIp: ip });
    for (let i = 0; i < PAIR.attempts - 1; i++) {
      await expect(api.auth.changePassword({ currentPassword: "wrong-one", newPassword: "a-new-password-2" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
    await api.auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-2" });
    expect(await counter(`login-pair:${user.username}@${ip}`)).toBeNull();
  });
});

describe("ASVS V2.4.1 — self-registration (an argon2 hash each) is throttled per address", () => {
  // 2.4.1: "Verify that anti-automation controls are in place to protect against excessive calls to
  // application functions that could lead to [...] denial-of-service, or overuse of costly resources."
  const registration = (username: string) => ({ username, password: PASSWORD, name: "Self-registered" });

  it("5 registrations per address per 10 min: the 6th is TOO_MANY_REQUESTS with the wait and creates nothing; another address registers", async () => {
    const ip = randomIp();
    const api = createCaller({ viewer: null, clientIp: ip });
    for (let i = 0; i < THROTTLE_POLICY.registration.attempts; i++) await api.auth.register(registration(uniqueName("reg")));

    const refusedName = uniqueName("reg");
    const refused = await api.auth.register(registration(refusedName)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCError);
    expect(refused).toMatchObject({ code: "TOO_MANY_REQUESTS", message: expect.stringMatching(/^Too many registrations from this address; try again in \d+ s$/) as string });
    expect(await authDb.credential.findUnique({ where: { username: refusedName } })).toBeNull();

    const other = await createCaller({ viewer: null, clientIp: randomIp() }).auth.register(registration(uniqueName("reg")));
    expect(other).toMatchObject({ role: "client" });
  });

  it("over tRPC HTTP, one batch of 8 registrations from one address: 5 created, 3 refused with 429, retryAfterSeconds and a Retry-After header", async () => {
    // A Bearer token stands in for the anonymous caller (see http.test.ts): register is public either way.
    const headers = { "content-type": "application/json", ...(await bearerFor(await createTestUser("client", "batcher"))), ...randomClientIp() };
    const names = Array.from({ length: 8 }, () => uniqueName("batch"));
    const body = JSON.stringify(Object.fromEntries(names.map((name, i) => [i, { json: registration(name) }])));
    const paths = names.map(() => "auth.register").join(",");
    const response = await trpcPost(new Request(`http://ems.test/api/trpc/${paths}?batch=1`, { method: "POST", headers, body }));

    type Answer = { result?: unknown; error?: { json: { message: string; data: { httpStatus: number; retryAfterSeconds: number | null } } } };
    const answers = (await response.json()) as Answer[];
    expect(answers.filter((a) => a.result)).toHaveLength(THROTTLE_POLICY.registration.attempts);
    const waits = answers.flatMap((a) => (a.error ? [a.error.json.data.retryAfterSeconds ?? 0] : []));
    expect(response.headers.get("retry-after")).toBe(String(Math.max(...waits)));
    const refused = answers.filter((a) => a.error).map((a) => a.error?.json);
    expect(refused).toHaveLength(8 - THROTTLE_POLICY.registration.attempts);
    for (const error of refused) {
      expect(error?.data.httpStatus).toBe(429);
      expect(error?.data.retryAfterSeconds).toBeGreaterThan(0);
      expect(error?.data.retryAfterSeconds).toBeLessThanOrEqual(THROTTLE_POLICY.registration.windowSeconds);
    }
    expect(await authDb.credential.count({ where: { username: { in: names } } })).toBe(THROTTLE_POLICY.registration.attempts);
  });
});
