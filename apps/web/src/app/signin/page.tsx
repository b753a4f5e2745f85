import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { SignInForm } from "~/components/auth/sign-in-form.tsx";
import { getSessionViewer } from "~/server/auth.ts";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage() {
  if (await getSessionViewer()) redirect("/");
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
