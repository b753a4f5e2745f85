import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { SignInForm } from "~/components/auth/sign-in-form.tsx";
import { landingPathFor } from "~/components/auth/landing.ts";
import { getSessionViewer } from "~/server/auth.ts";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage() {
  const viewer = await getSessionViewer();
  if (viewer) redirect(landingPathFor(viewer.role));
  return (
    <main className="mx-auto flex max-w-sm flex-col gap-6 px-6 py-16">
      <h1 className="text-2xl font-semibold">Sign in</h1>
      {/* The form reads ?callbackUrl, which needs a Suspense boundary in a server-rendered page. */}
      <Suspense>
        <SignInForm />
      </Suspense>
    </main>
  );
}
