import { z } from "zod";
import { consumptionInputSchema, listAlertsInputSchema, uuidSchema } from "~/lib/schemas.ts";
import { acknowledgeAlert, consumptionForDay, listAlerts } from "../../domain/monitoring.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";

export const monitoringRouter = createTRPCRouter({
  /** Hourly kWh of one device for a calendar day in `tz` (default UTC): the owner or an admin. */
  consumption: protectedProcedure.input(consumptionInputSchema).query(({ ctx, input }) => consumptionForDay(ctx.viewer, input)),

  /** Alert history, newest first: a client's own, or all for an admin. */
  alerts: protectedProcedure.input(listAlertsInputSchema).query(({ ctx, input }) => listAlerts(ctx.viewer, input)),

  acknowledgeAlert: protectedProcedure
    .input(z.object({ alertId: uuidSchema }))
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.viewer, input.alertId)),
});
