import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "@ems/contracts/socket";
import type { TokenSubject } from "@ems/auth/tokens";

/** Set by the handshake middleware: every connected socket has a verified user, and the zone its client is in. */
export interface SocketData {
  user: TokenSubject;
  /** IANA zone from the handshake's auth.timeZone (the browser's own), UTC when the client sent none. */
  timeZone: string;
}

/** No events between chat servers: the adapter relays room broadcasts. */
export type InterServerEvents = Record<string, never>;

export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
