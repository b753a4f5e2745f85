import { describe, expect, it } from "vitest";
import type { LockHolder } from "./partition-locks.ts";
import { planPartitions, type HeldPartition, type PartitionView } from "./partitions.ts";

const NOW = 1_000_000;
const ME = 10;
const OTHER = 20;
const THIRD = 30;

/**
 * A snapshot: `locks` maps partition → holding session pid (ME is this replica); `held` lists what this
 * replica consumes, each since `sinceMs` ago with its last delivery `quietMs` ago.
 */
function view({
  n,
  scanLimit = n,
  locks = {},
  held = {},
  freeForMs = {},
  backlog = {},
  earlier = [],
  preferences = {},
  preferred,
}: {
  n: number;
  scanLimit?: number;
  locks?: Record<number, number>;
  held?: Record<number, { sinceMs?: number; quietMs?: number }>;
  freeForMs?: Record<number, number>;
  backlog?: Record<number, number>;
  earlier?: number[];
  /** pid → preferred partition. */
  preferences?: Record<number, number>;
  preferred?: number;
}): PartitionView {
  const holders = new Map<number, { holder: LockHolder; pid: number }>();
  const sessions = new Map<number, number[]>();
  for (const [p, pid] of Object.entries(locks)) {
    holders.set(Number(p), { holder: pid === ME ? "me" : earlier.includes(pid) ? "me-before" : "other", pid });
    sessions.set(pid, [...(sessions.get(pid) ?? []), Number(p)]);
  }
  const heldMap = new Map<number, HeldPartition>(
    Object.entries(held).map(([p, h]) => [Number(p), { since: NOW - (h.sinceMs ?? 60_000), lastDeliveryAt: NOW - (h.quietMs ?? 60_000) }]),
  );
  return {
    now: NOW,
    n,
    scanLimit,
    holders,
    sessions,
    preferences: new Map(Object.entries(preferences).map(([pid, p]) => [Number(pid), p])),
    preferred,
    held: heldMap,
    freeSince: new Map(Object.entries(freeForMs).map(([p, ms]) => [Number(p), NOW - ms])),
    backlog: new Map(Object.entries(backlog).map(([p, count]) => [Number(p), count])),
    takeoverGraceMs: 3_000,
    drainQuietMs: 5_000,
  };
}

const kinds = (actions: ReturnType<typeof planPartitions>) => actions.map((a) => `${a.kind} ${a.partition}`);

describe("planPartitions", () => {
  it("does nothing in the steady state", () => {
    expect(planPartitions(view({ n: 2, locks: { 0: ME, 1: OTHER }, held: { 0: {} } }))).toEqual([]);
  });

  it("takes over a free partition in use at once when it has none in use, else after the grace period", () => {
    // Its owner died: this replica only drains partition 2 (n shrank to 2), so it claims 0 at once.
    expect(kinds(planPartitions(view({ n: 2, scanLimit: 3, locks: { 1: OTHER, 2: ME }, held: { 2: { quietMs: 0 } }, freeForMs: { 0: 0 } })))).toEqual([
      "claim 0",
    ]);
    // A replica that has partition 1 waits: the owner may be reconnecting, or a replica without one claims it.
    expect(planPartitions(view({ n: 2, locks: { 1: ME }, held: { 1: {} }, freeForMs: { 0: 1_000 } }))).toEqual([]);
    expect(kinds(planPartitions(view({ n: 2, locks: { 1: ME }, held: { 1: {} }, freeForMs: { 0: 3_000 } })))).toEqual(["claim 0"]);
    // While another replica waits for a partition in use (it claims at once), three times as long.
    const handedOver = { n: 3, scanLimit: 4, locks: { 1: ME, 2: OTHER, 3: THIRD }, held: { 1: {} } };
    expect(planPartitions(view({ ...handedOver, freeForMs: { 0: 8_000 } }))).toEqual([]);
    expect(kinds(planPartitions(view({ ...handedOver, freeForMs: { 0: 9_000 } })))).toEqual(["claim 0"]);
    // Without a partition in use, its preferred one first.
    expect(kinds(planPartitions(view({ n: 3, scanLimit: 4, locks: { 3: ME }, held: { 3: {} }, preferred: 1 })))).toEqual(["claim 1"]);
  });

  it("hands its highest extra partition in use to a replica that has none in use", () => {
    // n went 2 → 3 while this replica held 0 and (draining) 2, and the new replica got 3.
    const crowded = view({ n: 3, scanLimit: 4, locks: { 0: ME, 1: OTHER, 2: ME, 3: THIRD }, held: { 0: {}, 2: {} } });
    expect(kinds(planPartitions(crowded))).toEqual(["release 2"]);
    // The waiting replica prefers partition 0 (Swarm slot 1): that one is handed over.
    expect(kinds(planPartitions({ ...crowded, preferences: new Map([[THIRD, 0]]) }))).toEqual(["release 0"]);
    // Its own preference it keeps.
    expect(kinds(planPartitions({ ...crowded, preferred: 2 }))).toEqual(["release 0"]);
    // Nobody is waiting: it keeps both.
    expect(planPartitions(view({ n: 3, locks: { 0: ME, 1: OTHER, 2: ME }, held: { 0: {}, 2: {} } }))).toEqual([]);
  });

  it("drains a partition no longer in use, releasing it only once empty and quiet", () => {
    const draining = (backlog: number, quietMs: number, sinceMs = 60_000) =>
      kinds(planPartitions(view({ n: 2, scanLimit: 3, locks: { 0: ME, 1: OTHER, 2: ME }, held: { 0: {}, 2: { quietMs, sinceMs } }, backlog: { 2: backlog } })));
    expect(draining(12, 60_000)).toEqual([]);
    expect(draining(0, 1_000)).toEqual([]); // the balancer may not have switched yet
    expect(draining(0, 60_000, 1_000)).toEqual([]); // just claimed
    expect(draining(0, 6_000)).toEqual(["release 2"]);
  });

  it("keeps its only partition while it has none in use, so that it stays visible as waiting", () => {
    expect(planPartitions(view({ n: 2, scanLimit: 3, locks: { 0: OTHER, 1: THIRD, 2: ME }, held: { 2: {} } }))).toEqual([]);
    expect(kinds(planPartitions(view({ n: 2, scanLimit: 4, locks: { 0: OTHER, 1: THIRD, 2: ME, 3: ME }, held: { 2: {}, 3: {} } })))).toEqual([
      "release 3",
    ]);
  });

  it("claims free partitions no longer in use that still hold readings", () => {
    const actions = planPartitions(view({ n: 2, scanLimit: 4, locks: { 0: ME, 1: OTHER }, held: { 0: {} }, backlog: { 2: 0, 3: 7 } }));
    expect(actions).toEqual([{ kind: "claim", partition: 3, reason: "draining 7 leftover reading(s)" }]);
  });

  it("after losing its lock connection: re-acquires free partitions, drops those another replica took, waits for its own old session", () => {
    expect(kinds(planPartitions(view({ n: 2, locks: { 1: OTHER }, held: { 0: {} } })))).toEqual(["claim 0"]);
    // Its only partition taken and none free in use: it also claims one ≥ n, to be seen waiting for one.
    expect(kinds(planPartitions(view({ n: 2, locks: { 0: OTHER, 1: THIRD }, held: { 0: {} } })))).toEqual(["drop 0", "claim 2"]);
    expect(planPartitions(view({ n: 2, locks: { 0: 99, 1: OTHER }, held: { 0: {} }, earlier: [99] }))).toEqual([]);
  });
});

/**
 * Several replicas applying planPartitions to one shared lock table, a round (1 s) at a time: whatever
 * the start, they must end up each on its preferred partition (Swarm: task slot - 1), and no partition
 * in use may stay without an owner for more than a round or two on the way.
 */
function simulate(preferences: (number | undefined)[], initial: number[][], rounds = 30) {
  const n = preferences.length;
  const locks = new Map<number, number>();
  const replicas = preferences.map((preferred, i) => ({
    pid: 100 + i,
    preferred,
    held: new Map<number, HeldPartition>(),
    freeSince: new Map<number, number>(),
  }));
  replicas.forEach((r, i) => {
    for (const p of initial[i] ?? []) {
      locks.set(p, r.pid);
      r.held.set(p, { since: 0, lastDeliveryAt: 0 });
    }
  });
  let longestUncovered = 0;
  const uncoveredFor = new Map<number, number>();
  for (let round = 1; round <= rounds; round++) {
    const now = round * 1_000;
    for (const r of replicas) {
      const holders = new Map<number, { holder: LockHolder; pid: number }>();
      const sessions = new Map<number, number[]>();
      for (const [p, pid] of locks) {
        holders.set(p, { holder: pid === r.pid ? "me" : "other", pid });
        sessions.set(pid, [...(sessions.get(pid) ?? []), p]);
      }
      const prefs = new Map<number, number>();
      for (const other of replicas) if (other.preferred !== undefined && sessions.has(other.pid)) prefs.set(other.pid, other.preferred);
      const scanLimit = Math.max(n, ...[...locks.keys()].map((p) => p + 1));
      for (let p = 0; p < scanLimit; p++) {
        if (locks.has(p)) r.freeSince.delete(p);
        else if (!r.freeSince.has(p)) r.freeSince.set(p, now);
      }
      const actions = planPartitions({
        now,
        n,
        scanLimit,
        holders,
        sessions,
        preferences: prefs,
        preferred: r.preferred,
        held: r.held,
        freeSince: r.freeSince,
        backlog: new Map(),
        takeoverGraceMs: 3_000,
        drainQuietMs: 5_000,
      });
      for (const action of actions) {
        if (action.kind === "claim") {
          if (locks.has(action.partition) && locks.get(action.partition) !== r.pid) continue;
          locks.set(action.partition, r.pid);
          if (!r.held.has(action.partition)) r.held.set(action.partition, { since: now, lastDeliveryAt: now });
        } else {
          if (action.kind === "release" && locks.get(action.partition) === r.pid) locks.delete(action.partition);
          r.held.delete(action.partition);
        }
      }
    }
    for (let p = 0; p < n; p++) {
      const rounds = locks.has(p) ? 0 : (uncoveredFor.get(p) ?? 0) + 1;
      uncoveredFor.set(p, rounds);
      longestUncovered = Math.max(longestUncovered, rounds);
    }
  }
  return { held: replicas.map((r) => [...r.held.keys()].sort((a, b) => a - b)), locks, longestUncovered };
}

describe("planPartitions, several replicas together", () => {
  it("swaps two replicas each on the other's preferred partition (slot 2 started alone and kept partition 0)", () => {
    const { held, longestUncovered } = simulate([1, 0], [[0], [1]]);
    expect(held).toEqual([[1], [0]]);
    expect(longestUncovered).toBeLessThanOrEqual(1);
  });

  it("untangles a cycle of three, and drains what is no longer in use", () => {
    const { held, locks, longestUncovered } = simulate([0, 1, 2], [[2, 3], [0], [1]]);
    expect(held).toEqual([[0], [1], [2]]);
    expect([...locks.keys()].sort()).toEqual([0, 1, 2]);
    expect(longestUncovered).toBeLessThanOrEqual(1);
  });

  it("without preferences: a replica holding two partitions in use hands one to a new replica", () => {
    const { held, longestUncovered } = simulate([undefined, undefined, undefined], [[0, 2], [1], [3]]);
    expect(held.map((h) => h.length)).toEqual([1, 1, 1]);
    expect(held.flat().sort()).toEqual([0, 1, 2]);
    expect(longestUncovered).toBeLessThanOrEqual(1);
  });
});
