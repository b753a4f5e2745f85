import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ClientConsumption } from "~/components/admin/client-consumption.tsx";
import { uuidSchema } from "~/lib/schemas.ts";

export const metadata: Metadata = { title: "Client consumption" };

interface ClientConsumptionPageProps {
  params: Promise<{ userId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

/** /admin/clients/<user id>?device=<device id | all>: an administrator's view of one client's consumption. */
export default async function ClientConsumptionPage({ params, searchParams }: ClientConsumptionPageProps) {
  const userId = uuidSchema.safeParse((await params).userId);
  if (!userId.success) notFound();
  const { device } = await searchParams;
  return <ClientConsumption userId={userId.data} initialChoice={typeof device === "string" ? device : undefined} />;
}
