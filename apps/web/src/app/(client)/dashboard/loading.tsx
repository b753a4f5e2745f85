import { Skeleton } from "~/components/ui/states.tsx";

export default function DashboardLoading() {
  return (
    <div className="flex flex-col gap-6" role="status" aria-label="Loading your dashboard">
      <Skeleton className="h-8 w-48" />
      <div className="grid gap-6 lg:grid-cols-[20rem_minmax(0,1fr)]">
        <Skeleton className="h-44" />
        <Skeleton className="h-96" />
      </div>
    </div>
  );
}
