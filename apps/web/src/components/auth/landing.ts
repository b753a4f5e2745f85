/** Where each role starts: clients on their dashboard, administrators in the console. */
export function landingPathFor(role: "admin" | "client" | undefined): string {
  return role === "admin" ? "/admin" : "/dashboard";
}

/** Only same-site paths, so a crafted link cannot send the user elsewhere after signing in. */
export function safeCallbackUrl(value: string | null): string | null {
  return value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : null;
}
