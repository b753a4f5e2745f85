import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * False during server rendering and hydration, true once React runs in the browser. Forms that only
 * work with their script (next-auth sign-in needs it) keep their submit button disabled until then,
 * instead of letting an early click post the form natively.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
