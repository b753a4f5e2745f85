/* eslint-disable no-restricted-properties -- the one module that reads the simulator's environment */
import { createEnv } from "@t3-oss/env-core";
import { withSecretFiles } from "@ems/config/secrets";
import { sharedEnvSchema } from "../shared/env.ts";

/** The simulator's settings besides its command line: where the broker is. */
export const simulatorEnv = createEnv({
  server: sharedEnvSchema,
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
