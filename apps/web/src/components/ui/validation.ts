import type { z } from "zod";

/** One message per form field (the first zod issue for that field). */
export type FieldErrors = Partial<Record<string, string>>;

export type Validated<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/**
 * Checks form values with the same zod schema the server uses (src/lib/schemas.ts), so the inline
 * message matches what the server would answer. The schemas name fields by their API name
 * ("maxHourlyConsumption must be …"); `labels` puts the form's label in its place.
 */
export function validateForm<S extends z.ZodType>(schema: S, values: unknown, labels: Record<string, string> = {}): Validated<z.output<S>> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= readable(issue.message, field, labels[field]);
  }
  return { ok: false, errors };
}

function readable(message: string, field: string, label: string | undefined): string {
  const named = label && message.startsWith(field) ? `${label}${message.slice(field.length)}` : message;
  return named.charAt(0).toUpperCase() + named.slice(1);
}
