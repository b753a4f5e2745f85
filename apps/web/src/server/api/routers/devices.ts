import { z } from "zod";
import { assignDeviceInputSchema, createDeviceInputSchema, updateDeviceInputSchema, uuidSchema } from "~/lib/schemas.ts";
import {
  assignDevice,
  createDevice,
  deleteDevice,
  getDevice,
  listDevices,
  unassignDevice,
  updateDevice,
} from "../../domain/devices.ts";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc.ts";

export const devicesRouter = createTRPCRouter({
  /** A client: their own devices. An admin: all devices, or one owner's. */
  list: protectedProcedure
    .input(z.object({ ownerId: uuidSchema.optional() }).default({}))
    .query(({ ctx, input }) => listDevices(ctx.viewer, input)),

  /** The device's owner or an admin. */
  byId: protectedProcedure.input(z.object({ id: uuidSchema })).query(({ ctx, input }) => getDevice(ctx.viewer, input.id)),

  create: adminProcedure.input(createDeviceInputSchema).mutation(({ ctx, input }) => createDevice(ctx.viewer, input)),

  /** Name, description, address and/or max hourly consumption. */
  update: adminProcedure.input(updateDeviceInputSchema).mutation(({ ctx, input }) => updateDevice(ctx.viewer, input)),

  assign: adminProcedure.input(assignDeviceInputSchema).mutation(({ ctx, input }) => assignDevice(ctx.viewer, input)),

  unassign: adminProcedure.input(z.object({ deviceId: uuidSchema })).mutation(({ ctx, input }) => unassignDevice(ctx.viewer, input.deviceId)),

  delete: adminProcedure.input(z.object({ id: uuidSchema })).mutation(({ ctx, input }) => deleteDevice(ctx.viewer, input.id)),
});
