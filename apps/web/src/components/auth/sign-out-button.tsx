"use client";

import { signOut } from "next-auth/react";

export function SignOutButton() {
  return (
    <button type="button" onClick={() => void signOut({ callbackUrl: "/" })} className="rounded border border-slate-300 px-4 py-2 hover:bg-white">
      Sign out
    </button>
  );
}
