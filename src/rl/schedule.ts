// The learning-rate schedule (docs/azr.md §5): a factor on the configured lr for each learner update — linear
// warm-up, then cosine decay to a floor. It counts updates (one per self-play step), not optimiser steps, whose number
// per update follows the data; a run's schedule is therefore the same on any machine and resumes from a checkpoint.

export interface LrSchedule {
  /** Updates of linear warm-up from lr / warmup to lr; 0 = none. */
  warmup: number;
  /** The update at which the cosine decay reaches `floor`; 0 = no decay (constant after warm-up). */
  decay: number;
  /** The final factor, lr · floor from update `decay` on. */
  floor: number;
}

/** The factor on lr of update `update` (0-based). */
export function lrFactor(schedule: LrSchedule | undefined, update: number): number {
  if (!schedule) return 1;
  const { warmup, decay, floor } = schedule;
  if (update < warmup) return (update + 1) / warmup;
  if (decay <= warmup) return 1;
  if (update >= decay) return floor;
  const progress = (update - warmup) / (decay - warmup);
  return floor + ((1 - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
}
