import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";

const CONTROL =
  "block w-full rounded-md border bg-white px-3 py-2 text-sm text-slate-900 shadow-xs placeholder:text-slate-500 " +
  "focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700 disabled:bg-slate-100 aria-[invalid=true]:border-red-600";

interface FieldShellProps {
  label: string;
  /** Shown under the control and announced with it; also marks the control invalid. */
  error?: string | undefined;
  hint?: string | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}

/**
 * A labelled form control with its hint and inline error. The error line keeps its height when empty,
 * so that a message appearing under one field does not push the rest of the form down.
 */
function FieldShell({ label, error, hint, children }: FieldShellProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [hintId, error ? errorId : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <p id={hintId} className="text-xs text-slate-600">
          {hint}
        </p>
      )}
      <p id={errorId} className="min-h-4 text-xs leading-4 text-red-700">
        {error}
      </p>
    </div>
  );
}

type InputFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id"> & { label: string; error?: string | undefined; hint?: string | undefined };

export function InputField({ label, error, hint, className = "", ...input }: InputFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <input id={id} aria-describedby={describedBy} aria-invalid={invalid} className={`${CONTROL} ${className}`} {...input} />
      )}
    </FieldShell>
  );
}

type TextareaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id"> & { label: string; error?: string | undefined; hint?: string | undefined };

export function TextareaField({ label, error, hint, className = "", ...textarea }: TextareaFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid} className={`${CONTROL} ${className}`} {...textarea} />
      )}
    </FieldShell>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> & { label: string; error?: string | undefined; hint?: string | undefined };

export function SelectField({ label, error, hint, className = "", children, ...select }: SelectFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid} className={`${CONTROL} ${className}`} {...select}>
          {children}
        </select>
      )}
    </FieldShell>
  );
}

/** A form-level error (e.g. the server refused), announced when it appears. */
export function FormError({ message }: { message: string | null | undefined }) {
  return (
    <div role="alert" className={message ? "rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800" : "sr-only"}>
      {message}
    </div>
  );
}
