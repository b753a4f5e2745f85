import { z } from "zod";
import { devicePeriodInputSchema, periodConsumptionSchema, userPeriodInputSchema } from "~/lib/consumption-periods.ts";
import { consumptionInputSchema, listAlertsInputSchema, uuidSchema } from "~/lib/schemas.ts";
import {
  acknowledgeAlert,
  alertPageSchema,
  alertSchema,
  consumptionForDay,
  deviceConsumptionOverPeriod,
  listAlerts,
  userConsumptionOverPeriod,
} from "../../domain/monitoring.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";

export const monitoringRouter = createTRPCRouter({
  /** Hourly kWh of one device for a calendar day in `tz` (default UTC): the owner or an admin. */
  consumption: protectedProcedure.input(consumptionInputSchema).query(({ ctx, input }) => consumptionForDay(ctx.viewer, input)),

  /** One device per hour/day/month of [from, to) in `tz`, with the period before: the owner or an admin. */
  deviceConsumption: protectedProcedure
    .input(devicePeriodInputSchema)
    .output(periodConsumptionSchema)
    .query(({ ctx, input }) => deviceConsumptionOverPeriod(ctx.viewer, input)),

  /** All of a client's devices together, likewise: a client their own; an admin any client's (`userId`). */
  userConsumption: protectedProcedure
    .input(userPeriodInputSchema)
    .output(periodConsumptionSchema)
    .query(({ ctx, input }) => userConsumptionOverPeriod(ctx.viewer, input)),

  /** Alert history of both kinds (over consumption, device silent), newest first: a client's own, or all for an admin. */
  alerts: protectedProcedure
    .input(listAlertsInputSchema)
    .output(alertPageSchema)
    .query(({ ctx, input }) => listAlerts(ctx.viewer, input)),

  /** Either kind, active or cleared: acknowledging does not clear it. */
  acknowledgeAlert: protectedProcedure
    .input(z.object({ alertId: uuidSchema }))
    .output(alertSchema)
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.viewer, input.alertId)),
});
