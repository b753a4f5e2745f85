import { describe, expect, it } from "vitest";
import { DEVELOPMENT_AUTH_SECRET, allowsDevelopmentAuthSecret, authSecretSchema } from "./tokens.ts";

const REAL_SECRET = "0123456789abcdef0123456789abcdef-real";

// ASVS 5.0 V13.3.1: "… Secrets must not be included in application source code or included in build
// artifacts." DEVELOPMENT_AUTH_SECRET is in the source, so only an explicit development or test process
// may fall back to it; every other process must be given its own AUTH_SECRET.
describe("AUTH_SECRET: the development secret only by explicit opt-in (ASVS 5.0 V13.3.1)", () => {
  it.each([undefined, "", "staging", "production", "prod", "Development", "TEST", "dev"])("refuses a missing secret when NODE_ENV is %j", (nodeEnv) => {
    expect(allowsDevelopmentAuthSecret(nodeEnv)).toBe(false);
    const result = authSecretSchema(nodeEnv).safeParse(undefined);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^AUTH_SECRET \(or AUTH_SECRET_FILE\) is required/);
    expect(result.error?.issues[0]?.message).toContain('NODE_ENV is "development" or "test"');
  });

  it.each(["development", "test"])("uses the development secret when NODE_ENV is %j and none is given", (nodeEnv) => {
    expect(allowsDevelopmentAuthSecret(nodeEnv)).toBe(true);
    expect(authSecretSchema(nodeEnv).parse(undefined)).toBe(DEVELOPMENT_AUTH_SECRET);
  });

  it.each([undefined, "staging", "production", "development", "test"])("takes a given secret of 32+ characters as it is (NODE_ENV %j)", (nodeEnv) => {
    expect(authSecretSchema(nodeEnv).parse(REAL_SECRET)).toBe(REAL_SECRET);
  });

  it.each([undefined, "staging", "production", "development", "test"])("refuses a secret shorter than 32 characters or empty (NODE_ENV %j)", (nodeEnv) => {
    for (const value of ["", "short", "x".repeat(31)]) {
      expect(authSecretSchema(nodeEnv).safeParse(value).error?.issues[0]?.message).toBe("AUTH_SECRET must be at least 32 characters");
    }
  });

  it("names an unset NODE_ENV and the given one in the start-up error", () => {
    expect(authSecretSchema(undefined).safeParse(undefined).error?.issues[0]?.message).toContain("(here NODE_ENV is unset)");
    expect(authSecretSchema("staging").safeParse(undefined).error?.issues[0]?.message).toContain('(here NODE_ENV is "staging")');
  });
});
