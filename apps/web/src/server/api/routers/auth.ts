import { z } from "zod";
import { changePasswordInputSchema, registerInputSchema } from "~/lib/schemas.ts";
import { changeOwnPassword, register } from "../../domain/auth.ts";
import { getUser } from "../../domain/users.ts";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "../trpc.ts";

/**
 * Sign-in itself is next-auth's (POST /api/auth/callback/credentials via `signIn("credentials")`)
 * or REST's (POST /api/auth/login); this router holds what surrounds it.
 */
export const authRouter = createTRPCRouter({
  /** Self-registration: creates a client; sign in afterwards with the same credentials. */
  register: publicProcedure.input(registerInputSchema).mutation(({ input }) => register(input)),

  /** The signed-in user (from the session) or null; never throws for anonymous callers. */
  me: publicProcedure.input(z.void()).query(({ ctx }) => ctx.viewer),

  /** The signed-in user's profile. */
  profile: protectedProcedure.input(z.void()).query(({ ctx }) => getUser(ctx.viewer, ctx.viewer.id)),

  /** Changes the signed-in user's password and ends all their sessions (this one too: sign in again). */
  changePassword: protectedProcedure
    .input(changePasswordInputSchema)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.viewer, input, ctx.clientIp)),
});
