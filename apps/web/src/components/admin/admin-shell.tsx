"use client";

import type { ReactNode } from "react";
import { AppShell } from "../app-shell.tsx";
import { CountBadge } from "../ui/states.tsx";
import { useAdminInbox } from "./inbox-provider.tsx";

/** The console's frame: Users, Devices, Operations and the chat inbox with its live unread count. */
export function AdminShell({ viewer, children }: { viewer: { username: string; role: "admin" | "client" }; children: ReactNode }) {
  const { totalUnread } = useAdminInbox();
  return (
    <AppShell
      viewer={viewer}
      homeHref="/admin/users"
      nav={[
        { href: "/admin/users", label: "Users" },
        { href: "/admin/devices", label: "Devices" },
        { href: "/admin/operations", label: "Operations" },
        { href: "/admin/chat", label: "Chat inbox", badge: <CountBadge count={totalUnread} label="unread messages" /> },
      ]}
    >
      {children}
    </AppShell>
  );
}
