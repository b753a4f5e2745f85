import { NextResponse } from "next/server";
import { authenticate, issueToken } from "~/server/domain/auth.ts";
import { clientIpFrom, jsonRoute, readJsonBody } from "~/server/http.ts";

/**
 * POST /api/auth/login {username, password} → 200 {token, expiresAt, user: {id, username, role}}.
 * The token is a Bearer JWT (audience "ems-api", 1 hour) for the other REST routes.
 * 400 bad body, 401 wrong credentials, 429 throttled (with Retry-After).
 */
export const POST = jsonRoute(async (request: Request) => {
  const user = await authenticate(await readJsonBody(request), clientIpFrom(request.headers));
  const viewer = { id: user.id, username: user.username, role: user.role };
  // Bound to the session version this sign-in saw: a password change in between voids it.
  const { token, expiresAt } = await issueToken(user, "ems-api");
  return NextResponse.json({ token, expiresAt: expiresAt.toISOString(), user: viewer });
});
