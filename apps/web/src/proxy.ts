import { NextResponse, type NextRequest } from "next/server";
import { env } from "~/env.ts";
import { createNonce, pageSecurityHeaders, publicOriginFrom } from "~/server/security-headers.ts";

// eslint-disable-next-line no-restricted-properties -- inlined by Next at build time: `next dev` or a build
const development = process.env.NODE_ENV === "development";

/**
 * Next.js 16 Proxy (formerly Middleware; Node.js runtime): every page request gets a fresh script
 * nonce and its Content-Security-Policy (plus HSTS on an https deployment). The policy goes on the
 * response and on the request: Next.js reads the nonce from the request's copy while rendering and
 * puts it on its own scripts; `x-nonce` hands it to server components (see app/layout.tsx).
 * A nonce needs a per-request render, so every page is rendered dynamically (the root layout reads
 * the request headers).
 */
export function proxy(request: NextRequest): NextResponse {
  const nonce = createNonce();
  const headers = pageSecurityHeaders({ nonce, development, publicOrigin: publicOriginFrom(env), chatUrl: env.NEXT_PUBLIC_CHAT_URL });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"] ?? "");
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [
    // Pages only. Not the API (REST, tRPC, next-auth): Proxy would buffer every request body in memory
    // before the route's own size limits (ASVS V15.2.2) see it; nor the build's static files. Those get
    // the fixed headers of next.config.ts.
    "/((?!api/|api$|_next/static/|_next/image|favicon\\.ico).*)",
  ],
};
