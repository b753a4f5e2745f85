/* eslint-disable no-restricted-properties -- the one module that reads the environment of worker tests */
import { randomBytes } from "node:crypto";
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import type { Logger } from "@ems/messaging";
import { sharedEnvSchema } from "./env.ts";

/**
 * Settings for the workers' integration tests. The *_DATABASE_URL variables point at this run's
 * throw-away databases (set by test/global-setup.ts); RabbitMQ is the local broker.
 */
export const testEnv = createEnv({
  server: { ...sharedEnvSchema, MONITORING_DATABASE_URL: z.url() },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

/** A queue-name prefix no other test run shares, e.g. `t-balancer-1a2b3c4d.`. */
export function uniqueQueuePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString("hex")}.`;
}

/** Keeps tests quiet; warnings and errors still show (they usually explain a failure). */
export const testLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Polls `condition` until it holds, failing with `description` after `timeoutMs`. */
export async function eventually<T>(description: string, condition: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
