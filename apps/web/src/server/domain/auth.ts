import "server-only";
import { dummyPasswordHash, hashPassword, verifyPassword } from "@ems/auth/passwords";
import { DEFAULT_TOKEN_TTL_SECONDS, signApiToken, signSocketToken, socketTokenPrivateKey, verifyApiToken, type TokenAudience, type TokenSubject } from "@ems/auth/tokens";
import { authDb } from "@ems/db/auth";
import { env } from "~/env.ts";
import { changePasswordInputSchema, loginInputSchema, registerInputSchema } from "~/lib/schemas.ts";
import { parseInput, unauthorized } from "../errors.ts";
import { recordSessionsEnded, sessionsEndedRecorded } from "../outbox/sessions-ended.ts";
import type { Viewer } from "../viewer.ts";
import { reserveSignInAttempt } from "./login-throttle.ts";
import { createAccount, type UserDto } from "./users.ts";

export interface AuthenticatedUser extends Viewer {
  /** The credentials' session_version when signed in; a session carrying an older one is void. */
  sessionVersion: number;
}

const INVALID_CREDENTIALS = "Invalid username or password";

/**
 * Checks a username and password (for next-auth's Credentials provider and POST /api/auth/login).
 * The attempt is reserved in the throttle (./login-throttle.ts) before the password is checked:
 * 429 without a check once the limit is reached, else 401 for a wrong pair — the reservation stays
 * as the failure. An unknown username costs the same argon2 verification as a known one, so timing
 * does not reveal which exist. Only enabled credentials count, here and in every lookup below: an
 * account whose creation has not finished (./users.ts) is no account yet. The role returned, like
 * every role in this file, is the credentials' — the one place it is kept.
 */
export async function authenticate(rawInput: unknown, clientIp: string): Promise<AuthenticatedUser> {
  const input = parseInput(loginInputSchema, rawInput);
  const attempt = await reserveSignInAttempt(input.username, clientIp);
  const credential = await authDb.credential.findUnique({ where: { username: input.username, enabled: true } });
  const passwordOk = await verifyPassword(credential?.passwordHash ?? (await dummyPasswordHash()), input.password);
  if (!credential || !passwordOk) throw unauthorized(INVALID_CREDENTIALS);
  await attempt.succeeded();
  return { id: credential.userId, username: credential.username, role: credential.role, sessionVersion: credential.sessionVersion };
}

/** Self-registration: always a client. */
export async function register(rawInput: unknown): Promise<UserDto> {
  const input = parseInput(registerInputSchema, rawInput);
  return createAccount({ ...input, role: "client" });
}

/**
 * The current state of a session's user: null once the user is deleted or their session version
 * moved on (password or role changed). Username and role come from the database, not the cookie.
 */
export async function currentSessionUser(userId: string, sessionVersion: number): Promise<AuthenticatedUser | null> {
  const credential = await authDb.credential.findUnique({ where: { userId, enabled: true } });
  if (!credential || credential.sessionVersion !== sessionVersion) return null;
  return { id: credential.userId, username: credential.username, role: credential.role, sessionVersion: credential.sessionVersion };
}

/**
 * Sign-out. A session is a signed cookie that cannot be recalled on its own, so signing out moves
 * the user's session version on: every session of theirs ends, including any copy of this cookie
 * taken before, and every API or socket token issued to them. Only a current session can do this (a
 * revoked one's version is already behind). The announcement to chat (sessions.ended) is written to
 * the auth database's outbox in the same transaction, so it cannot be lost.
 */
export async function endSessions(userId: string, sessionVersion: number): Promise<void> {
  const ended = await authDb.$transaction(async (tx) => {
    const [updated] = await tx.credential.updateManyAndReturn({
      where: { userId, sessionVersion },
      data: { sessionVersion: { increment: 1 } },
      select: { sessionVersion: true },
    });
    if (updated) await recordSessionsEnded(tx, userId, "signed-out", updated.sessionVersion);
    return updated !== undefined;
  });
  if (ended) sessionsEndedRecorded();
}

/**
 * The signed-in user changes their own password; every other session of theirs ends. The current
 * password is a sign-in of its own: it is reserved in the same throttle as a sign-in (same keys), and a
 * wrong one counts as a failed sign-in, so a borrowed session cannot be used to guess it.
 */
export async function changeOwnPassword(viewer: Viewer, rawInput: unknown, clientIp: string): Promise<{ sessionVersion: number }> {
  const input = parseInput(changePasswordInputSchema, rawInput);
  const attempt = await reserveSignInAttempt(viewer.username, clientIp);
  const credential = await authDb.credential.findUnique({ where: { userId: viewer.id, enabled: true } });
  if (!credential) throw unauthorized();
  if (!(await verifyPassword(credential.passwordHash, input.currentPassword))) throw unauthorized("The current password is wrong");
  await attempt.succeeded();
  const passwordHash = await hashPassword(input.newPassword);
  const updated = await authDb.$transaction(async (tx) => {
    const credentials = await tx.credential.update({ where: { userId: viewer.id }, data: { passwordHash, sessionVersion: { increment: 1 } } });
    await recordSessionsEnded(tx, viewer.id, "password-changed", credentials.sessionVersion);
    return credentials;
  });
  sessionsEndedRecorded();
  return { sessionVersion: updated.sessionVersion };
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

let socketSigningKey: ReturnType<typeof socketTokenPrivateKey> | undefined;

/**
 * Issues an API ("ems-api": HS256 with AUTH_SECRET) or socket ("ems-socket": Ed25519 with
 * SOCKET_TOKEN_PRIVATE_KEY) token to the viewer, bound to their current session version, with the
 * username and role of the auth database. A viewer whose session version is behind the database's
 * (signed out, password or role changed meanwhile) or who no longer exists gets 401. A viewer without
 * a session version (in-process callers such as tests) is given the current one.
 */
export async function issueToken(viewer: Viewer, audience: TokenAudience): Promise<IssuedToken> {
  const credential = await authDb.credential.findUnique({ where: { userId: viewer.id, enabled: true } });
  if (!credential || (viewer.sessionVersion !== undefined && viewer.sessionVersion !== credential.sessionVersion)) {
    throw unauthorized("Your session has ended; sign in again");
  }
  const subject: TokenSubject = { id: credential.userId, username: credential.username, role: credential.role, sessionVersion: credential.sessionVersion };
  const ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS[audience];
  const token =
    audience === "ems-api"
      ? await signApiToken(subject, env.AUTH_SECRET, ttlSeconds)
      : await signSocketToken(subject, (socketSigningKey ??= socketTokenPrivateKey(env.SOCKET_TOKEN_PRIVATE_KEY)), ttlSeconds);
  return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
}

/**
 * The viewer of a REST request from its `Authorization: Bearer <token>` header (audience "ems-api").
 * The token must be valid and unexpired, its user must still exist, and the session version it carries
 * must still be the user's: a token issued before a sign-out, a password change or a role change is
 * refused (401), like the sessions those end. The role is read from the database.
 */
export async function bearerViewer(authorization: string | null): Promise<Viewer> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) throw unauthorized("Missing Bearer token (Authorization: Bearer <token> from POST /api/auth/login)");
  const result = await verifyApiToken(match[1], env.AUTH_SECRET);
  if (!result.ok) throw unauthorized(result.reason === "expired" ? "The token has expired; sign in again" : "Invalid token");
  const credential = await authDb.credential.findUnique({ where: { userId: result.subject.id, enabled: true } });
  if (!credential) throw unauthorized("The token's user no longer exists");
  if (credential.sessionVersion !== result.subject.sessionVersion) {
    throw unauthorized("The token was revoked (signed out, or the password or role changed); sign in again");
  }
  return { id: credential.userId, username: credential.username, role: credential.role, sessionVersion: credential.sessionVersion };
}
