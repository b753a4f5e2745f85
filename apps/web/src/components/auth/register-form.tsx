"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { registerInputSchema } from "~/lib/schemas.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { FormField } from "./form-field.tsx";

export function RegisterForm() {
  const router = useRouter();
  const trpc = useTRPC();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
    // The server checks the same schema; checking here first gives the message without a round trip.
    const parsed = registerInputSchema.safeParse(form);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "Please check the form");
      return;
    }
    setError(null);
    try {
      await register.mutateAsync(parsed.data);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Registration failed");
      return;
    }
    const result = await signIn("credentials", { username: parsed.data.username, password: parsed.data.password, redirect: false });
    if (!result?.ok) {
      router.push("/signin");
      return;
    }
    router.push("/");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4" noValidate>
      <FormField label="Username" name="username" autoComplete="username" required />
      <FormField label="Password (at least 8 characters)" name="password" type="password" autoComplete="new-password" required />
      <FormField label="Full name" name="name" autoComplete="name" required />
      <FormField label="Email (optional)" name="email" type="email" autoComplete="email" />
      <FormField label="Address (optional)" name="address" autoComplete="street-address" />
      {error && (
        <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <button type="submit" disabled={register.isPending} className="rounded bg-emerald-600 px-4 py-2 font-medium text-white hover:bg-emerald-700 disabled:opacity-60">
        {register.isPending ? "Creating your account…" : "Create account"}
      </button>
      <p className="text-sm text-slate-600">
        Already registered?{" "}
        <Link className="text-emerald-700 underline" href="/signin">
          Sign in
        </Link>
      </p>
    </form>
  );
}
