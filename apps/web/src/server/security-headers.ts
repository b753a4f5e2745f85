/**
 * The browser-facing security policy of the web app (ASVS 5.0 V3.4 headers, V3.3 cookies), as pure
 * functions of the settings: src/proxy.ts applies them to every page response, src/server/auth.ts
 * takes the cookie settings, and security-headers.test.ts checks them.
 *
 * The public origin is the URL users open (NEXTAUTH_URL, else AUTH_URL). TLS ends at Traefik, so the
 * app itself only ever sees http: whether the deployment is https is a setting, never read from the
 * request (nor from X-Forwarded-Proto, which a client can send too).
 */

/** What the policy depends on. */
export interface SecurityHeaderSettings {
  /** This response's script nonce (createNonce()). */
  nonce: string;
  /** `next dev`: React needs eval for its debugging aids and Next injects styles without nonces. */
  development: boolean;
  /** NEXTAUTH_URL (or AUTH_URL); undefined when not configured (plain local runs). */
  publicOrigin: string | undefined;
  /** NEXT_PUBLIC_CHAT_URL: where the browser opens the Socket.IO connection; "" = same origin. */
  chatUrl: string;
}

/** HSTS for two years, subdomains included (ASVS 5.0 V3.4.1: at least one year, subdomains at L2). */
export const STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";

/**
 * Headers of responses that are not pages (REST, tRPC, next-auth, static files; see next.config.ts).
 * Nothing there is meant to run or load anything in a browser.
 */
export const NON_PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The URL users open: NEXTAUTH_URL (what next-auth v4 reads), else AUTH_URL; undefined when neither is set. */
export function publicOriginFrom(settings: { NEXTAUTH_URL?: string | undefined; AUTH_URL?: string | undefined }): string | undefined {
  return settings.NEXTAUTH_URL || settings.AUTH_URL || undefined;
}

/** True when the configured public origin is https (an invalid or missing one counts as not). */
export function isHttpsOrigin(publicOrigin: string | undefined): boolean {
  if (!publicOrigin) return false;
  try {
    return new URL(publicOrigin).protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * True for a public origin on this machine (localhost, *.localhost, 127.0.0.0/8, [::1]): the stack's
 * default is https://localhost, and HSTS is per host name, not per port.
 */
export function isLoopbackOrigin(publicOrigin: string | undefined): boolean {
  if (!publicOrigin) return false;
  try {
    const { hostname } = new URL(publicOrigin);
    return hostname === "localhost" || hostname.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === "[::1]";
  } catch {
    return false;
  }
}

/** 128 random bits, base64: unguessable and new for every response. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Buffer.from(bytes).toString("base64");
}

/** An http(s) origin and its WebSocket form (ws: / wss:), which a CSP http(s) source does not cover. */
function withWebSocketForm(url: string): string[] {
  try {
    const { origin, protocol, host } = new URL(url);
    if (protocol !== "http:" && protocol !== "https:") return [];
    return [origin, `${protocol === "https:" ? "wss" : "ws"}://${host}`];
  } catch {
    return [];
  }
}

/**
 * The Content-Security-Policy of a page (ASVS 5.0 V3.4.3, V3.4.6), one line.
 *
 * - script-src: only scripts carrying this response's nonce, and what they load ('strict-dynamic').
 *   Next.js reads the nonce from the request's copy of this header and puts it on its own scripts.
 *   'self' is only a fallback for browsers without 'strict-dynamic' (CSP 2), which the others ignore.
 *   No 'unsafe-inline' ever; 'unsafe-eval' only under `next dev`. ('strict-dynamic' also trusts what
 *   the nonced scripts insert with createElement: DOM sinks must still be kept clean.)
 * - style-src: the build's stylesheets ('self', Tailwind compiles to one file) and inline styles only
 *   with the nonce. The UI's style props (the chart, its legend) are rendered in the browser, where
 *   React sets them through the CSSOM, which CSP does not restrict. `next dev` injects its styles
 *   without nonces: 'unsafe-inline' there only (a nonce in the list would disable it).
 * - img-src 'self': no remote or data: images (icons are inline SVG).
 * - connect-src: the app itself (tRPC, next-auth), and the chat server when it is elsewhere, in both
 *   its http(s) (Socket.IO polling) and ws(s) (WebSocket) forms; the public origin's ws(s) form for
 *   browsers whose 'self' does not cover WebSockets.
 * - object-src 'none', base-uri 'none' (the ASVS minimum), form-action 'self', frame-ancestors 'none'.
 * - upgrade-insecure-requests only when the public origin is https (on plain http it would break the
 *   development chat server's http URL).
 */
export function contentSecurityPolicy(settings: SecurityHeaderSettings): string {
  const { nonce, development, publicOrigin, chatUrl } = settings;
  const https = isHttpsOrigin(publicOrigin);
  const connect = new Set(["'self'"]);
  for (const source of [...(publicOrigin ? withWebSocketForm(publicOrigin).slice(1) : []), ...(chatUrl ? withWebSocketForm(chatUrl) : [])]) {
    connect.add(source);
  }
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(development ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", ...(development ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    ["img-src", "'self'"],
    ["connect-src", ...connect],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
    ...(https ? [["upgrade-insecure-requests"] as [string]] : []),
  ];
  return directives.map((directive) => directive.join(" ")).join("; ");
}

/**
 * The per-response headers of a page: its CSP, and HSTS when the public origin is https. Never for an
 * http origin (browsers ignore it over http anyway), nor for an https one on localhost (the stack run
 * locally): HSTS is per host name, so it would pin http://localhost:3000 of `npm run dev`, and every
 * other port there, to https in that browser for two years.
 */
export function pageSecurityHeaders(settings: SecurityHeaderSettings): Record<string, string> {
  const hsts = isHttpsOrigin(settings.publicOrigin) && !isLoopbackOrigin(settings.publicOrigin);
  return {
    "Content-Security-Policy": contentSecurityPolicy(settings),
    ...(hsts && { "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY }),
  };
}

/**
 * next-auth's cookie settings for a public origin (ASVS 5.0 V3.3.1, V3.3.3). With an https origin every
 * cookie is Secure and prefixed: next-auth's own names (`__Secure-…`, the CSRF cookie `__Host-…`), and
 * the session and callback-URL cookies moved to `__Host-` (host-only, Path=/, no Domain: never shared
 * with another host). With an http origin (local development) none is Secure, as the browser would
 * refuse them. next-auth would otherwise decide per request from the origin it detects, which behind
 * Traefik is http or a forwarded header.
 */
export function nextAuthCookieSettings(publicOrigin: string | undefined) {
  const secure = isHttpsOrigin(publicOrigin);
  if (!secure) return { useSecureCookies: false } as const;
  const options = { httpOnly: true, sameSite: "lax", path: "/", secure: true } as const;
  return {
    useSecureCookies: true,
    cookies: {
      sessionToken: { name: "__Host-next-auth.session-token", options },
      callbackUrl: { name: "__Host-next-auth.callback-url", options },
    },
  } as const;
}
