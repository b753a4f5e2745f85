import { readFileSync } from "node:fs";

/**
 * Docker secrets support: for each of `names`, when `NAME_FILE` is set and `NAME` is not, `NAME`
 * takes the content of that file (trailing newline removed). Pass the result as an env module's
 * `runtimeEnv`, so `AUTH_SECRET_FILE=/run/secrets/auth_secret` works wherever `AUTH_SECRET` does.
 * Only the listed names are read: other `*_FILE` variables belong to other programs.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = { ...env };
  for (const name of names) {
    const key = `${name}_FILE`;
    const path = env[key];
    if (!path || resolved[name]) continue;
    try {
      resolved[name] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new Error(`${key} points to ${path}, which cannot be read: ${(error as Error).message}`, { cause: error });
    }
  }
  return resolved;
}
