"use client";

import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { ServerToClientEvents } from "@ems/contracts/socket";
import { connectRealtime, SignedOutError, type ConnectionState, type EmsSocket } from "~/lib/socket.ts";
import { useTRPCClient } from "~/trpc/react.tsx";
import { errorCode } from "../format.ts";

interface RealtimeValue {
  socket: EmsSocket | null;
  state: ConnectionState;
}

const RealtimeContext = createContext<RealtimeValue | null>(null);

/**
 * One Socket.IO connection per signed-in page, shared by the chat, the alert modal and the live
 * chart. Tokens come from the web app (`chat.socketToken`), a fresh one for every connection attempt.
 */
export function RealtimeProvider({ children }: { children: ReactNode }) {
  const trpcClient = useTRPCClient();
  const [socket, setSocket] = useState<EmsSocket | null>(null);
  const [state, setState] = useState<ConnectionState>("connecting");

  useEffect(
    () =>
      connectRealtime({
        fetchHandshake: async () => {
          try {
            return await trpcClient.chat.socketToken.mutate();
          } catch (error) {
            if (errorCode(error) === "UNAUTHORIZED") throw new SignedOutError("The session has ended");
            throw error;
          }
        },
        onSocket: setSocket,
        onState: setState,
      }),
    [trpcClient],
  );

  return <RealtimeContext.Provider value={{ socket, state }}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): RealtimeValue {
  const value = useContext(RealtimeContext);
  if (!value) throw new Error("useRealtime must be used inside <RealtimeProvider>");
  return value;
}

/** Keeps the latest handler in a ref, so that subscribing does not depend on the handler's identity. */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  useEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** Listens to one server event for as long as the component is mounted. */
export function useRealtimeEvent<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]): void {
  const { socket } = useRealtime();
  const latest = useLatest(handler);
  useEffect(() => {
    if (!socket) return;
    const listener = (...args: Parameters<ServerToClientEvents[E]>) => (latest.current as (...a: typeof args) => void)(...args);
    const untyped = socket as unknown as { on(event: string, listener: unknown): void; off(event: string, listener: unknown): void };
    untyped.on(event, listener);
    return () => untyped.off(event, listener);
  }, [socket, event, latest]);
}

/**
 * Runs `handler` whenever the socket (re)connects, and at once if it already is connected: the place
 * to load what the server holds (chat history, the inbox) and to catch up on what was missed offline.
 */
export function useOnConnect(handler: (socket: EmsSocket) => void): void {
  const { socket } = useRealtime();
  const latest = useLatest(handler);
  useEffect(() => {
    if (!socket) return;
    const onConnect = () => latest.current(socket);
    if (socket.connected) onConnect();
    socket.on("connect", onConnect);
    return () => {
      socket.off("connect", onConnect);
    };
  }, [socket, latest]);
}
