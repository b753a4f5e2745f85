import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "~/components/app-shell.tsx";
import { ClientChat } from "~/components/chat/client-chat.tsx";
import { RealtimeProvider } from "~/components/realtime/realtime-provider.tsx";
import { ErrorBoundary } from "~/components/ui/error-boundary.tsx";
import { ToastProvider } from "~/components/ui/toast.tsx";
import { getSessionViewer } from "~/server/auth.ts";

/** The client area: signed-in clients only (administrators land in their console). */
export default async function ClientLayout({ children }: { children: ReactNode }) {
  const viewer = await getSessionViewer();
  if (!viewer) redirect("/signin?callbackUrl=/dashboard");
  if (viewer.role === "admin") redirect("/admin");
  return (
    <ToastProvider>
      <RealtimeProvider>
        <AppShell viewer={viewer} homeHref="/dashboard">
          {children}
        </AppShell>
        {/* A failing chat must not take the dashboard down with it. */}
        <ErrorBoundary label="The support chat">
          <ClientChat />
        </ErrorBoundary>
      </RealtimeProvider>
    </ToastProvider>
  );
}
