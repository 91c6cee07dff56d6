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
    return this.store(key, compute());
  }

  /** For hot paths that cannot afford a closure per call: `lookup`, then `store` on a miss. */
  lookup(key: K): V | undefined {
    return this.map.get(key);
  }

  store(key: K, value: V): V {
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
  // Plain WeakMaps, no closures: this sits on the engine's hottest path.
  const outer = new WeakMap<A, WeakMap<B, V>>();
  return (a, b) => {
    let inner = outer.get(a);
    if (!inner) outer.set(a, (inner = new WeakMap()));
    if (inner.has(b)) return inner.get(b) as V;
    const value = fn(a, b);
    inner.set(b, value);
    return value;
  };
}
