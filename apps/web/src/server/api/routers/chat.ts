import { z } from "zod";
import { env } from "~/env.ts";
import { issueToken } from "../../domain/auth.ts";
import { createTRPCRouter, protectedProcedure } from "../trpc.ts";

/**
 * Chat messages travel over Socket.IO to the chat process (apps/workers), not through tRPC. The web
 * app's part is the handshake: a short-lived token (audience "ems-socket", ~2 minutes) that the
 * browser passes as `auth: { token }` when it connects. It is signed with the web app's Ed25519 key
 * and bound to the session's version; the chat process verifies it with the public key alone and joins
 * the socket to `user:{id}` (and `admins` for an admin). A session that has ended gets 401.
 */
export const chatRouter = createTRPCRouter({
  socketToken: protectedProcedure.input(z.void()).mutation(async ({ ctx }) => {
    const { token, expiresAt } = await issueToken(ctx.viewer, "ems-socket");
    // url "" means the page's own origin (production, behind Traefik).
    return { token, expiresAt, url: env.NEXT_PUBLIC_CHAT_URL, path: "/socket.io" };
  }),
});
