import { z } from "zod";
import { createUserInputSchema, roleSchema, updateUserInputSchema, uuidSchema } from "~/lib/schemas.ts";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../domain/users.ts";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc.ts";

/** User administration (admins), plus reading one's own profile. */
export const usersRouter = createTRPCRouter({
  list: adminProcedure
    .input(z.object({ role: roleSchema.optional() }).default({}))
    .query(({ ctx, input }) => listUsers(ctx.viewer, input)),

  /** The user themself or an admin. */
  byId: protectedProcedure.input(z.object({ id: uuidSchema })).query(({ ctx, input }) => getUser(ctx.viewer, input.id)),

  create: adminProcedure.input(createUserInputSchema).mutation(({ ctx, input }) => createUser(ctx.viewer, input)),

  update: adminProcedure.input(updateUserInputSchema).mutation(({ ctx, input }) => updateUser(ctx.viewer, input)),

  /** Removes credentials and profile and unassigns the user's devices (each with its sync event). */
  delete: adminProcedure.input(z.object({ id: uuidSchema })).mutation(({ ctx, input }) => deleteUser(ctx.viewer, input.id)),
});
