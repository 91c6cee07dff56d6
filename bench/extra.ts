/** Benchmarks added by later features (component command length, fleet audit). */
export async function extraBenchmarks(_line: (label: string, value: string, goal: string) => void): Promise<void> {
  // filled in by the component and fleet benchmarks
}
