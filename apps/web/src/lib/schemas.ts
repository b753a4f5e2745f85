import { z } from "zod";
import { isIanaTimeZone } from "@ems/contracts/time-zone";

/**
 * Input schemas shared by the server (tRPC procedures, REST routes, domain functions) and by client
 * forms, so that a form shows the same message the server would answer with. Client-safe: zod only.
 */

/** Stored lower case, so sign-in and uniqueness ignore case (matches the SQL CHECK in the auth database). */
export const usernameSchema = z
  .string({ error: "username is required" })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{3,32}$/, { error: "username must be 3-32 characters: letters, digits, '.', '_' or '-'" });

// The upper bound keeps a single argon2 computation (and a request body) small.
export const passwordSchema = z
  .string({ error: "password is required" })
  .min(8, { error: "password must be at least 8 characters" })
  .max(200, { error: "password must be at most 200 characters" });

export const roleSchema = z.enum(["admin", "client"], { error: "role must be admin or client" });

export const uuidSchema = z.uuid({ error: "must be a UUID" }).transform((id) => id.toLowerCase());

/**
 * Text PostgreSQL stores exactly as sent: no NUL (text columns reject U+0000) and no unpaired UTF-16
 * surrogate (it would be stored as U+FFFD). Anything else — quotes, markup, template syntax, other
 * Unicode — is stored verbatim and only ever used as a query parameter or rendered as text.
 */
function isStorableText(value: string): boolean {
  return !value.includes("\0") && !/\p{Cs}/u.test(value);
}
const unstorable = (label: string) => ({ error: `${label} contains a character that cannot be stored (NUL or a broken surrogate pair)` });

const optionalText = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, { error: `${label} must be at most ${max} characters` })
    .refine(isStorableText, unstorable(label))
    .transform((value) => (value === "" ? null : value))
    .nullish();

/** The name of a user or a device. */
const nameSchema = z.string({ error: "name is required" }).trim().min(1, { error: "name is required" }).max(200).refine(isStorableText, unstorable("name"));

export const loginInputSchema = z.object({
  // Sign-in does not re-check the username's pattern: a wrong one is just a failed sign-in.
  username: z
    .string({ error: "username is required" })
    .trim()
    .toLowerCase()
    .min(1, { error: "username is required" })
    .max(64)
    .refine(isStorableText, unstorable("username")),
  password: z.string({ error: "password is required" }).min(1, { error: "password is required" }).max(200),
});
export type LoginInput = z.infer<typeof loginInputSchema>;

const profileFields = {
  name: nameSchema,
  email: z
    .email({ error: "email must be a valid address" })
    .max(254)
    .transform((value) => value.toLowerCase())
    .or(z.literal("").transform(() => null))
    .nullish(),
  address: optionalText(500, "address"),
};

/** Self-registration: always creates a client. */
export const registerInputSchema = z.object({ username: usernameSchema, password: passwordSchema, ...profileFields });
export type RegisterInput = z.infer<typeof registerInputSchema>;

/** Admin: create a user of either role. */
export const createUserInputSchema = registerInputSchema.extend({ role: roleSchema.default("client") });
export type CreateUserInput = z.infer<typeof createUserInputSchema>;

/** An update must change something: `{id}` alone is a mistake, not a no-op that emits events. */
const changesSomething = (input: Record<string, unknown>) => Object.entries(input).some(([key, value]) => key !== "id" && value !== undefined);
const NOTHING_TO_CHANGE = { error: "give at least one field to change" };

/** Admin: change any of these; a new password or role signs the user out everywhere. */
export const updateUserInputSchema = z
  .object({
    id: uuidSchema,
    name: profileFields.name.optional(),
    email: profileFields.email,
    address: profileFields.address,
    role: roleSchema.optional(),
    password: passwordSchema.optional(),
  })
  .refine(changesSomething, NOTHING_TO_CHANGE);
export type UpdateUserInput = z.infer<typeof updateUserInputSchema>;

export const changePasswordInputSchema = z.object({ currentPassword: z.string().min(1).max(200), newPassword: passwordSchema });

/** kWh with at most 3 decimals (numeric(12,3) in the device database); numbers or decimal strings. */
export const kwhLimitSchema = z
  .union([z.number(), z.string().trim()], { error: "maxHourlyConsumption must be a number" })
  .transform((value) => (typeof value === "number" ? String(value) : value))
  .pipe(
    z
      .string()
      .regex(/^\d{1,9}(\.\d{1,3})?$/, { error: "maxHourlyConsumption must be a non-negative number below 1e9 with at most 3 decimals" }),
  );

const deviceFields = {
  name: nameSchema,
  description: optionalText(2000, "description"),
  address: optionalText(500, "address"),
  maxHourlyConsumption: kwhLimitSchema,
};

export const createDeviceInputSchema = z.object({ ...deviceFields, ownerId: uuidSchema.nullish() });
export type CreateDeviceInput = z.infer<typeof createDeviceInputSchema>;

export const updateDeviceInputSchema = z
  .object({
    id: uuidSchema,
    name: deviceFields.name.optional(),
    description: deviceFields.description,
    address: deviceFields.address,
    maxHourlyConsumption: kwhLimitSchema.optional(),
  })
  .refine(changesSomething, NOTHING_TO_CHANGE);
export type UpdateDeviceInput = z.infer<typeof updateDeviceInputSchema>;

export const assignDeviceInputSchema = z.object({ deviceId: uuidSchema, userId: uuidSchema });

/** A calendar date, checked to exist (2026-02-30 is rejected). */
export const isoDateSchema = z
  .string({ error: "date is required (YYYY-MM-DD)" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "date must be YYYY-MM-DD" })
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, { error: "date is not a real calendar date" });

/** An IANA time zone known to this runtime (e.g. Europe/Bucharest), or UTC. */
export const timeZoneSchema = z.string().refine(isIanaTimeZone, { error: "tz must be an IANA time zone such as Europe/Bucharest" });

export const consumptionInputSchema = z.object({
  deviceId: uuidSchema,
  date: isoDateSchema,
  tz: timeZoneSchema.default("UTC"),
});
export type ConsumptionInput = z.infer<typeof consumptionInputSchema>;

/** What an alert (a ThingsBoard-style alarm) is about: a device-hour over the device's limit, or a device that stopped reporting. */
export const alertKindSchema = z.enum(["over_consumption", "device_silent"], { error: "kind must be over_consumption or device_silent" });
export type AlertKind = z.infer<typeof alertKindSchema>;

/**
 * Active until cleared: an over-consumption alert when its hour ends, a silence alarm when the device
 * reports again. Independent of acknowledgement.
 */
export const alertStateSchema = z.enum(["active", "cleared"], { error: "state must be active or cleared" });
export type AlertState = z.infer<typeof alertStateSchema>;

export const listAlertsInputSchema = z
  .object({
    deviceId: uuidSchema.optional(),
    /** Only alerts of this kind / in this state; all when absent. */
    kind: alertKindSchema.optional(),
    state: alertStateSchema.optional(),
    unacknowledgedOnly: z.boolean().default(false),
    limit: z.number().int().min(1).max(100).default(50),
    /** The last alert id of the previous page. */
    cursor: uuidSchema.optional(),
  })
  .default({ unacknowledgedOnly: false, limit: 50 });
export type ListAlertsInput = z.infer<typeof listAlertsInputSchema>;
