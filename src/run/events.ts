// What `run` reports while it works (RunEvent, in the order they come) and what it returns (RunSummary, also
// written to RUN_DIR/summary.json; docs/run-directory.md).

/** The accuracy a model would reach without learning, per held-out mode. */
export type HeldoutBaselines = Record<string, { mostCommon: number; identity: number }>;

/** One actor's faults in this segment (only actors that had any are listed). */
export interface ActorFaults {
  restarts: number;
  crashes: number;
  /** Messages retried after their host died. */
  retried: number;
  deadLettered: number;
}

export interface RunSummary {
  name: string;
  runDir: string;
  /** The last step run. */
  steps: number;
  /** Wall time of all segments (a resumed run's earlier ones included). */
  wallMs: number;
  segments: number;
  /** Stopped by the signal before its last step. */
  interrupted: boolean;
  /** Held-out accuracy before training (step 0) and after (the last scored step), with the baselines. */
  heldout?: Record<
    string,
    { before: number | null; after: number | null; baselines: HeldoutBaselines[string] }
  >;
  /** The metrics of the last step. */
  final: Record<string, unknown>;
  faults: Record<string, ActorFaults>;
  /** With remote actors: the NATS run id and the head's counts. */
  distributed?: { runId: string } & Record<string, unknown>;
}

/**
 * What `run` reports, in this order: `repaired` (any, before work), `started`, `seeding` then `seeded` (a new run)
 * or `resumed`, `heldout` for step 0 (a new run with a held-out set), then per step `step`, `heldout` (when scored)
 * and `checkpoint` (when written), and last `done`. `note`s come anywhere.
 */
export type RunEvent =
  /** The run directory was repaired before work: a corrupt checkpoint skipped, a partial one removed, … */
  | { type: 'repaired'; message: string }
  /** The actors are built; steps `firstStep`…`lastStep` are to run, until `deadline` (epoch ms) with a budget. */
  | {
      type: 'started';
      runDir: string;
      firstStep: number;
      lastStep: number;
      resumed: boolean;
      deadline?: number;
    }
  /** A new run starts to fill its buffers. */
  | { type: 'seeding'; runDir: string }
  | { type: 'seeded'; rounds: number; sizes: Record<string, number> }
  /** A resumed run's actors have the checkpoint's state: steps continue after `step`. */
  | { type: 'resumed'; runDir: string; step: number }
  /** Held-out accuracy by mode, scored before training (step 0) or inside a step. */
  | { type: 'heldout'; step: number; accuracy: Record<string, number>; baselines: HeldoutBaselines }
  | { type: 'step'; step: number; metrics: Record<string, unknown> }
  | { type: 'checkpoint'; step: number; dir: string }
  /** A line for the person watching: nodes joining, the budget, a report that could not be written. */
  | { type: 'note'; message: string }
  | { type: 'done'; summary: RunSummary; summaryFile: string; reportFile?: string };
