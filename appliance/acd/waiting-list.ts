/**
 * A queue's waiting callers in service order: higher priority (from the customer tier) first,
 * FIFO within a priority by entry time, then by arrival sequence for callers entering in the
 * same millisecond. Kept sorted on insert (binary search), so the head and a caller's position
 * are cheap to read for routing and announcements; callers are also indexed by id, so finding
 * one (position, remove) is a binary search too — no scan of a long line on every join and
 * abandon (the e2e benchmark's overload profile).
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
  private readonly byId = new Map<string, T>();

  get size(): number {
    return this.items.length;
  }

  insert(item: T): void {
    this.items.splice(this.upperBound(item), 0, item);
    this.byId.set(item.id, item);
  }

  remove(id: string): T | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    this.byId.delete(id);
    return this.items.splice(i, 1)[0];
  }

  /** 1-based position, 0 when not in the list. */
  position(id: string): number {
    return this.indexOf(id) + 1;
  }

  /** Index of the caller `id`: its ordering keys are unique (seq), so a binary search lands on it. */
  private indexOf(id: string): number {
    const item = this.byId.get(id);
    if (!item) return -1;
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (serviceOrder(this.items[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (this.items[lo] === item) return lo;
    // Keys changed under us (not expected): fall back to a scan.
    return this.items.findIndex((x) => x.id === id);
  }

  /** First index whose item is served after `item`. */
  private upperBound(item: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (serviceOrder(this.items[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
