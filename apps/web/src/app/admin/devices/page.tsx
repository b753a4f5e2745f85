import type { Metadata } from "next";
import { DevicesAdmin } from "~/components/admin/devices-admin.tsx";

export const metadata: Metadata = { title: "Devices" };

export default function DevicesPage() {
  return <DevicesAdmin />;
}
