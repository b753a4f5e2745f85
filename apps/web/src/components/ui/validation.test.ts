import { describe, expect, it } from "vitest";
import { createDeviceInputSchema } from "~/lib/schemas.ts";
import { validateForm } from "./validation.ts";

describe("validateForm", () => {
  it("gives one readable message per field, named by the form's label", () => {
    const result = validateForm(createDeviceInputSchema, { name: " ", maxHourlyConsumption: "-1" }, { maxHourlyConsumption: "Max hourly consumption" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.name).toBe("Name is required");
    expect(result.errors.maxHourlyConsumption).toMatch(/^Max hourly consumption must be a non-negative number/);
  });

  it("returns the parsed values the server would receive", () => {
    const result = validateForm(createDeviceInputSchema, { name: " Kitchen ", description: "", maxHourlyConsumption: "1.5" });
    expect(result).toEqual({ ok: true, data: { name: "Kitchen", description: null, maxHourlyConsumption: "1.5" } });
  });
});
