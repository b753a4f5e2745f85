/* eslint-disable no-restricted-properties -- the one module that reads the e2e harness's environment */
import { z } from "zod";

/**
 * Settings of the browser tests. E2E_SYSTEM_MODE=dev runs the web app with `next dev` instead of the
 * production build (slower pages, but no build needed while working on the UI).
 */
export const e2eEnv = z
  .object({
    E2E_SYSTEM_MODE: z.enum(["start", "dev"]).default("start"),
    RABBITMQ_URL: z.url().default("amqp://guest:guest@127.0.0.1:5672"),
  })
  .parse({ E2E_SYSTEM_MODE: process.env.E2E_SYSTEM_MODE || undefined, RABBITMQ_URL: process.env.RABBITMQ_URL || undefined });
