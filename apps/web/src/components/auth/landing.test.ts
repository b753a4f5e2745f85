import { describe, expect, it } from "vitest";
import { landingPathFor, safeCallbackUrl } from "./landing.ts";

describe("landing after sign-in", () => {
  it("sends each role to its own start page", () => {
    expect(landingPathFor("admin")).toBe("/admin");
    expect(landingPathFor("client")).toBe("/dashboard");
  });

  it("follows only same-site callback paths", () => {
    expect(safeCallbackUrl("/admin/devices")).toBe("/admin/devices");
    expect(safeCallbackUrl("https://evil.example/")).toBeNull();
    expect(safeCallbackUrl("//evil.example/")).toBeNull();
    expect(safeCallbackUrl("/\\evil.example")).toBeNull();
    expect(safeCallbackUrl(null)).toBeNull();
  });
});
