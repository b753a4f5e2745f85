import { z } from "zod";

/**
 * The fleet's silence rule, shared by the web's operations console (a device's state: reporting or
 * silent) and monitoring (the "device silent" alarm), so both call the same device silent. Each process's
 * env spreads it into its own schema.
 */
export const fleetEnvSchema = {
  /** A device that had reported is silent once monitoring counted nothing of it for longer than this (1–10080). */
  FLEET_SILENT_AFTER_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(30),
};
