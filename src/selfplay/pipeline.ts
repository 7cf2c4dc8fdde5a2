// The learner's side of a step under bounded staleness (docs/azr.md §2, "Staleness"): batches are learned in
// order, each as soon as it is generated and the learner is free, while generation goes on. Step t's generation uses
// weights version t − 1 − s (s = maxStaleness), whenever the learner gets there: the schedule of versions is fixed,
// only the timing is free, so a run is the same for a seed whatever the machine. s = 0 is the sequential loop (learn
// each batch before the next is generated); s = 1 learns batch t − 1 while batch t is generated.
import { AzrError } from '../errors.ts';

/** What an update reports: the version it made. */
export interface VersionedUpdate {
  version: number;
}

/** The learner's calls the pipeline makes, in order, one update at a time. */
export interface PipelineCalls<B, U extends VersionedUpdate, W extends VersionedUpdate> {
  /** One update from a batch. */
  learn(batch: B): Promise<U>;
  /** The weights the last update made (asked after each update that a later step will broadcast). */
  weights(): Promise<W>;
}

/** The pipeline's part of a checkpoint, taken after `settle`: every batch learned, nothing in flight. */
export interface PipelineSnapshot<U, W> {
  /** Updates made and not yet reported by a step (their step comes later). */
  updates: U[];
  /** Weights versions a later step broadcasts, older than the learner's own. */
  weights: W[];
  /** The learner's version when the snapshot was taken. */
  learned: number;
}

/** Wall times of the step just ended (ms): waiting for the learner, and the learner waiting for a batch. */
export interface PipelineIdle {
  generatorIdleMs: number;
  learnerIdleMs: number;
}

/**
 * Batches learned in order in the background; `reach(v)` waits for version v and hands over its update and weights.
 *
 * @example
 * const pipeline = new LearningPipeline(1, { learn, weights });
 * pipeline.push(batch);                   // learned as soon as the learner is free
 * const { update, weights } = await pipeline.reach(step - 1);
 */
export class LearningPipeline<B, U extends VersionedUpdate, W extends VersionedUpdate> {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly updates = new Map<number, U>();
  private readonly weightsByVersion = new Map<number, W>();
  private waiting = 0;
  /** The version of the learner's last update. */
  private learned = 0;
  private idleSince: number | undefined;
  private learnerIdleMs = 0;
  private generatorIdleMs = 0;

  constructor(
    /** s: how many versions behind the learner a step's generation may be. */
    readonly maxStaleness: number,
    private readonly calls: PipelineCalls<B, U, W>,
    snapshot?: PipelineSnapshot<U, W>,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const update of snapshot?.updates ?? []) this.updates.set(update.version, update);
    for (const weights of snapshot?.weights ?? []) this.weightsByVersion.set(weights.version, weights);
    this.learned = snapshot?.learned ?? 0;
    this.idleSince = this.now();
  }

  /** The weights version step `step`'s generation uses: t − 1 − s, at least 0 (the initial weights). */
  versionFor(step: number): number {
    return Math.max(0, step - 1 - this.maxStaleness);
  }

  /**
   * Queues a batch; it is learned after every batch pushed before it. Its update and weights asks leave at once and
   * wait in the learner's mailbox: the learner goes from one to the next without waiting for this thread, which may
   * be busy generating (docs/azr.md §2, "Staleness").
   */
  push(batch: B): void {
    this.waiting++;
    if (this.idleSince !== undefined) {
      this.learnerIdleMs += this.now() - this.idleSince;
      this.idleSince = undefined;
    }
    const asked = this.failure === undefined ? [this.calls.learn(batch), this.calls.weights()] : undefined;
    // Awaited in order below; a rejection before then is not an unhandled one.
    for (const promise of asked ?? []) promise.catch(() => {});
    this.chain = this.chain.then(async () => {
      try {
        if (this.failure !== undefined || !asked) return;
        const update = (await asked[0]) as U;
        const weights = (await asked[1]) as W;
        if (weights.version !== update.version)
          throw new AzrError(
            'INTERNAL',
            `the learner sent weights version ${weights.version} after update ${update.version}`,
          );
        // Both at once: a step that sees the update finds its weights.
        this.weightsByVersion.set(weights.version, weights);
        this.updates.set(update.version, update);
        this.learned = update.version;
      } catch (error) {
        this.failure = error;
      } finally {
        if (--this.waiting === 0) this.idleSince = this.now();
      }
    });
  }

  /**
   * Waits until the learner has made `version`, then hands over that update (once) and its weights; older weights
   * are let go. Throws what a learner call threw.
   */
  async reach(version: number): Promise<{ update: U; weights: W }> {
    const started = this.now();
    while (!this.updates.has(version) && this.waiting > 0 && this.failure === undefined) await this.chain;
    this.generatorIdleMs += this.now() - started;
    this.throwFailure();
    const update = this.updates.get(version);
    const weights = this.weightsByVersion.get(version);
    if (!update || !weights || weights.version !== version)
      throw new AzrError(
        'INTERNAL',
        `the learning pipeline cannot reach version ${version}: no batch for it was pushed`,
      );
    this.updates.delete(version);
    for (const v of this.weightsByVersion.keys()) if (v < version) this.weightsByVersion.delete(v);
    return { update, weights };
  }

  /**
   * The weights of `version` (a resumed run's generators get theirs again). A snapshot keeps no copy of the
   * learner's own weights, so a restored pipeline asks the learner for them here, before any batch is pushed.
   */
  async weightsOf(version: number): Promise<W | undefined> {
    if (!this.weightsByVersion.has(this.learned) && this.waiting === 0) {
      const weights = await this.calls.weights();
      this.weightsByVersion.set(weights.version, weights);
    }
    return this.weightsByVersion.get(version);
  }

  /** Waits until every pushed batch is learned (before a checkpoint). Throws what a learner call threw. */
  async settle(): Promise<void> {
    await this.chain;
    this.throwFailure();
  }

  /** The idle times since the last call. */
  takeIdle(): PipelineIdle {
    if (this.idleSince !== undefined) {
      const now = this.now();
      this.learnerIdleMs += now - this.idleSince;
      this.idleSince = now;
    }
    const idle = { generatorIdleMs: this.generatorIdleMs, learnerIdleMs: this.learnerIdleMs };
    this.generatorIdleMs = 0;
    this.learnerIdleMs = 0;
    return idle;
  }

  /**
   * The pipeline's state for a checkpoint: call after `settle`. `from` is the oldest version a later step
   * broadcasts; the learner's own weights are in its snapshot already.
   */
  snapshot(from: number): PipelineSnapshot<U, W> {
    if (this.waiting > 0)
      throw new AzrError(
        'INTERNAL',
        'the learning pipeline is snapshotted with batches in flight: settle first',
      );
    return {
      updates: [...this.updates.values()],
      weights: [...this.weightsByVersion.values()].filter(
        (w) => w.version >= from && w.version < this.learned,
      ),
      learned: this.learned,
    };
  }

  private throwFailure(): void {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }
}
