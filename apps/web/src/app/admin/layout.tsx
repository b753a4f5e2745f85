import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AdminShell } from "~/components/admin/admin-shell.tsx";
import { AdminInboxProvider } from "~/components/admin/inbox-provider.tsx";
import { RealtimeProvider } from "~/components/realtime/realtime-provider.tsx";
import { ToastProvider } from "~/components/ui/toast.tsx";
import { getSessionViewer } from "~/server/auth.ts";

/** The admin console: administrators only (clients land on their dashboard). */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const viewer = await getSessionViewer();
  if (!viewer) redirect("/signin?callbackUrl=/admin");
  if (viewer.role !== "admin") redirect("/dashboard");
  return (
    <ToastProvider>
      <RealtimeProvider>
        <AdminInboxProvider viewerId={viewer.id}>
          <AdminShell viewer={viewer}>{children}</AdminShell>
        </AdminInboxProvider>
      </RealtimeProvider>
    </ToastProvider>
  );
}
