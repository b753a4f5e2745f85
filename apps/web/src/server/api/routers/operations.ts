import { z } from "zod";
import { uuidSchema } from "~/lib/schemas.ts";
import {
  acknowledgeAnyAlert,
  alertsAcrossClients,
  dataPlane,
  dataPlaneSchema,
  deadLetterReasons,
  deadLetterReasonsSchema,
  fleetInputSchema,
  fleetOverview,
  fleetSchema,
  operationsAlertSchema,
  operationsAlertsInputSchema,
  operationsAlertsSchema,
} from "../../domain/operations.ts";
import { adminProcedure, createTRPCRouter } from "../trpc.ts";

/** The admin console's operations view (domain/operations.ts): admins only. */
export const operationsRouter = createTRPCRouter({
  /** Every device with its owner, last reading and state (reporting / silent / never reported). */
  fleet: adminProcedure.input(fleetInputSchema).output(fleetSchema).query(({ ctx, input }) => fleetOverview(ctx.viewer, input)),

  /** Alerts of both kinds of every client, newest first, by client, device, kind, state (active / cleared) and acknowledgement. */
  alerts: adminProcedure
    .input(operationsAlertsInputSchema)
    .output(operationsAlertsSchema)
    .query(({ ctx, input }) => alertsAcrossClients(ctx.viewer, input)),

  acknowledgeAlert: adminProcedure
    .input(z.object({ alertId: uuidSchema }))
    .output(operationsAlertSchema)
    .mutation(({ ctx, input }) => acknowledgeAnyAlert(ctx.viewer, input.alertId)),

  /** Partition queues, their consumers, replicas and traffic, and the dead-letter queue. */
  dataPlane: adminProcedure.output(dataPlaneSchema).query(({ ctx }) => dataPlane(ctx.viewer)),

  /** The dead letters counted by reason (the first 1,000 from the head), read at most every 30 s. */
  deadLetterReasons: adminProcedure.output(deadLetterReasonsSchema).query(({ ctx }) => deadLetterReasons(ctx.viewer)),
});
