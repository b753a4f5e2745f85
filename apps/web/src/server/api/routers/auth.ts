import { z } from "zod";
import { changePasswordInputSchema, registerInputSchema } from "~/lib/schemas.ts";
import { changeOwnPassword, register } from "../../domain/auth.ts";
import { reserveRegistration } from "../../domain/login-throttle.ts";
import { getUser } from "../../domain/users.ts";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "../trpc.ts";

/**
 * Sign-in itself is next-auth's (POST /api/auth/callback/credentials via `signIn("credentials")`)
 * or REST's (POST /api/auth/login); this router holds what surrounds it.
 */
export const authRouter = createTRPCRouter({
  /**
   * Self-registration: creates a client; sign in afterwards with the same credentials. Each call costs
   * an argon2 hash, so it is throttled per client network (5 per 10 min, TOO_MANY_REQUESTS beyond),
   * counted before the hash whatever the outcome; a batch still carries at most 50 calls.
   */
  register: publicProcedure.input(registerInputSchema).mutation(async ({ ctx, input }) => {
    await reserveRegistration(ctx.clientIp);
    return register(input);
  }),

  /** The signed-in user (from the session) or null; never throws for anonymous callers. */
  me: publicProcedure.input(z.void()).query(({ ctx }) => ctx.viewer),

  /** The signed-in user's profile. */
  profile: protectedProcedure.input(z.void()).query(({ ctx }) => getUser(ctx.viewer, ctx.viewer.id)),

  /** Changes the signed-in user's password and ends all their sessions (this one too: sign in again). */
  changePassword: protectedProcedure
    .input(changePasswordInputSchema)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.viewer, input, ctx.clientIp)),
});
