"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "../ui/button.tsx";

/** Ends the session (the next-auth cookie) and returns to the sign-in page. */
export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="secondary"
      size="sm"
      busy={pending}
      onClick={() => {
        setPending(true);
        void signOut({ callbackUrl: "/signin" });
      }}
    >
      Sign out
    </Button>
  );
}
