/* eslint-disable no-restricted-properties -- the one module that reads the dead-letter tool's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { withSecretFiles } from "@ems/config/secrets";
import { sharedEnvSchema } from "../shared/env.ts";

/** The dead-letter tool's settings besides its command line: where the broker is, which QUEUE_PREFIX. */
export const dlqEnv = createEnv({
  server: {
    ...sharedEnvSchema,
    // Its output is the report on stdout: only warnings and errors are logged unless asked.
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("warn"),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
