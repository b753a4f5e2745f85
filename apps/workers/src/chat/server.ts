import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/postgres-adapter";
import { Broker, consoleLogger, declareTopology, type Logger } from "@ems/messaging";
import { queueNames } from "@ems/contracts/queues";
import { ADMINS_ROOM, SOCKET_PATH, adminRoom, userRoom } from "@ems/contracts/socket";
import { AdapterDatabase, throttledWarning } from "./adapter-database.ts";
import { SupportBot } from "./bot/bot.ts";
import { SlidingWindowLimiter } from "./rate-limit.ts";
import type { ChatServerConfig } from "./config.ts";
import { registerChatHandlers } from "./handlers.ts";
import { dropIfRevoked, originGate, tokenGate } from "./handshake.ts";
import { consumeNotifications } from "./notifications.ts";
import { SessionFloors } from "./session-floors.ts";
import { socketBudget, socketCap } from "./socket-limits.ts";
import { ChatStore } from "./store.ts";
import type { ChatIo } from "./types.ts";

export interface ChatServer {
  /** The port actually listened on (config.port may be 0). */
  port: number;
  io: ChatIo;
  /** Resolves once connected to RabbitMQ and consuming notifications. */
  notificationsReady(): Promise<void>;
  /** Disconnects the sockets, stops consuming, lets pending replies finish, releases connections. */
  close(): Promise<void>;
}

/** Client payloads are small (a message is at most 2,000 characters); refuse anything much larger. */
const MAX_HTTP_BUFFER_BYTES = 64 * 1024;
/** Typing notices relayed per user and minute; a client emitting more (a flood) is ignored. */
const TYPING_EVENTS_PER_MINUTE = 120;
/**
 * Reconnection attempts while RabbitMQ is away, at most this far apart: a sessions.ended that waited
 * (in the web app's outbox or in the queue) must reach the sockets within seconds once it is back.
 */
const RECONNECT_DELAY_MS = { initial: 250, max: 2_000 };

/**
 * Starts one chat process: an HTTP server with `GET /healthz` and Socket.IO at `/socket.io`, the
 * Postgres adapter (so that several chat processes behave as one), and the RabbitMQ notifications
 * consumer. Sockets are admitted only from allowed origins with a valid "ems-socket" token whose session
 * version its user's sessions have not left behind (see handshake.ts, session-floors.ts), up to
 * maxSocketsPerUser per user, spend from a per-socket event budget (socket-limits.ts), and are put in
 * `user:{id}` (and `admins` for administrators) by the server; clients cannot join rooms.
 */
export async function startChatServer(config: ChatServerConfig, log: Logger = consoleLogger(config.name ?? "chat", config.logLevel)): Promise<ChatServer> {
  const names = queueNames(config.rabbitmq.queuePrefix);
  const broker = new Broker({
    url: config.rabbitmq.url,
    name: config.name ?? "chat",
    log,
    deadLetterQueue: names.deadLetter,
    reconnectDelayMs: config.rabbitmq.reconnectDelayMs ?? RECONNECT_DELAY_MS,
  });

  // Listen first: a taken port then fails start-up before any connection is opened. Socket.IO is
  // attached synchronously right after, so no request arrives in between.
  const httpServer = createServer((request, response) => serveHttp(request, response, broker));
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;

  // Survives PostgreSQL restarts: errors are logged, LISTEN comes back by itself (see AdapterDatabase).
  const adapterDatabase = new AdapterDatabase(config.adapterDatabaseUrl, log);
  const adapterWarning = throttledWarning(log);
  const io: ChatIo = new Server(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    cors: { origin: [...config.allowedOrigins] },
    allowRequest: originGate(config.allowedOrigins),
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    adapter: createAdapter(adapterDatabase.forAdapter(), {
      // A broadcast whose NOTIFY failed (database away): logged, not retried; sockets on this process still get it.
      errorHandler: (error) => adapterWarning(`socket.io adapter: ${error.message}`),
    }),
  });

  const pending = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  const context = {
    io,
    store: new ChatStore(),
    bot: new SupportBot(config.ai, log),
    sendLimiter: new SlidingWindowLimiter(config.sendRatePerMinute, 60_000),
    typingLimiter: new SlidingWindowLimiter(TYPING_EVENTS_PER_MINUTE, 60_000),
    log,
    track(work: Promise<void>) {
      pending.add(work);
      void work.finally(() => pending.delete(work));
    },
  };

  const floors = new SessionFloors();
  io.use(tokenGate(config.socketTokenPublicKey, floors, log));
  io.use(socketCap(config.maxSocketsPerUser));
  io.on("connection", (socket) => {
    const { user } = socket.data;
    // Before the handlers: every event pays from the socket's budget first (refused ones never reach them).
    socket.use(socketBudget(socket, config.socketBudget, log));
    void socket.join(userRoom(user.id));
    if (user.role === "admin") void socket.join([ADMINS_ROOM, adminRoom(user.id)]);
    registerChatHandlers(socket, context);
    log.debug(`${user.role} ${user.username} (${user.id}) connected`);
    // In its rooms now: a sessions.ended handled while this handshake was in flight is caught here.
    context.track(dropIfRevoked(socket, floors).then(() => undefined));
  });

  await broker.onConnect((channel) => declareTopology(channel, names, config.rabbitmq.partitionCount));
  await consumeNotifications(broker, io, names, config.rabbitmq.prefetch, log, floors);
  // Sockets are served while RabbitMQ is unreachable; the broker keeps retrying in the background.
  // (Closed before it ever connected: that is the stop, not an error.)
  const brokerStarted = broker.start().catch((error: unknown) => {
    if (closing === undefined) log.error(`RabbitMQ: ${String(error)}`);
  });

  log.info(`chat listening on ${config.host}:${port}${SOCKET_PATH}`);

  return {
    port,
    io,
    notificationsReady: () => broker.ready(),
    close() {
      // Stop taking sockets, then let in-flight notifications and bot replies finish before disconnecting.
      closing ??= (async () => {
        await io.close();
        await broker.close();
        await brokerStarted;
        await Promise.allSettled([...pending]);
        await Promise.all([adapterDatabase.end(), context.bot.close()]);
        log.info("chat server closed");
      })();
      return closing;
    },
  };
}

/** Everything on the HTTP server that is not Socket.IO: the gateway's health check. */
function serveHttp(request: IncomingMessage, response: ServerResponse, broker: Broker): void {
  if (request.method === "GET" && request.url === "/healthz") {
    // Sockets work without RabbitMQ (only live alerts wait), so the process is healthy either way.
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "ok", rabbitmq: broker.isConnected ? "connected" : "reconnecting" }));
    return;
  }
  response.writeHead(404, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: { code: "not_found", message: "Not found" } }));
}
