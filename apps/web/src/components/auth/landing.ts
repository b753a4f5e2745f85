/** Where each role starts: clients on their dashboard, administrators in the console. */
export function landingPathFor(role: "admin" | "client" | undefined): string {
  return role === "admin" ? "/admin" : "/dashboard";
}

/**
 * C0 and C1 control characters (tab, newline, carriage return, NUL, DEL, …) and the backslash. Browsers
 * remove tab and newlines from a URL and read "\" as "/", so "/\t/evil.example" or "/\evil.example" would
 * otherwise pass a prefix check as a path and then be followed as "//evil.example", another site.
 */
function hasUnsafeCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x5c) return true;
  }
  return false;
}

/** A single "/" that starts a path: not "//" (another host), not "/\" (the same, to a browser). */
function isPlainPath(value: string): boolean {
  return value.startsWith("/") && !value.startsWith("//") && !hasUnsafeCharacter(value);
}

/**
 * The ?callbackUrl to follow after signing in, or null: only a path of this app, so a crafted link can
 * never send the user to another site (ASVS 5.0 V3.7.2, open redirect). Nothing is stripped or repaired;
 * a value is refused unless
 *  - it is a plain path (one leading "/", no control character, no backslash), also once percent-decoded
 *    (so that a second decoding somewhere on the way cannot turn "/%09/x" or "/%2F/x" into "//x"), and
 *  - resolved against the app's origin as a browser would (`new URL`), it is still on that origin.
 * The answer is the resolved path, query and fragment: what the browser will actually open.
 */
export function safeCallbackUrl(value: string | null | undefined, origin: string): string | null {
  if (!value || !isPlainPath(value)) return null;
  try {
    if (!isPlainPath(decodeURIComponent(value))) return null;
    const base = new URL(origin);
    const resolved = new URL(value, base);
    if (resolved.origin !== base.origin) return null;
    return `${resolved.pathname}${resolved.search}${resolved.hash}`;
  } catch {
    // A malformed escape (decodeURIComponent) or origin (new URL): nothing to trust.
    return null;
  }
}
