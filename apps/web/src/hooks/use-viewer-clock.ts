import { useSyncExternalStore } from "react";
import { todayIn, viewerTimeZone } from "~/components/format.ts";

export interface ViewerClock {
  timeZone: string;
  /** Today's date (YYYY-MM-DD) on the viewer's clock. */
  today: string;
}

const MINUTE_MS = 60_000;

// Re-read once a minute, so that "today" moves on at midnight while the page stays open.
function subscribe(onChange: () => void): () => void {
  const timer = setInterval(onChange, MINUTE_MS);
  return () => clearInterval(timer);
}

let cached: ViewerClock | null = null;
function snapshot(): ViewerClock {
  const timeZone = viewerTimeZone();
  const today = todayIn(timeZone);
  // The same object while nothing changed: useSyncExternalStore compares snapshots by identity.
  if (cached?.timeZone !== timeZone || cached.today !== today) cached = { timeZone, today };
  return cached;
}

/**
 * The browser's time zone and today's date. Null while rendering on the server (which cannot know the
 * viewer's zone) and during hydration, so server and client markup agree.
 */
export function useViewerClock(): ViewerClock | null {
  return useSyncExternalStore(subscribe, snapshot, () => null);
}
