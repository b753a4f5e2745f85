import type { InputHTMLAttributes } from "react";

/** A labelled text input for the sign-in and registration forms. */
export function FormField({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
      {label}
      <input
        className="rounded border border-slate-300 bg-white px-3 py-2 text-base font-normal text-slate-900 focus:border-emerald-600 focus:outline-none"
        {...input}
      />
    </label>
  );
}
