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
