import { describe, expect, it } from "vitest";
import { landingPathFor, safeCallbackUrl } from "./landing.ts";

const ORIGIN = "http://localhost:3000";

/** What the sign-in form gets from `useSearchParams().get("callbackUrl")` for /signin?callbackUrl=<raw>. */
const fromQuery = (raw: string) => new URLSearchParams(`callbackUrl=${raw}`).get("callbackUrl");

describe("landing after sign-in", () => {
  it("sends each role to its own start page", () => {
    expect(landingPathFor("admin")).toBe("/admin");
    expect(landingPathFor("client")).toBe("/dashboard");
  });
});

// ASVS 5.0 V3.7.2: "Verify that the application will only automatically redirect the user to a different
// hostname or domain (which is not controlled by the application) where the destination appears on an
// allowlist." The sign-in page's only allowed destinations are paths of this app.
describe("open redirect (ASVS 5.0 V3.7.2): ?callbackUrl after sign-in", () => {
  const offSite = [
    "//evil.example",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\t\\evil.example",
    "/%2F/evil.example",
    "/%5C/evil.example",
    "%2F%2Fevil.example",
    "%2F%5Cevil.example",
    "https://evil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " /evil.example",
    "evil.example",
    "/ok\u0000/evil.example",
    "/ok\u0085",
    "/%E0%A4%A", // malformed escape
    "",
  ];

  it.each(offSite)("refuses %j as given", (payload) => {
    expect(safeCallbackUrl(payload, ORIGIN)).toBeNull();
  });

  it.each(offSite)("refuses %j as the page reads it from the query string", (payload) => {
    expect(safeCallbackUrl(fromQuery(payload), ORIGIN)).toBeNull();
  });

  it.each([
    ["/ok/path?x=1", "/ok/path?x=1"],
    ["/admin/devices", "/admin/devices"],
    ["/dashboard#today", "/dashboard#today"],
    ["/", "/"],
    // Resolved as the browser will open it, still on this origin.
    ["/a/../dashboard", "/dashboard"],
  ])("follows the app's own path %j", (payload, expected) => {
    expect(safeCallbackUrl(payload, ORIGIN)).toBe(expected);
    expect(safeCallbackUrl(fromQuery(encodeURIComponent(payload)), ORIGIN)).toBe(expected);
  });

  it("refuses a missing value, and everything when the origin itself is unusable", () => {
    expect(safeCallbackUrl(null, ORIGIN)).toBeNull();
    expect(safeCallbackUrl(undefined, ORIGIN)).toBeNull();
    expect(safeCallbackUrl("/dashboard", "not an origin")).toBeNull();
  });
});
