/**
 * A queue's waiting callers in service order: higher priority (from the customer tier) first,
 * FIFO within a priority by entry time, then by arrival sequence for callers entering in the
 * same millisecond. Kept sorted on insert (binary search), so the head and a caller's position
 * are cheap to read for routing and announcements.
 */

export interface Waiting {
  readonly id: string;
  readonly priority: number;
  /** When the caller's place in line was taken (kept across a callback request). */
  readonly placeAt: number;
  readonly seq: number;
}

/** Negative when `a` is served before `b`. */
export function serviceOrder(a: Waiting, b: Waiting): number {
  return b.priority - a.priority || a.placeAt - b.placeAt || a.seq - b.seq;
}

export class WaitingList<T extends Waiting> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  insert(item: T): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (serviceOrder(this.items[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, item);
  }

  remove(id: string): T | undefined {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return undefined;
    return this.items.splice(i, 1)[0];
  }

  /** 1-based position, 0 when not in the list. */
  position(id: string): number {
    return this.items.findIndex((x) => x.id === id) + 1;
  }

  /** Callers in service order (a snapshot; safe to mutate the list while iterating it). */
  list(): readonly T[] {
    return [...this.items];
  }

  /** The live array in service order, for a routing pass that does not insert or remove. */
  view(): readonly T[] {
    return this.items;
  }

  /** Iterate in service order without copying; do not mutate while iterating. */
  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  head(): T | undefined {
    return this.items[0];
  }
}
