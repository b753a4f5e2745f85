"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { registerInputSchema } from "~/lib/schemas.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { FormError, InputField } from "../ui/field.tsx";
import { validateForm, type FieldErrors } from "../ui/validation.ts";
import { useHydrated } from "~/hooks/use-hydrated.ts";
import { errorCode, errorMessage } from "../format.ts";
import { landingPathFor } from "./landing.ts";

type Fields = { username: string; password: string; name: string; email: string; address: string };

/**
 * Self-registration (always a client), checked field by field with the server's schema as the user
 * leaves each field; a taken username or email is shown on that field. Signs in straight away.
 */
export function RegisterForm() {
  const router = useRouter();
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [fields, setFields] = useState<Fields>({ username: "", password: "", name: "", email: "", address: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [formError, setFormError] = useState<string | null>(null);

  const check = (values: Fields, field: keyof Fields) => {
    const result = validateForm(registerInputSchema, values);
    setErrors((current) => ({ ...current, [field]: result.ok ? undefined : result.errors[field] }));
  };

  const bind = (field: keyof Fields) => ({
    name: field,
    value: fields[field],
    error: errors[field],
    onChange: (event: { target: { value: string } }) => {
      const next = { ...fields, [field]: event.target.value };
      setFields(next);
      if (touched.has(field)) check(next, field);
    },
    onBlur: () => {
      setTouched((current) => new Set([...current, field]));
      check(fields, field);
    },
  });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = validateForm(registerInputSchema, fields);
    if (!result.ok) {
      setErrors(result.errors);
      setTouched(new Set(Object.keys(fields)));
      return;
    }
    setFormError(null);
    try {
      await register.mutateAsync(result.data);
    } catch (failure) {
      const message = errorMessage(failure);
      if (errorCode(failure) === "CONFLICT") setErrors((current) => ({ ...current, [/email/i.test(message) ? "email" : "username"]: message }));
      else setFormError(message);
      return;
    }
    const signedIn = await signIn("credentials", { username: result.data.username, password: result.data.password, redirect: false }).catch(() => undefined);
    router.replace(signedIn?.ok && !signedIn.error ? landingPathFor("client") : "/signin");
    router.refresh();
  }

  return (
    <form method="post" onSubmit={(event) => void onSubmit(event)} className="flex flex-col gap-2" noValidate>
      <FormError message={formError} />
      <InputField label="Username" autoComplete="username" autoCapitalize="none" spellCheck={false} required hint="3-32 characters: letters, digits, '.', '_' or '-'" {...bind("username")} />
      <InputField label="Password" type="password" autoComplete="new-password" required hint="At least 8 characters" {...bind("password")} />
      <InputField label="Full name" autoComplete="name" required {...bind("name")} />
      <InputField label="Email (optional)" type="email" autoComplete="email" {...bind("email")} />
      <InputField label="Address (optional)" autoComplete="street-address" {...bind("address")} />
      <Button type="submit" busy={register.isPending} disabled={!hydrated || register.isPending} className="mt-1">
        {register.isPending ? "Creating your account…" : "Create account"}
      </Button>
      <p className="mt-2 text-sm text-slate-700">
        Already registered?{" "}
        <Link className="font-medium text-emerald-800 underline" href="/signin">
          Sign in
        </Link>
      </p>
    </form>
  );
}
