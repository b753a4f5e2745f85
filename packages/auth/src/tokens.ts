import { SignJWT, jwtVerify, errors } from "jose";
import { z } from "zod";

/**
 * Two kinds of token, both HS256 JWTs signed with the web app's AUTH_SECRET, told apart by audience
 * so that one can never be used as the other:
 *  - "ems-api": the REST Bearer token from POST /api/auth/login (1 hour by default);
 *  - "ems-socket": the short-lived Socket.IO handshake token (2 minutes by default).
 */
/**
 * The AUTH_SECRET of a development or test process, shared by the web app and the chat process so that
 * `npm run dev` needs no configuration. It is public (it is in this file), so it is used only on an
 * explicit opt-in, NODE_ENV=development or NODE_ENV=test (see authSecretSchema): any other process —
 * production, "staging", or NODE_ENV unset — must be given a real secret.
 */
export const DEVELOPMENT_AUTH_SECRET = "ems-development-secret-not-for-production-use";

/** The NODE_ENV values that opt in to DEVELOPMENT_AUTH_SECRET: `next dev`, `npm run dev` and Vitest set them. */
export const DEVELOPMENT_SECRET_NODE_ENVS: readonly string[] = ["development", "test"];

/** True when a process with this NODE_ENV may fall back to DEVELOPMENT_AUTH_SECRET. */
export function allowsDevelopmentAuthSecret(nodeEnv: string | undefined): boolean {
  return nodeEnv !== undefined && DEVELOPMENT_SECRET_NODE_ENVS.includes(nodeEnv);
}

/**
 * The AUTH_SECRET setting of every process that signs or verifies EMS tokens (web, chat): at least 32
 * characters, from AUTH_SECRET or AUTH_SECRET_FILE. When it is missing, the development secret stands in
 * only under NODE_ENV=development or test; otherwise parsing fails with a message that says what to set.
 */
export function authSecretSchema(nodeEnv: string | undefined) {
  const secret = z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `AUTH_SECRET (or AUTH_SECRET_FILE) is required: at least 32 random characters, the same for web and chat. ` +
            `The built-in development secret is used only when NODE_ENV is "development" or "test" ` +
            `(here NODE_ENV is ${nodeEnv === undefined ? "unset" : JSON.stringify(nodeEnv)}).`
          : "AUTH_SECRET must be a string",
    })
    .min(32, { error: "AUTH_SECRET must be at least 32 characters" });
  return allowsDevelopmentAuthSecret(nodeEnv) ? secret.default(DEVELOPMENT_AUTH_SECRET) : secret;
}

export type TokenAudience = "ems-api" | "ems-socket";
export const TOKEN_ISSUER = "ems";
export const DEFAULT_TOKEN_TTL_SECONDS: Record<TokenAudience, number> = { "ems-api": 3600, "ems-socket": 120 };

export const roleSchema = z.enum(["admin", "client"]);
export type Role = z.infer<typeof roleSchema>;

export interface TokenSubject {
  id: string;
  username: string;
  role: Role;
}

const claimsSchema = z.object({ sub: z.uuid(), username: z.string().min(1), role: roleSchema });

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signToken(
  subject: TokenSubject,
  audience: TokenAudience,
  secret: string,
  ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS[audience],
): Promise<string> {
  return new SignJWT({ username: subject.username, role: subject.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key(secret));
}

export type VerifyResult = { ok: true; subject: TokenSubject } | { ok: false; reason: "expired" | "invalid" };

/** Verifies signature, algorithm (HS256 only), issuer, audience and expiry. Never throws. */
export async function verifyToken(token: string, audience: TokenAudience, secret: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ["HS256"],
      issuer: TOKEN_ISSUER,
      audience,
      // A token without an expiry would be valid for ever, however it was signed.
      requiredClaims: ["exp", "iat", "sub"],
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: "invalid" };
    return { ok: true, subject: { id: claims.data.sub, username: claims.data.username, role: claims.data.role } };
  } catch (error) {
    return { ok: false, reason: error instanceof errors.JWTExpired ? "expired" : "invalid" };
  }
}
