export interface Identified {
  id: string;
}

/**
 * Puts the rows with `ids` back as they were in `before`: rows the change added go away, changed ones
 * get their old values, removed ones return to their old place. Other rows are left as they are now.
 */
export function restoreRows<T extends Identified>(items: T[], before: T[], ids: string[]): T[] {
  const original = (id: string) => before.find((row) => row.id === id);
  const restored = items.flatMap((item) => {
    if (!ids.includes(item.id)) return [item];
    const old = original(item.id);
    return old ? [old] : [];
  });
  for (const id of ids) {
    const old = original(id);
    if (!old || restored.some((row) => row.id === id)) continue;
    restored.splice(Math.min(before.indexOf(old), restored.length), 0, old);
  }
  return restored;
}
