import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withSecretFiles } from "./secrets.ts";

describe("withSecretFiles", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ems-secrets-"));
  const secretFile = path.join(dir, "auth_secret");
  writeFileSync(secretFile, "s3cret-from-file\n");

  it("reads NAME from NAME_FILE, without the trailing newline", () => {
    expect(withSecretFiles({ AUTH_SECRET_FILE: secretFile }, ["AUTH_SECRET"]).AUTH_SECRET).toBe("s3cret-from-file");
  });

  it("lets an explicitly set NAME win over NAME_FILE", () => {
    expect(withSecretFiles({ AUTH_SECRET: "direct", AUTH_SECRET_FILE: secretFile }, ["AUTH_SECRET"]).AUTH_SECRET).toBe("direct");
  });

  it("ignores *_FILE variables it was not asked about", () => {
    expect(withSecretFiles({ TF_CLI_CONFIG_FILE: path.join(dir, "missing") }, ["AUTH_SECRET"]).TF_CLI_CONFIG).toBeUndefined();
  });

  it("fails clearly when the file cannot be read", () => {
    expect(() => withSecretFiles({ XAI_API_KEY_FILE: path.join(dir, "missing") }, ["XAI_API_KEY"])).toThrow(/XAI_API_KEY_FILE points to/);
  });
});
