import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { RegisterForm } from "~/components/auth/register-form.tsx";
import { landingPathFor } from "~/components/auth/landing.ts";
import { getSessionViewer } from "~/server/auth.ts";

export const metadata: Metadata = { title: "Create an account" };

export default async function RegisterPage() {
  const viewer = await getSessionViewer();
  if (viewer) redirect(landingPathFor(viewer.role));
  return (
    <main className="mx-auto flex max-w-sm flex-col gap-6 px-6 py-16">
      <h1 className="text-2xl font-semibold">Create an account</h1>
      <RegisterForm />
    </main>
  );
}
