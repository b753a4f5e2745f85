import { Skeleton } from "~/components/ui/states.tsx";

export default function AdminLoading() {
  return (
    <div className="flex flex-col gap-4" role="status" aria-label="Loading">
      <Skeleton className="h-9 w-56" />
      <Skeleton className="h-72" />
    </div>
  );
}
