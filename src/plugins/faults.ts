// Plugin code runs inside the actors; a plugin that throws must not take the run down. Calls into plugins go
// through `guard`, which turns an exception into a fallback value and counts it by plugin part.

/** Faults per plugin part (e.g. "mode:deduction.parseProposal", "shaper:novelty"), for the step's metrics. */
export type FaultCounts = Record<string, number>;

export function guard<T>(faults: FaultCounts, part: string, call: () => T, fallback: (error: Error) => T): T {
  try {
    return call();
  } catch (error) {
    faults[part] = (faults[part] ?? 0) + 1;
    return fallback(error instanceof Error ? error : new Error(String(error)));
  }
}

export function mergeFaults(into: FaultCounts, from: FaultCounts | undefined): FaultCounts {
  for (const [part, count] of Object.entries(from ?? {})) into[part] = (into[part] ?? 0) + count;
  return into;
}
