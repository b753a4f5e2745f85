import { hash, verify, type Algorithm } from "@node-rs/argon2";

/**
 * argon2id with OWASP's first recommended configuration (m = 19 MiB, t = 2, p = 1): the memory cost
 * is what makes GPU guessing expensive, and on this 2-core machine one hash takes well under the
 * 300 ms login budget (measured by the login benchmark).
 */
// Algorithm is an ambient const enum, which isolated modules cannot read: 2 is its Argon2id member.
export const ARGON2_PARAMS = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    // A malformed stored hash is a failed login, not a server error.
    return false;
  }
}

/**
 * A fixed hash to verify against when the username does not exist, so that unknown and known
 * usernames take the same time (no user enumeration by timing).
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword("not-a-real-password-just-for-timing");
  return dummyHash;
}
