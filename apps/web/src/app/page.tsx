import Link from "next/link";
import { SignOutButton } from "~/components/auth/sign-out-button.tsx";
import { getSessionViewer } from "~/server/auth.ts";

export default async function HomePage() {
  const viewer = await getSessionViewer();
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-16">
      <h1 className="text-3xl font-semibold">Energy Management System</h1>
      <p className="text-slate-600">Watch your smart meters, hourly consumption and over-consumption alerts.</p>
      {viewer ? (
        <div className="flex items-center gap-4">
          <p>
            Signed in as <strong>{viewer.username}</strong> ({viewer.role})
          </p>
          <SignOutButton />
        </div>
      ) : (
        <nav className="flex gap-3">
          <Link className="rounded bg-emerald-600 px-4 py-2 text-white hover:bg-emerald-700" href="/signin">
            Sign in
          </Link>
          <Link className="rounded border border-slate-300 px-4 py-2 hover:bg-white" href="/register">
            Create an account
          </Link>
        </nav>
      )}
    </main>
  );
}
