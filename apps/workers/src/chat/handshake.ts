import type { IncomingMessage } from "node:http";
import type { ExtendedError } from "socket.io";
import { verifyToken } from "@ems/auth/tokens";
import type { ConnectErrorCode } from "@ems/contracts/socket";
import type { ChatSocket } from "./types.ts";

const CONNECT_ERROR_MESSAGES: Record<ConnectErrorCode, string> = {
  token_missing: "Sign in first: the handshake must carry auth.token",
  token_invalid: "The handshake token is not valid",
  token_expired: "The handshake token has expired: request a new one",
};

function connectError(code: ConnectErrorCode): ExtendedError {
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
 * Socket.IO middleware: verifies the short-lived "ems-socket" token (signature, issuer, audience,
 * expiry) and keeps its subject on the socket. Refusals say why, so that the client can tell an
 * expired token (fetch a new one) from a bad one.
 */
export function tokenGate(authSecret: string) {
  const admit = async (socket: ChatSocket): Promise<ExtendedError | undefined> => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown>).token;
    if (typeof token !== "string" || token === "") return connectError("token_missing");
    const result = await verifyToken(token, "ems-socket", authSecret);
    if (!result.ok) return connectError(result.reason === "expired" ? "token_expired" : "token_invalid");
    socket.data.user = result.subject;
    return undefined;
  };
  return (socket: ChatSocket, next: (error?: ExtendedError) => void): void => {
    void admit(socket).then(next);
  };
}
