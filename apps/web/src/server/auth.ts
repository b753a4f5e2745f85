import "server-only";
import { getServerSession, type NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "~/env.ts";
import { DomainError } from "./errors.ts";
import { authenticate, currentSessionUser, endSessions } from "./domain/auth.ts";
import { clientIpFrom } from "./http.ts";
import { nextAuthCookieSettings, publicOriginFrom } from "./security-headers.ts";
import type { Viewer } from "./viewer.ts";

/**
 * next-auth v4: one Credentials provider against the auth database, JWT sessions (an encrypted
 * cookie) expiring after SESSION_MAX_AGE_SECONDS without use. The token carries the user's id,
 * username, role and session_version; on every read the credentials are looked up again, so a
 * deleted user or one whose password or role changed is signed out at once. Signing out moves the
 * session version on too, so a copy of the cookie stops working with it (all the user's sessions end).
 */

declare module "next-auth" {
  interface Session {
    user: Viewer;
  }
  interface User {
    username: string;
    role: Viewer["role"];
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    username?: string;
    role?: Viewer["role"];
    sessionVersion?: number;
  }
}

class SessionRevoked extends Error {
  override name = "SessionRevoked";
}

export const authOptions: NextAuthOptions = {
  secret: env.AUTH_SECRET,
  session: { strategy: "jwt", maxAge: env.SESSION_MAX_AGE_SECONDS },
  jwt: { maxAge: env.SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin" },
  // Secure, __Host-/__Secure- prefixed cookies exactly when the configured public origin is https
  // (ASVS 5.0 V3.3.1, V3.3.3): TLS ends at Traefik, so the request itself always looks like http.
  ...nextAuthCookieSettings(publicOriginFrom(env)),
  providers: [
    CredentialsProvider({
      name: "EMS",
      credentials: { username: { label: "Username", type: "text" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        try {
          const user = await authenticate(credentials, clientIpFrom(new Headers(request.headers as Record<string, string>)));
          return { id: user.id, name: user.username, username: user.username, role: user.role, sessionVersion: user.sessionVersion };
        } catch (error) {
          // next-auth hands the message to the sign-in form (signIn(...).error).
          if (error instanceof DomainError) throw new Error(error.message, { cause: error });
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) return { ...token, sub: user.id, username: user.username, role: user.role, sessionVersion: user.sessionVersion };
      if (!token.sub || token.sessionVersion === undefined) throw new SessionRevoked("session without a user");
      const current = await currentSessionUser(token.sub, token.sessionVersion);
      if (!current) throw new SessionRevoked("the user signed out, was deleted, or their password or role changed");
      return { ...token, username: current.username, role: current.role };
    },
    session({ session, token }) {
      // jwt() has just checked the token against the database. The session version goes with the viewer
      // so that the tokens issued to it (chat.socketToken) are bound to this session, not a later one.
      return {
        ...session,
        user: { id: token.sub ?? "", username: token.username ?? "", role: token.role ?? "client", sessionVersion: token.sessionVersion },
      };
    },
  },
  events: {
    async signOut({ token }) {
      if (token.sub && token.sessionVersion !== undefined) await endSessions(token.sub, token.sessionVersion);
    },
  },
  logger: {
    error(code, metadata) {
      // A revoked session is expected: next-auth clears the cookie and the user signs in again.
      const cause = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
      if (code === "JWT_SESSION_ERROR" && cause instanceof SessionRevoked) return;
      console.error(`[next-auth] ${code}`, metadata);
    },
    warn(code) {
      console.warn(`[next-auth] ${code}`);
    },
    debug() {},
  },
};

/** The signed-in user of the current request (server components, route handlers), or null. */
export async function getSessionViewer(): Promise<Viewer | null> {
  const session = await getServerSession(authOptions);
  return session?.user.id ? session.user : null;
}
