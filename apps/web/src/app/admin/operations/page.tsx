import type { Metadata } from "next";
import { OperationsConsole } from "~/components/admin/operations-console.tsx";

export const metadata: Metadata = { title: "Operations" };

export default function OperationsPage() {
  return <OperationsConsole />;
}
