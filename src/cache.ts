/**
 * The engine's one memoization helper: a map that forgets everything once it holds `limit`
 * entries. Inputs repeat the same prefixes, port specs and configs endlessly, and results are
 * immutable, so a cheap bounded cache beats both no cache and an unbounded one on fleet inputs.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K, compute: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined || this.map.has(key)) return hit as V;
    const value = compute();
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, value);
    return value;
  }
}

/** The same for results tied to an object's identity (parsed sets, configs): they live as long as it. */
export class WeakCache<K extends object, V> {
  private readonly map = new WeakMap<K, V>();

  get(key: K, compute: () => V): V {
    if (this.map.has(key)) return this.map.get(key) as V;
    const value = compute();
    this.map.set(key, value);
    return value;
  }
}

/** Memoizes a function of two objects by identity. */
export function memoByPair<A extends object, B extends object, V>(fn: (a: A, b: B) => V): (a: A, b: B) => V {
  const outer = new WeakCache<A, WeakCache<B, V>>();
  return (a, b) => outer.get(a, () => new WeakCache<B, V>()).get(b, () => fn(a, b));
}
