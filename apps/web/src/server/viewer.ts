import type { Role } from "@ems/auth/tokens";
import { forbidden } from "./errors.ts";

/** Who is asking: the signed-in user of a session, a Bearer token or a socket token. */
export interface Viewer {
  id: string;
  username: string;
  role: Role;
  /**
   * The session version the request was authenticated with (session cookie or Bearer token), already
   * checked against the auth database; tokens issued to this viewer are bound to it. Absent for
   * in-process callers (tests, start-up code).
   */
  sessionVersion?: number;
}

export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === "admin";
}

export function assertAdmin(viewer: Viewer): void {
  if (!isAdmin(viewer)) throw forbidden("Only an administrator may do this");
}

/** The user themself or an admin. */
export function assertSelfOrAdmin(viewer: Viewer, userId: string): void {
  if (viewer.id !== userId && !isAdmin(viewer)) throw forbidden("You may only see your own data");
}
