import type { KeyObject } from "node:crypto";
import type { LogLevel } from "@ems/messaging";
import type { UserDataUrls } from "./bot/user-data.ts";
import type { SocketBudgetConfig } from "./socket-limits.ts";

/** Everything a chat server needs, independent of where it came from (env in production, tests build it). */
export interface ChatServerConfig {
  /** 0 picks a free port (tests). */
  port: number;
  host: string;
  /**
   * Verifies the "ems-socket" handshake tokens: the Ed25519 public key of the web app's signing key
   * (SOCKET_TOKEN_PUBLIC_KEY). Chat holds no secret that signs anything.
   */
  socketTokenPublicKey: KeyObject;
  /** Exact origins (scheme://host[:port]) allowed to open a socket. */
  allowedOrigins: readonly string[];
  /** Database the Socket.IO Postgres adapter uses for LISTEN/NOTIFY between chat processes. */
  adapterDatabaseUrl: string;
  ai: AiConfig;
  /** Messages a client may send per minute (per process); more are refused with "rate_limited". */
  sendRatePerMinute: number;
  /**
   * Every client → server event of a socket takes its cost (socket-limits.ts EVENT_COSTS) from this
   * budget; over it the event is refused with "rate_limited" before any handler or database work.
   */
  socketBudget: SocketBudgetConfig;
  /** Concurrent sockets per user on this process; the next handshake is refused with "too_many_sockets". */
  maxSocketsPerUser: number;
  rabbitmq: {
    url: string;
    queuePrefix: string;
    partitionCount: number;
    prefetch: number;
    /** Reconnection backoff while RabbitMQ is away (default 250 ms doubling to 2 s). */
    reconnectDelayMs?: { initial: number; max: number };
  };
  logLevel: LogLevel;
  /** Shown in logs and as the RabbitMQ connection name (tests run several servers in one process). */
  name?: string;
}

export interface AiConfig {
  /** Absent: the AI is not asked, unmatched questions get the fallback reply. */
  apiKey: string | undefined;
  baseUrl: string;
  model: string;
  timeoutMs: number;
  ratePerMinute: number;
  /**
   * Read-only connections for the AI's tools on the asking user's own devices, consumption and alerts
   * (bot/user-data.ts); absent: the AI has no such tools.
   */
  userData?: UserDataUrls | undefined;
}
