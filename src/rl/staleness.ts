// Bounded staleness (docs/azr.md §5): a sample carries the weights version that generated it; at an update from
// version v, its staleness is v minus that version. TRR++'s ratio is taken against the sampling log-probabilities the
// sample carries, so a stale sample is still learned from correctly, but only within the bound: an older one is
// dropped and counted.
import { AzrError } from '../errors.ts';

/** What the learner needs of a sample to judge its age. */
export interface Versioned {
  /** The weights version the sample was generated with; a sample without one counts as fresh. */
  version?: number;
}

export interface StalenessReport<S> {
  /** The samples within the bound, in order. */
  kept: S[];
  /** How many were older than the bound. */
  dropped: number;
  /** Samples by staleness, dropped ones included: `{ '0': 12, '1': 3 }`. */
  histogram: Record<string, number>;
}

/**
 * Splits `samples` by their staleness at an update from `version`: those at most `maxStaleness` versions old are
 * kept. A sample from a version newer than `version` is a bug in the caller's schedule and throws.
 *
 * @example
 * boundStaleness([{ version: 3 }, { version: 1 }], 4, 2) // kept: [{ version: 3 }], dropped: 1, histogram: {1: 1, 3: 1}
 */
export function boundStaleness<S extends Versioned>(
  samples: readonly S[],
  version: number,
  maxStaleness: number,
): StalenessReport<S> {
  const kept: S[] = [];
  const histogram: Record<string, number> = {};
  let dropped = 0;
  for (const sample of samples) {
    const staleness = version - (sample.version ?? version);
    if (staleness < 0)
      throw new AzrError(
        'INTERNAL',
        `a sample from weights version ${sample.version} reached the learner at version ${version}`,
      );
    histogram[staleness] = (histogram[staleness] ?? 0) + 1;
    if (staleness > maxStaleness) dropped++;
    else kept.push(sample);
  }
  return { kept, dropped, histogram };
}
