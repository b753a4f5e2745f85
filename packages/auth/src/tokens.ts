import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify, errors } from "jose";
import { z } from "zod";

/**
 * Two kinds of token, told apart by audience and by algorithm, so that one can never be used as the other:
 *  - "ems-api": the REST Bearer token from POST /api/auth/login (1 hour by default), HS256 with the web
 *    app's AUTH_SECRET — only the web app signs and verifies it;
 *  - "ems-socket": the short-lived Socket.IO handshake token (2 minutes by default), Ed25519 (EdDSA): the
 *    web app signs with the private key, the chat process verifies with the public key alone, so whoever
 *    takes over the internet-facing chat process can neither mint socket tokens nor API tokens.
 * Both carry the user's session version (`sv`): the credentials' session_version when the token was issued.
 * It moves on at sign-out, password change, role change and deletion, and a token carrying an older one
 * is refused (the web app compares it with the auth database, chat with what sessions.ended told it).
 */

/**
 * The AUTH_SECRET of a development or test process, so that `npm run dev` needs no configuration. It is
 * public (it is in this file), so it is used only on an explicit opt-in, NODE_ENV=development or
 * NODE_ENV=test (see authSecretSchema): any other process — production, "staging", or NODE_ENV unset —
 * must be given a real secret.
 */
export const DEVELOPMENT_AUTH_SECRET = "ems-development-secret-not-for-production-use";

/**
 * The socket-token key pair of a development or test process (the web app signs with the private key,
 * chat verifies with the public one). Public, like DEVELOPMENT_AUTH_SECRET, and under the same rule:
 * used only when NODE_ENV is "development" or "test", and refused when given explicitly to any other process.
 */
export const DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIC0DeCJ1zBkJMoxAGxzF7kZGyUUy5EMbpkFGz3bZFhye
-----END PRIVATE KEY-----
`;
export const DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAwApT6v7zR/gGwwGJS09v9Ap7XuiDkGROEJFTu9rKASI=
-----END PUBLIC KEY-----
`;

/** The NODE_ENV values that opt in to the development secret and key pair: `next dev`, `npm run dev` and Vitest set them. */
export const DEVELOPMENT_SECRET_NODE_ENVS: readonly string[] = ["development", "test"];

/** True when a process with this NODE_ENV may fall back to DEVELOPMENT_AUTH_SECRET and the development key pair. */
export function allowsDevelopmentAuthSecret(nodeEnv: string | undefined): boolean {
  return nodeEnv !== undefined && DEVELOPMENT_SECRET_NODE_ENVS.includes(nodeEnv);
}

function describeNodeEnv(nodeEnv: string | undefined): string {
  return `(here NODE_ENV is ${nodeEnv === undefined ? "unset" : JSON.stringify(nodeEnv)})`;
}

/**
 * The AUTH_SECRET setting of the web app, which alone signs and verifies next-auth cookies and API
 * Bearer tokens: at least 32 characters, from AUTH_SECRET or AUTH_SECRET_FILE. When it is missing, the
 * development secret stands in only under NODE_ENV=development or test; otherwise parsing fails with a
 * message that says what to set.
 */
export function authSecretSchema(nodeEnv: string | undefined) {
  const secret = z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `AUTH_SECRET (or AUTH_SECRET_FILE) is required: at least 32 random characters (web only: it signs sessions and API tokens). ` +
            `The built-in development secret is used only when NODE_ENV is "development" or "test" ` +
            `${describeNodeEnv(nodeEnv)}.`
          : "AUTH_SECRET must be a string",
    })
    .min(32, { error: "AUTH_SECRET must be at least 32 characters" });
  return allowsDevelopmentAuthSecret(nodeEnv) ? secret.default(DEVELOPMENT_AUTH_SECRET) : secret;
}

// ---- the socket-token key pair -----------------------------------------------------------------

/** A PEM as it may arrive in an environment variable: `\n` written out, surrounding blanks, CRLF. */
function normalizePem(value: string): string {
  return `${value.replace(/\\n/g, "\n").replace(/\r\n/g, "\n").trim()}\n`;
}

function pemLabel(pem: string): string | undefined {
  return /^-----BEGIN ([A-Z0-9 ]+)-----\n/.exec(pem)?.[1];
}

function publicKeyBytes(key: KeyObject): string {
  return key.export({ format: "der", type: "spki" }).toString("base64");
}

const DEVELOPMENT_PUBLIC_KEY_BYTES = publicKeyBytes(createPublicKey(DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY));

/**
 * The web app's socket-token signing key: an Ed25519 private key, PEM (PKCS #8, `-----BEGIN PRIVATE KEY-----`,
 * as `openssl genpkey -algorithm ed25519` writes it). Throws a readable error otherwise.
 */
export function socketTokenPrivateKey(pem: string): KeyObject {
  const text = normalizePem(pem);
  if (pemLabel(text) !== "PRIVATE KEY") throw new Error("must be an Ed25519 private key in PEM (-----BEGIN PRIVATE KEY-----, from `openssl genpkey -algorithm ed25519`)");
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: "pem" });
  } catch {
    throw new Error("is not a readable PEM private key");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`must be an Ed25519 key, not ${key.asymmetricKeyType ?? "unknown"}`);
  return key;
}

/**
 * The chat process's socket-token verification key: an Ed25519 public key, PEM (SPKI, `-----BEGIN PUBLIC
 * KEY-----`, as `openssl pkey -pubout` writes it). A private key is refused, although one could be derived
 * from it: the point of the pair is that chat never holds what signs.
 */
export function socketTokenPublicKey(pem: string): KeyObject {
  const text = normalizePem(pem);
  const label = pemLabel(text);
  if (label?.includes("PRIVATE")) throw new Error("is a private key: give the chat process only the public key (`openssl pkey -in private.pem -pubout`)");
  if (label !== "PUBLIC KEY") throw new Error("must be an Ed25519 public key in PEM (-----BEGIN PUBLIC KEY-----)");
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch {
    throw new Error("is not a readable PEM public key");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`must be an Ed25519 key, not ${key.asymmetricKeyType ?? "unknown"}`);
  return key;
}

/**
 * The zod setting for one half of the socket-token key pair (normalized PEM text). Missing: the development
 * half stands in under NODE_ENV=development or test only. Given: it must be a key of the right kind, and
 * the development pair is refused outside development and test (it is public).
 */
function socketKeySchema(nodeEnv: string | undefined, half: "private" | "public") {
  const name = half === "private" ? "SOCKET_TOKEN_PRIVATE_KEY" : "SOCKET_TOKEN_PUBLIC_KEY";
  const what =
    half === "private"
      ? "an Ed25519 private key in PEM (`openssl genpkey -algorithm ed25519`), held by the web app alone"
      : "the Ed25519 public key in PEM of the web app's SOCKET_TOKEN_PRIVATE_KEY (`openssl pkey -in private.pem -pubout`)";
  const development = half === "private" ? DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY : DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY;
  const allowsDevelopment = allowsDevelopmentAuthSecret(nodeEnv);
  const schema = z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `${name} (or ${name}_FILE) is required: ${what}. ` +
            `The built-in development key pair is used only when NODE_ENV is "development" or "test" ${describeNodeEnv(nodeEnv)}.`
          : `${name} must be a string`,
    })
    .transform((value, context) => {
      try {
        const key = half === "private" ? socketTokenPrivateKey(value) : socketTokenPublicKey(value);
        const publicKey = half === "private" ? createPublicKey(key) : key;
        if (!allowsDevelopment && publicKeyBytes(publicKey) === DEVELOPMENT_PUBLIC_KEY_BYTES) {
          throw new Error(`is the public development key pair, which only NODE_ENV "development" or "test" may use ${describeNodeEnv(nodeEnv)}`);
        }
      } catch (error) {
        context.addIssue({ code: "custom", message: `${name} ${(error as Error).message}` });
        return z.NEVER;
      }
      return normalizePem(value);
    });
  return allowsDevelopment ? schema.default(development) : schema;
}

/** The web app's SOCKET_TOKEN_PRIVATE_KEY setting (see socketKeySchema). */
export function socketTokenPrivateKeySchema(nodeEnv: string | undefined) {
  return socketKeySchema(nodeEnv, "private");
}

/** The chat process's SOCKET_TOKEN_PUBLIC_KEY setting (see socketKeySchema). */
export function socketTokenPublicKeySchema(nodeEnv: string | undefined) {
  return socketKeySchema(nodeEnv, "public");
}

// ---- tokens ------------------------------------------------------------------------------------

export type TokenAudience = "ems-api" | "ems-socket";
export const TOKEN_ISSUER = "ems";
export const DEFAULT_TOKEN_TTL_SECONDS: Record<TokenAudience, number> = { "ems-api": 3600, "ems-socket": 120 };
/**
 * The one algorithm each audience is signed and verified with (an allow-list of one). Ed25519 is the
 * fully-specified JOSE name (RFC 9864) of EdDSA over the Ed25519 curve.
 */
export const TOKEN_ALGORITHMS = { "ems-api": "HS256", "ems-socket": "Ed25519" } as const satisfies Record<TokenAudience, string>;

export const roleSchema = z.enum(["admin", "client"]);
export type Role = z.infer<typeof roleSchema>;

export interface TokenSubject {
  id: string;
  username: string;
  role: Role;
  /** The credentials' session_version when the token was issued (claim `sv`). */
  sessionVersion: number;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  username: z.string().min(1),
  role: roleSchema,
  sv: z.number().int().positive().max(2_147_483_647),
});

async function sign(subject: TokenSubject, audience: TokenAudience, key: Uint8Array | KeyObject, ttlSeconds: number): Promise<string> {
  return new SignJWT({ username: subject.username, role: subject.role, sv: subject.sessionVersion })
    .setProtectedHeader({ alg: TOKEN_ALGORITHMS[audience], typ: "JWT" })
    .setSubject(subject.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key);
}

export type VerifyResult = { ok: true; subject: TokenSubject } | { ok: false; reason: "expired" | "invalid" };

async function verify(token: string, audience: TokenAudience, key: Uint8Array | KeyObject): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [TOKEN_ALGORITHMS[audience]],
      issuer: TOKEN_ISSUER,
      audience,
      // A token without an expiry would be valid for ever, however it was signed.
      requiredClaims: ["exp", "iat", "sub"],
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: "invalid" };
    const { sub, username, role, sv } = claims.data;
    return { ok: true, subject: { id: sub, username, role, sessionVersion: sv } };
  } catch (error) {
    return { ok: false, reason: error instanceof errors.JWTExpired ? "expired" : "invalid" };
  }
}

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** The REST Bearer token (audience "ems-api"), HS256 with AUTH_SECRET. */
export function signApiToken(subject: TokenSubject, secret: string, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS["ems-api"]): Promise<string> {
  return sign(subject, "ems-api", secretKey(secret), ttlSeconds);
}

/** Verifies signature, algorithm (HS256 only), issuer, audience ("ems-api") and expiry. Never throws. */
export function verifyApiToken(token: string, secret: string): Promise<VerifyResult> {
  return verify(token, "ems-api", secretKey(secret));
}

/** The Socket.IO handshake token (audience "ems-socket"), Ed25519 with the web app's private key. */
export async function signSocketToken(subject: TokenSubject, privateKey: KeyObject, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS["ems-socket"]): Promise<string> {
  if (privateKey.type !== "private") throw new Error("signSocketToken needs the private key");
  return await sign(subject, "ems-socket", privateKey, ttlSeconds);
}

/**
 * Verifies signature, algorithm (Ed25519 only: an HS256 token MAC'd with AUTH_SECRET, or with the public
 * key's bytes, is refused), issuer, audience ("ems-socket") and expiry with the public key. Never throws.
 */
export function verifySocketToken(token: string, publicKey: KeyObject): Promise<VerifyResult> {
  return verify(token, "ems-socket", publicKey);
}
