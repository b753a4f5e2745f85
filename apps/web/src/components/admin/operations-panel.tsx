import type { ReactNode } from "react";

/** How often the operations panels refresh: the console is watched, not reloaded. */
export const OPERATIONS_REFRESH_MS = 5_000;

/** A panel's heading with a line of explanation. */
export function PanelHeading({ id, title, children }: { id: string; title: string; children?: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children && <p className="text-sm text-slate-600">{children}</p>}
    </div>
  );
}
