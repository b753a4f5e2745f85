import type { Metadata } from "next";
import { ClientDashboard } from "~/components/dashboard/client-dashboard.tsx";

export const metadata: Metadata = { title: "My energy" };

export default function DashboardPage() {
  return <ClientDashboard />;
}
