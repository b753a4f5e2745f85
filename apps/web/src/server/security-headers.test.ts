import NextAuth, { type NextAuthOptions } from "next-auth";
import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { config as proxyConfig, proxy } from "~/proxy.ts";
import { PASSWORD, createTestUser } from "../../test/fixtures.ts";
import { randomIp } from "../../test/rest.ts";
import {
  STRICT_TRANSPORT_SECURITY,
  contentSecurityPolicy,
  createNonce,
  isHttpsOrigin,
  isLoopbackOrigin,
  nextAuthCookieSettings,
  pageSecurityHeaders,
  publicOriginFrom,
  type SecurityHeaderSettings,
} from "./security-headers.ts";

/** The policy as a map: directive → its sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name = "", ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const production: SecurityHeaderSettings = { nonce: "bm9uY2Utb25l", development: false, publicOrigin: "https://ems.example.com", chatUrl: "" };

describe("ASVS 5.0 V3.4.3 — the pages' Content-Security-Policy", () => {
  it("allows scripts only by this response's nonce and what they load: no 'unsafe-inline' or 'unsafe-eval' in production", () => {
    const policy = directives(contentSecurityPolicy(production));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-bm9uY2Utb25l'", "'strict-dynamic'"]);
    for (const local of [{ publicOrigin: undefined, chatUrl: "http://localhost:4000" }, { publicOrigin: "http://localhost:3000", chatUrl: "" }]) {
      const sources = directives(contentSecurityPolicy({ ...production, ...local })).get("script-src");
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'unsafe-eval'");
    }
    // Inline styles only by nonce too; no directive of the production policy allows inline code.
    expect(policy.get("style-src")).toEqual(["'self'", "'nonce-bm9uY2Utb25l'"]);
    expect(contentSecurityPolicy(production)).not.toContain("unsafe");
  });

  it("has the fixed directives: default 'self', no plugins, no <base>, forms and framing restricted", () => {
    const policy = directives(contentSecurityPolicy(production));
    expect(policy.get("default-src")).toEqual(["'self'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("img-src")).toEqual(["'self'"]);
  });

  it("under `next dev` adds 'unsafe-eval' (React's debugging aids) and inline styles, and only there", () => {
    const policy = directives(contentSecurityPolicy({ ...production, development: true }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-bm9uY2Utb25l'", "'strict-dynamic'", "'unsafe-eval'"]);
    expect(policy.get("script-src")).not.toContain("'unsafe-inline'");
    expect(policy.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("connects to the app and to the chat server in its http and WebSocket forms", () => {
    const development = directives(contentSecurityPolicy({ ...production, publicOrigin: undefined, chatUrl: "http://localhost:4000" }));
    expect(development.get("connect-src")).toEqual(["'self'", "http://localhost:4000", "ws://localhost:4000"]);
    const elsewhere = directives(contentSecurityPolicy({ ...production, chatUrl: "https://chat.example.com/socket" }));
    expect(elsewhere.get("connect-src")).toEqual(["'self'", "wss://ems.example.com", "https://chat.example.com", "wss://chat.example.com"]);
    // Behind Traefik the chat is on the same origin ("" = /socket.io there): 'self' and its wss: form.
    expect(directives(contentSecurityPolicy(production)).get("connect-src")).toEqual(["'self'", "wss://ems.example.com"]);
  });

  it("upgrades insecure requests only on an https deployment", () => {
    expect(directives(contentSecurityPolicy(production)).has("upgrade-insecure-requests")).toBe(true);
    expect(directives(contentSecurityPolicy({ ...production, publicOrigin: "http://localhost:3000" })).has("upgrade-insecure-requests")).toBe(false);
  });

  it("nonces are 128 random bits, base64, never the same twice", () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => createNonce()));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64")).toHaveLength(16);
  });
});

describe("ASVS 5.0 V3.4.1 — HSTS only when the public origin is https", () => {
  it.each([
    ["https://ems.example.com", true],
    ["https://ems.example.com:8443/app", true],
    ["http://localhost:3000", false],
    ["http://ems.example.com", false],
    [undefined, false],
    ["not a url", false],
    // https on this machine (the stack's default https://localhost): HSTS would pin every port of it.
    ["https://localhost", false],
    ["https://ems.localhost", false],
    ["https://127.0.0.1:8443", false],
    ["https://[::1]", false],
  ])("public origin %s → HSTS %s", (publicOrigin, hsts) => {
    const headers = pageSecurityHeaders({ ...production, publicOrigin });
    expect(headers["Strict-Transport-Security"]).toBe(hsts ? STRICT_TRANSPORT_SECURITY : undefined);
    expect(headers["Content-Security-Policy"]).toContain("'nonce-bm9uY2Utb25l'");
  });

  it("tells https and this machine's origins apart", () => {
    expect([isHttpsOrigin("https://ems.example.com"), isHttpsOrigin("http://ems.example.com"), isHttpsOrigin("ftp://x")]).toEqual([true, false, false]);
    expect([isLoopbackOrigin("https://localhost"), isLoopbackOrigin("https://127.0.0.2"), isLoopbackOrigin("https://localhost.example.com")]).toEqual([true, true, false]);
  });

  it("at least a year, subdomains included", () => {
    expect(STRICT_TRANSPORT_SECURITY).toBe("max-age=63072000; includeSubDomains");
  });

  it("the public origin is NEXTAUTH_URL, else AUTH_URL", () => {
    expect(publicOriginFrom({ NEXTAUTH_URL: "https://a.example", AUTH_URL: "http://b.example" })).toBe("https://a.example");
    expect(publicOriginFrom({ AUTH_URL: "https://b.example" })).toBe("https://b.example");
    expect(publicOriginFrom({})).toBeUndefined();
  });
});

describe("src/proxy.ts", () => {
  it("gives every page response a fresh nonce, in its CSP and in the request Next.js renders", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = proxy(new NextRequest("http://127.0.0.1:3000/signin"));
      const policy = response.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1] ?? "";
      expect(nonce).not.toBe("");
      seen.add(nonce);
      // NextResponse.next({ request: { headers } }) hands the request's new headers on like this.
      expect(response.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
      expect(response.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
      expect(directives(policy).get("script-src")).not.toContain("'unsafe-inline'");
    }
    expect(seen.size).toBe(3);
  });

  it("a nonce sent by the client is replaced, never used", () => {
    const forged = "'nonce-Zm9yZ2Vk'";
    const response = proxy(new NextRequest("http://127.0.0.1:3000/", { headers: { "content-security-policy": `script-src ${forged}`, "x-nonce": "Zm9yZ2Vk" } }));
    expect(response.headers.get("x-middleware-request-content-security-policy")).not.toContain(forged);
    expect(response.headers.get("x-middleware-request-x-nonce")).not.toBe("Zm9yZ2Vk");
  });

  it.each(["/", "/signin", "/register", "/dashboard", "/admin", "/admin/users", "/admin/devices", "/admin/chat", "/no-such-page"])("runs on the page %s", (url) => {
    expect(unstable_doesMiddlewareMatch({ config: proxyConfig, url })).toBe(true);
  });

  // The API keeps streaming its request bodies to the routes' own size limits (Proxy would buffer them).
  it.each(["/api/trpc/devices.list", "/api/auth/csrf", "/api/auth/callback/credentials", "/api/health", "/_next/static/chunks/main.js", "/_next/image", "/favicon.ico"])(
    "does not run on %s (next.config.ts gives it a fixed policy)",
    (url) => {
      expect(unstable_doesMiddlewareMatch({ config: proxyConfig, url })).toBe(false);
    },
  );
});

describe("ASVS 5.0 V3.3.1/V3.3.3 — next-auth's cookies follow the configured public origin, not the request", () => {
  it("the settings: Secure and __Host-/__Secure- names for https, plain for http", () => {
    expect(nextAuthCookieSettings("http://localhost:3000")).toEqual({ useSecureCookies: false });
    expect(nextAuthCookieSettings(undefined)).toEqual({ useSecureCookies: false });
    // Secure cookies work on https://localhost too (unlike HSTS, they pin nothing).
    expect(nextAuthCookieSettings("https://localhost").useSecureCookies).toBe(true);
    const secure = nextAuthCookieSettings("https://ems.example.com");
    expect(secure.useSecureCookies).toBe(true);
    expect(secure.cookies?.sessionToken).toEqual({ name: "__Host-next-auth.session-token", options: { httpOnly: true, sameSite: "lax", path: "/", secure: true } });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** src/server/auth.ts's options as the server builds them from this environment. */
  async function authOptionsWith(variables: Partial<Record<"NEXTAUTH_URL" | "AUTH_URL", string>>): Promise<NextAuthOptions> {
    for (const name of ["NEXTAUTH_URL", "AUTH_URL"] as const) vi.stubEnv(name, variables[name]);
    vi.resetModules();
    return (await import("~/server/auth.ts")).authOptions;
  }

  interface Answer {
    status: number;
    body: unknown;
    setCookies: string[];
  }

  /** next-auth's own request handling (its Pages-router entry: no Next.js request scope needed). */
  async function nextAuth(options: NextAuthOptions, request: { action: string[]; method: "GET" | "POST"; headers: Record<string, string>; cookies?: Record<string, string>; body?: Record<string, string> }): Promise<Answer> {
    const answer: Answer = { status: 200, body: undefined, setCookies: [] };
    const headers = new Map<string, string | string[]>();
    const res = {
      status(code: number) {
        answer.status = code;
        return res;
      },
      getHeader: (name: string) => headers.get(name.toLowerCase()),
      setHeader(name: string, value: string | string[]) {
        headers.set(name.toLowerCase(), value);
        return res;
      },
      json(body: unknown) {
        answer.body = body;
      },
      send(body: unknown) {
        answer.body = body;
      },
      end() {},
    };
    const req = { query: { nextauth: request.action }, method: request.method, headers: request.headers, cookies: request.cookies ?? {}, body: request.body };
    const handler = NextAuth as unknown as (req: unknown, res: unknown, options: NextAuthOptions) => Promise<void>;
    await handler(req, res, options);
    const cookies = headers.get("set-cookie") ?? [];
    answer.setCookies = Array.isArray(cookies) ? cookies : [cookies];
    return answer;
  }

  const cookieNamed = (setCookies: string[], name: string) => setCookies.find((cookie) => cookie.startsWith(`${name}=`));
  const attributes = (setCookie: string | undefined) => (setCookie ?? "").split(";").slice(1).map((part) => part.trim().toLowerCase());

  // What the app sees behind Traefik: plain http on the internal address, whatever the browser used.
  const behindTraefik = { host: "web:3000", "x-forwarded-proto": "http", "x-real-ip": "" };

  it("https public origin: a real sign-in sets only Secure, __Host- prefixed cookies though the request came over http", async () => {
    const options = await authOptionsWith({ NEXTAUTH_URL: "https://ems.example.com" });
    const user = await createTestUser("client", "cookie");
    const headers = { ...behindTraefik, "x-real-ip": randomIp() };

    const csrf = await nextAuth(options, { action: ["csrf"], method: "GET", headers });
    const csrfCookie = cookieNamed(csrf.setCookies, "__Host-next-auth.csrf-token");
    expect(attributes(csrfCookie)).toEqual(expect.arrayContaining(["path=/", "httponly", "secure", "samesite=lax"]));
    const csrfToken = (csrf.body as { csrfToken: string }).csrfToken;

    const signIn = await nextAuth(options, {
      action: ["callback", "credentials"],
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
      cookies: { "__Host-next-auth.csrf-token": decodeURIComponent((csrfCookie ?? "").split(";")[0]?.split("=")[1] ?? "") },
      body: { csrfToken, username: user.username, password: PASSWORD, json: "true" },
    });
    expect(signIn.status).toBe(200);
    const session = cookieNamed(signIn.setCookies, "__Host-next-auth.session-token");
    expect(session, signIn.setCookies.join("\n")).toBeDefined();
    expect(attributes(session)).toEqual(expect.arrayContaining(["path=/", "httponly", "secure", "samesite=lax"]));
    expect(attributes(session).some((attribute) => attribute.startsWith("domain="))).toBe(false);
    // Every cookie next-auth set is Secure and carries a prefix the browser enforces.
    for (const cookie of [...csrf.setCookies, ...signIn.setCookies]) {
      expect(cookie).toMatch(/^__(Host|Secure)-/);
      expect(attributes(cookie)).toContain("secure");
    }
  });

  it("the stack's AUTH_URL alone is enough", async () => {
    const options = await authOptionsWith({ AUTH_URL: "https://ems.example.com" });
    const csrf = await nextAuth(options, { action: ["csrf"], method: "GET", headers: behindTraefik });
    expect(attributes(cookieNamed(csrf.setCookies, "__Host-next-auth.csrf-token"))).toContain("secure");
  });

  it("http public origin: plain cookies, even when the request claims https (X-Forwarded-Proto)", async () => {
    const options = await authOptionsWith({ NEXTAUTH_URL: "http://localhost:3000" });
    const csrf = await nextAuth(options, { action: ["csrf"], method: "GET", headers: { host: "localhost:3000", "x-forwarded-proto": "https" } });
    const csrfCookie = cookieNamed(csrf.setCookies, "next-auth.csrf-token");
    expect(csrfCookie).toBeDefined();
    expect(attributes(csrfCookie)).not.toContain("secure");
    for (const cookie of csrf.setCookies) expect(cookie).not.toMatch(/^__(Host|Secure)-/);
  });
});
