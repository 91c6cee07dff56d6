/**
 * Sorted, disjoint, half-open integer intervals `[lo, hi)`.
 *
 * Half-open bounds let union/intersection/difference work with comparisons only, so the same code
 * serves ports and IPv4 (number) and IPv6 (bigint, 128-bit) without off-by-one adjustments.
 */
export type Bound = number | bigint;
export type Interval<T extends Bound> = readonly [lo: T, hi: T];
export type IntervalSet<T extends Bound> = readonly Interval<T>[];

/** Sorts and merges arbitrary intervals into canonical form. Empty intervals are dropped. */
export function normalize<T extends Bound>(items: readonly Interval<T>[]): IntervalSet<T> {
  const sorted = items.filter(([lo, hi]) => lo < hi).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [T, T][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1]) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

export function union<T extends Bound>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return normalize([...a, ...b]);
}

export function intersect<T extends Bound>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  // Identity-preserving fast paths: callers memoize on set identity (formatting, counting).
  if (a.length === 0 || b.length === 0) return [];
  if (a.length === 1 && a[0]![0] <= b[0]![0] && a[0]![1] >= b[b.length - 1]![1]) return b;
  if (b.length === 1 && b[0]![0] <= a[0]![0] && b[0]![1] >= a[a.length - 1]![1]) return a;
  const out: Interval<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const lo = x[0] > y[0] ? x[0] : y[0];
    const hi = x[1] < y[1] ? x[1] : y[1];
    if (lo < hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

/** `a \ b`. */
export function subtract<T extends Bound>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  if (a.length === 0 || b.length === 0) return a;
  const out: Interval<T>[] = [];
  let j = 0;
  for (const [lo0, hi] of a) {
    let lo = lo0;
    while (j < b.length && b[j]![1] <= lo) j++;
    let k = j;
    while (k < b.length && b[k]![0] < hi) {
      const [blo, bhi] = b[k]!;
      if (blo > lo) out.push([lo, blo]);
      if (bhi > lo) lo = bhi;
      if (lo >= hi) break;
      k++;
    }
    if (lo < hi) out.push([lo, hi]);
  }
  return out;
}

export function contains<T extends Bound>(set: IntervalSet<T>, value: T): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = set[mid]!;
    if (value < a) hi = mid - 1;
    else if (value >= b) lo = mid + 1;
    else return true;
  }
  return false;
}

export function isEmpty<T extends Bound>(set: IntervalSet<T>): boolean {
  return set.length === 0;
}

/** True when every point of `inner` lies in `outer`. */
export function covers<T extends Bound>(outer: IntervalSet<T>, inner: IntervalSet<T>): boolean {
  return subtract(inner, outer).length === 0;
}

export function sizeOf(set: IntervalSet<number>): number {
  let n = 0;
  for (const [lo, hi] of set) n += hi - lo;
  return n;
}

export function sizeOfBig(set: IntervalSet<bigint>): bigint {
  let n = 0n;
  for (const [lo, hi] of set) n += hi - lo;
  return n;
}

/** True when the sets share a point; allocates nothing. */
export function overlaps<T extends Bound>(a: IntervalSet<T>, b: IntervalSet<T>): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x[0] < y[1] && y[0] < x[1]) return true;
    if (x[1] <= y[0]) i++;
    else j++;
  }
  return false;
}
