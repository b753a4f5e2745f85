import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { RegisterForm } from "~/components/auth/register-form.tsx";
import { getSessionViewer } from "~/server/auth.ts";

export const metadata: Metadata = { title: "Create an account" };

export default async function RegisterPage() {
  if (await getSessionViewer()) redirect("/");
  return (
    <main className="mx-auto flex max-w-sm flex-col gap-6 px-6 py-16">
      <h1 className="text-2xl font-semibold">Create an account</h1>
      <RegisterForm />
    </main>
  );
}
