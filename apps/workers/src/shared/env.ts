import { z } from "zod";
import { DEFAULT_STALL_TIMEOUT_MS } from "./progress.ts";

/**
 * Settings every worker process shares. Each process's entry composes these with its own into one
 * `createEnv` call (see e.g. src/balancer/env.ts), so the environment is parsed once per process.
 */
export const sharedEnvSchema = {
  RABBITMQ_URL: z.url().default("amqp://guest:guest@127.0.0.1:5672"),
  /**
   * Expected number of monitoring partitions (sensor.queue.0 .. N-1), i.e. of replicas: the count the
   * balancer starts with until it sees the live replicas (then it follows them), the partition queues
   * monitoring always checks for leftovers, and the replicas the local runner and the Swarm stack start.
   * With a pinned balancer (BALANCER_PARTITION_POLL_MS=0) or pinned replicas (--partition), the fixed N.
   */
  PARTITION_COUNT: z.coerce.number().int().min(1).max(64).default(2),
  /** Prefix for every queue and exchange name. Empty in production; tests set one per run. */
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(""),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /**
   * Liveness: a balancer or monitoring replica that holds messages and settles none of them for this
   * long reports unhealthy (its heartbeat stops), so Swarm replaces it (src/shared/progress.ts).
   */
  WORKER_STALL_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(DEFAULT_STALL_TIMEOUT_MS),
};
