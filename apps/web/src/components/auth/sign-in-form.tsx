"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { getSession, signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { loginInputSchema } from "~/lib/schemas.ts";
import { Button } from "../ui/button.tsx";
import { FormError, InputField } from "../ui/field.tsx";
import { validateForm, type FieldErrors } from "../ui/validation.ts";
import { useHydrated } from "~/hooks/use-hydrated.ts";
import { landingPathFor, safeCallbackUrl } from "./landing.ts";

type Fields = { username: string; password: string };

/** next-auth passes the provider's message through; "CredentialsSignin" is its generic refusal. */
function describeSignInFailure(response: { error: string | null | undefined; status: number } | undefined): string {
  if (!response) return "The server could not be reached; try again.";
  if (!response.error || response.error === "CredentialsSignin") return response.status >= 500 ? "Signing in failed on our side; try again." : "Invalid username or password";
  return response.error;
}

/**
 * Sign-in with next-auth's Credentials provider. Empty fields are flagged inline; the server's answer
 * (wrong pair, or too many attempts with the wait) is shown above the form. Afterwards the user goes
 * back where they came from (?callbackUrl) or to their role's start page.
 */
export function SignInForm() {
  const router = useRouter();
  const hydrated = useHydrated();
  const requestedCallbackUrl = useSearchParams().get("callbackUrl");
  const [fields, setFields] = useState<Fields>({ username: "", password: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const check = (values: Fields, field: keyof Fields) => {
    const result = validateForm(loginInputSchema, values);
    setErrors((current) => ({ ...current, [field]: result.ok ? undefined : result.errors[field] }));
  };

  const bind = (field: keyof Fields) => ({
    name: field,
    value: fields[field],
    error: errors[field],
    onChange: (event: { target: { value: string } }) => {
      const next = { ...fields, [field]: event.target.value };
      setFields(next);
      if (errors[field]) check(next, field);
    },
    onBlur: () => {
      if (fields[field]) check(fields, field);
    },
  });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = validateForm(loginInputSchema, fields);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setPending(true);
    setFormError(null);
    const response = await signIn("credentials", { ...result.data, redirect: false }).catch(() => undefined);
    // next-auth v4 answers a refused sign-in with HTTP 200 and `error` set, so `ok` alone proves nothing.
    if (!response?.ok || response.error) {
      setPending(false);
      setFormError(describeSignInFailure(response));
      return;
    }
    const session = await getSession();
    // Checked against this page's own origin: only a path of this app is followed (open redirect).
    const callbackUrl = safeCallbackUrl(requestedCallbackUrl, window.location.origin);
    router.replace(callbackUrl ?? landingPathFor(session?.user.role));
    router.refresh();
  }

  return (
    // method="post": should the script not have loaded, the browser must not put the password in the URL.
    <form method="post" onSubmit={(event) => void onSubmit(event)} className="flex flex-col gap-2" noValidate>
      <FormError message={formError} />
      <InputField label="Username" autoComplete="username" autoCapitalize="none" spellCheck={false} required {...bind("username")} />
      <InputField label="Password" type="password" autoComplete="current-password" required {...bind("password")} />
      <Button type="submit" busy={pending} disabled={!hydrated || pending} className="mt-1">
        {pending ? "Signing in…" : "Sign in"}
      </Button>
      <p className="mt-2 text-sm text-slate-700">
        No account yet?{" "}
        <Link className="font-medium text-emerald-800 underline" href="/register">
          Create one
        </Link>
      </p>
    </form>
  );
}
