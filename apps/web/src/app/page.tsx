import Link from "next/link";
import { redirect } from "next/navigation";
import { landingPathFor } from "~/components/auth/landing.ts";
import { getSessionViewer } from "~/server/auth.ts";

export default async function HomePage() {
  // Signed-in users start where their role works: clients on the dashboard, admins in the console.
  const viewer = await getSessionViewer();
  if (viewer) redirect(landingPathFor(viewer.role));
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-16">
      <h1 className="text-3xl font-semibold">Energy Management System</h1>
      <p className="text-slate-600">Watch your smart meters, hourly consumption and over-consumption alerts.</p>
      <nav className="flex gap-3">
        <Link className="rounded bg-emerald-600 px-4 py-2 text-white hover:bg-emerald-700" href="/signin">
          Sign in
        </Link>
        <Link className="rounded border border-slate-300 px-4 py-2 hover:bg-white" href="/register">
          Create an account
        </Link>
      </nav>
    </main>
  );
}
