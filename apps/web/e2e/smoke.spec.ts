import { expect, test } from "@playwright/test";

test("the home page of the production build loads", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  // Security headers (next.config.ts): no framing, no MIME sniffing.
  expect(response?.headers()["x-frame-options"]).toBe("DENY");
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
  await expect(page.getByRole("heading", { name: "Energy Management System" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin");
});
