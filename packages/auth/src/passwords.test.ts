import { describe, expect, it } from "vitest";
import { ARGON2_PARAMS, dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.ts";

describe("passwords", () => {
  it("hashes with argon2id and OWASP's parameters, salted", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}\\$`));
    expect(await hashPassword("correct horse battery staple")).not.toBe(hash);
  });

  it("verifies the right password only", async () => {
    const hash = await hashPassword("correct horse battery staple");
    await expect(verifyPassword(hash, "correct horse battery staple")).resolves.toBe(true);
    await expect(verifyPassword(hash, "Correct horse battery staple")).resolves.toBe(false);
  });

  it("treats a malformed stored hash as a failed login, not an error", async () => {
    await expect(verifyPassword("not-a-hash", "anything")).resolves.toBe(false);
  });

  it("offers a dummy hash no password matches but the fixed one", async () => {
    await expect(verifyPassword(await dummyPasswordHash(), "guess")).resolves.toBe(false);
  });
});
