import type { KeyObject } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ExtendedError } from "socket.io";
import { verifySocketToken } from "@ems/auth/tokens";
import type { ConnectErrorCode } from "@ems/contracts/socket";
import { isIanaTimeZone } from "@ems/contracts/time-zone";
import type { Logger } from "@ems/messaging";
import { throttledWarning } from "./adapter-database.ts";
import type { SessionFloors } from "./session-floors.ts";
import type { ChatSocket } from "./types.ts";

const CONNECT_ERROR_MESSAGES: Record<ConnectErrorCode, string> = {
  token_missing: "Sign in first: the handshake must carry auth.token",
  token_invalid: "The handshake token is not valid",
  token_expired: "The handshake token has expired: request a new one",
  token_revoked: "The handshake token was issued before your sessions ended (signed out, password or role changed): request a new one",
  unavailable: "The chat is temporarily unavailable; please try again in a moment",
  too_many_sockets: "Too many open chat connections for this user: close another tab or window first",
};

export function connectError(code: ConnectErrorCode): ExtendedError {
  const error: ExtendedError = new Error(code);
  error.data = { code, message: CONNECT_ERROR_MESSAGES[code] };
  return error;
}

/**
 * Engine.IO `allowRequest`: refuses (HTTP 403) every request — polling or WebSocket upgrade — whose
 * Origin is not on the allow-list. Browsers always send Origin; this stops other sites from opening
 * sockets with a user's browser (WebSocket has no CORS).
 */
export function originGate(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  return (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.has(origin)) callback(null, true);
    else callback(`origin ${origin ?? "(none)"} is not allowed`, false);
  };
}

/**
 * Socket.IO middleware: verifies the short-lived "ems-socket" token (Ed25519 signature with the web app's
 * public key, issuer, audience, expiry), then that its session version is not below its user's floor
 * (./session-floors.ts: a token issued before a sign-out, password or role change, or deletion is
 * refused), and keeps its subject on the socket, with the client's time zone (auth.timeZone, UTC if
 * absent or unknown: the bot answers "yesterday" in it). Refusals say why, so that the client can tell an
 * expired or revoked token (fetch a new one) from a bad one. If the floor cannot be read (chat database
 * away), the handshake is refused as "unavailable" rather than admitted unchecked: the client retries.
 */
export function tokenGate(publicKey: KeyObject, floors: SessionFloors, log: Logger) {
  const warn = throttledWarning(log);
  const admit = async (socket: ChatSocket): Promise<ExtendedError | undefined> => {
    const { token, timeZone } = socket.handshake.auth as Record<string, unknown>;
    if (typeof token !== "string" || token === "") return connectError("token_missing");
    const result = await verifySocketToken(token, publicKey);
    if (!result.ok) return connectError(result.reason === "expired" ? "token_expired" : "token_invalid");
    try {
      if (await floors.isRevoked(result.subject)) return connectError("token_revoked");
    } catch {
      warn('chat database unavailable: refusing handshakes with "unavailable" until it is back (session floors cannot be read)');
      return connectError("unavailable");
    }
    socket.data.user = result.subject;
    // Only a hint for the bot: a zone this server's ICU does not know (newer than its Node, or garbage)
    // must not cut the user off from alerts and live data, so it is UTC then.
    socket.data.timeZone = typeof timeZone === "string" && isIanaTimeZone(timeZone) ? timeZone : "UTC";
    return undefined;
  };
  return (socket: ChatSocket, next: (error?: ExtendedError) => void): void => {
    void admit(socket).then(next);
  };
}

/**
 * Closes the race between a handshake and a sessions.ended handled while it was in flight (the floor
 * read before the event raised it, the socket joining its rooms after the event's disconnect): once the
 * socket is in its rooms, the floor is read again and a socket that turned out revoked is dropped. A
 * failed read keeps the socket (the handshake's own check passed a moment ago).
 */
export async function dropIfRevoked(socket: ChatSocket, floors: SessionFloors): Promise<boolean> {
  const revoked = await floors.isRevoked(socket.data.user).catch(() => false);
  if (revoked) socket.disconnect(true);
  return revoked;
}
