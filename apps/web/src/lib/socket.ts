import { io, type Socket } from "socket.io-client";
import type { AckResponse, ClientToServerEvents, ServerToClientEvents, SocketErrorCode } from "@ems/contracts/socket";

/**
 * The browser's side of the real-time channel (chat, alerts, live consumption): a typed
 * socket.io-client socket that authenticates with a short-lived token from the web app and keeps
 * itself connected. Every connection attempt asks for a fresh token, so a reconnect after the token's
 * two minutes still succeeds; refusals by the server (which Socket.IO does not retry by itself) are
 * retried with backoff, and a dropped transport is re-established by Socket.IO's own reconnection.
 */

export type EmsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the user is shown: live, trying, or no longer signed in (reconnecting cannot help). */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "signed-out";

export interface SocketHandshake {
  token: string;
  /** The chat server's origin; "" for the page's own origin (behind the gateway). */
  url: string;
  path: string;
}

/** Thrown by `fetchHandshake` when the session has ended: the socket stops trying. */
export class SignedOutError extends Error {
  override name = "SignedOutError";
}

export interface RealtimeOptions {
  fetchHandshake: () => Promise<SocketHandshake>;
  onSocket: (socket: EmsSocket) => void;
  onState: (state: ConnectionState) => void;
}

const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 15_000;

/** Exponential backoff with jitter, so that many browsers do not retry in step after an outage. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Opens the socket once the first handshake token is issued (it also says where the chat server is)
 * and keeps it open until the returned function is called.
 */
export function connectRealtime({ fetchHandshake, onSocket, onState }: RealtimeOptions): () => void {
  let closed = false;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let socket: EmsSocket | undefined;

  const schedule = (action: () => void) => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(action, retryDelayMs(attempt++));
  };

  const signedOut = () => {
    onState("signed-out");
    socket?.disconnect();
  };

  const open = (first: SocketHandshake) => {
    let unused: string | null = first.token;
    const options = {
      path: first.path,
      reconnectionDelay: MIN_RETRY_MS,
      reconnectionDelayMax: MAX_RETRY_MS,
      // Called on every (re)connection attempt: the first reuses the token just issued.
      // With the browser's time zone: the bot answers "how much did I use yesterday?" in it.
      auth: (send: (data: { token: string; timeZone: string }) => void) => {
        const token = unused;
        unused = null;
        const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (token) return send({ token, timeZone });
        fetchHandshake().then(
          (handshake) => send({ token: handshake.token, timeZone }),
          (error: unknown) => {
            if (error instanceof SignedOutError) return signedOut();
            // Without a token the server refuses the attempt, which schedules the next one.
            send({ token: "", timeZone });
          },
        );
      },
    };
    const created: EmsSocket = first.url ? io(first.url, options) : io(options);
    socket = created;
    created.on("connect", () => {
      attempt = 0;
      onState("connected");
    });
    created.on("disconnect", (reason) => {
      if (reason === "io client disconnect") return;
      onState("reconnecting");
      // The server closed this socket on purpose (e.g. it is shutting down): Socket.IO will not retry.
      if (reason === "io server disconnect") schedule(() => created.connect());
    });
    created.on("connect_error", () => {
      if (closed) return;
      onState("reconnecting");
      // A refusal by the server's middleware (e.g. token_expired) is final for Socket.IO: retry here.
      if (!created.active) schedule(() => created.connect());
    });
    onSocket(created);
  };

  const start = () => {
    onState(attempt === 0 ? "connecting" : "reconnecting");
    fetchHandshake().then(
      (handshake) => {
        if (!closed) open(handshake);
      },
      (error: unknown) => {
        if (closed) return;
        if (error instanceof SignedOutError) return onState("signed-out");
        onState("reconnecting");
        schedule(start);
      },
    );
  };

  start();
  return () => {
    closed = true;
    clearTimeout(retryTimer);
    socket?.disconnect();
  };
}

/** An acknowledged request refused by the server (`{error}`) or left unanswered. */
export class SocketRequestError extends Error {
  override name = "SocketRequestError";
  constructor(
    readonly code: SocketErrorCode | "timeout" | "disconnected",
    message: string,
  ) {
    super(message);
  }
}

type AckedEvent = {
  [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, (response: never) => void] ? E : never;
}[keyof ClientToServerEvents];
type PayloadOf<E extends AckedEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckDataOf<E extends AckedEvent> = Parameters<ClientToServerEvents[E]>[1] extends (response: AckResponse<infer T>) => void ? T : never;

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sends an acknowledged event and resolves with its `data`, or rejects with the server's error. Not
 * sent while disconnected (Socket.IO would buffer it and send it later, after the caller gave up).
 */
export function socketRequest<E extends AckedEvent>(socket: EmsSocket, event: E, payload: PayloadOf<E>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<AckDataOf<E>> {
  if (!socket.connected) return Promise.reject(new SocketRequestError("disconnected", "Not connected to the chat server; reconnecting…"));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SocketRequestError("timeout", "The chat server did not answer in time")), timeoutMs);
    const onAck = (response: AckResponse<AckDataOf<E>>) => {
      clearTimeout(timer);
      if ("error" in response) reject(new SocketRequestError(response.error.code, response.error.message));
      else resolve(response.data);
    };
    // The event map types each event's own ack; one call site for all of them needs a looser view.
    (socket as unknown as { emit(event: E, payload: PayloadOf<E>, ack: typeof onAck): void }).emit(event, payload, onAck);
  });
}
