// JsPool: JavaScript jobs on piscina worker threads, each running QuickJS. At most one job per worker at a
// time; a job's wall-clock deadline starts when its worker begins it, and past it the worker thread is
// terminated (piscina replaces it) and the job ends as a timeout. This is what stops built-in calls the
// interpreter cannot interrupt (a sort of a huge array, …); the in-VM CPU deadline stops ordinary JS code first.
import { EventEmitter, once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { type JobOutcome, PoolClosedError, PoolQueueFullError } from '../../src/wire/index.ts';
import type { JsJob, JsResponseFor, JsRuntimeLimits, JsWorkerData } from './types.ts';

export { PoolClosedError, PoolQueueFullError };

export interface JsLimits extends JsRuntimeLimits {
  /** Wall-clock deadline per job, from the moment its worker starts it (default 5000 ms). */
  timeoutMs: number;
}

export const DEFAULT_JS_LIMITS: JsLimits = {
  timeoutMs: 5000,
  memoryBytes: 64 * 1024 * 1024,
  stackBytes: 256 * 1024,
};

/** Highest stack limit accepted: deeper QuickJS stacks overflowed the thread's native stack (measured; docs/javascript.md). */
export const MAX_STACK_BYTES = 256 * 1024;

export interface JsPoolOptions {
  /** Worker threads (default: `os.availableParallelism()`, at most 8). */
  size?: number;
  /** Jobs waiting for a worker before `run` rejects with PoolQueueFullError (default: unbounded). */
  maxQueue?: number;
  limits?: Partial<JsLimits>;
}

export interface JsRunOptions {
  /** Overrides the pool's `limits.timeoutMs` for this job. */
  timeoutMs?: number;
}

export interface JsPoolEvents {
  drain: [];
  /** A worker thread was terminated because a job passed its deadline. */
  workerReplaced: [reason: string];
}

interface Job {
  job: JsJob;
  timeoutMs: number;
  resolve: (outcome: JobOutcome<unknown>) => void;
  reject: (error: Error) => void;
}

const BOOT = fileURLToPath(new URL('./sandbox-boot.js', import.meta.url));

/** The in-VM CPU deadline, a little before the wall deadline so that plain JS loops end without a kill. */
export function cpuDeadlineFor(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs * 0.8));
}

export class JsPool extends EventEmitter<JsPoolEvents> {
  readonly size: number;
  readonly maxQueue: number;
  readonly limits: JsLimits;
  /** Jobs that ended by terminating their worker. */
  timeouts = 0;
  private readonly piscina: Piscina;
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private readonly freeSlots: number[];
  private readonly starts: Int32Array;
  private readonly epoch = Date.now();
  private running = 0;
  private closed = false;

  constructor(options: JsPoolOptions = {}) {
    super();
    this.size = options.size ?? Math.min(8, availableParallelism());
    this.maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    const given = Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined);
    this.limits = { ...DEFAULT_JS_LIMITS, ...Object.fromEntries(given) };
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new RangeError(`size must be ≥ 1, got ${this.size}`);
    if (!(this.limits.stackBytes > 0 && this.limits.stackBytes <= MAX_STACK_BYTES)) {
      throw new RangeError(
        `limits.stackBytes must be in (0, ${MAX_STACK_BYTES}], got ${this.limits.stackBytes}`,
      );
    }
    if (!(this.limits.memoryBytes >= 1024 * 1024)) {
      throw new RangeError(`limits.memoryBytes must be ≥ 1 MiB, got ${this.limits.memoryBytes}`);
    }
    if (!(this.limits.timeoutMs >= 1))
      throw new RangeError(`limits.timeoutMs must be ≥ 1, got ${this.limits.timeoutMs}`);
    const shared = new SharedArrayBuffer(4 * this.size);
    this.starts = new Int32Array(shared);
    this.freeSlots = Array.from({ length: this.size }, (_, index) => this.size - 1 - index);
    const workerData: JsWorkerData = {
      memoryBytes: this.limits.memoryBytes,
      stackBytes: this.limits.stackBytes,
      starts: shared,
      epoch: this.epoch,
    };
    this.piscina = new Piscina({
      filename: BOOT,
      minThreads: this.size,
      maxThreads: this.size,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
      // The wasm heap is outside V8's; these bound the thread's own JS heap.
      resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 8 },
    });
  }

  /** Jobs waiting for a worker. */
  get queueSize(): number {
    return this.queue.length - this.queueHead;
  }

  /** Jobs running on workers. */
  get inFlight(): number {
    return this.running;
  }

  /** True while the queue is at `maxQueue`: `run` would reject; wait for `drain` (or use `runWhenRoom`). */
  get needsDrain(): boolean {
    return this.queueSize >= this.maxQueue;
  }

  /** Runs one job. Resolves with its outcome; rejects only when the pool is closed or its queue is full. */
  run<J extends JsJob>(job: J, options: JsRunOptions = {}): Promise<JobOutcome<JsResponseFor<J>>> {
    if (this.closed) return Promise.reject(new PoolClosedError('pool is closed'));
    if (this.needsDrain) {
      return Promise.reject(new PoolQueueFullError(`queue is full (${this.queueSize} of ${this.maxQueue})`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        job,
        timeoutMs: options.timeoutMs ?? this.limits.timeoutMs,
        resolve: resolve as (outcome: JobOutcome<unknown>) => void,
        reject,
      });
      this.dispatch();
    });
  }

  /** Like `run`, but waits for room in the queue instead of rejecting when it is full. */
  async runWhenRoom<J extends JsJob>(
    job: J,
    options: JsRunOptions = {},
  ): Promise<JobOutcome<JsResponseFor<J>>> {
    while (this.needsDrain && !this.closed) await once(this, 'drain');
    return this.run(job, options);
  }

  /** Ends every worker; queued jobs reject with PoolClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new PoolClosedError('pool closed');
    for (const job of this.queue.splice(this.queueHead)) job.reject(error);
    this.queueHead = 0;
    this.queue.length = 0;
    this.emit('drain');
    await this.piscina.destroy();
  }

  private dispatch(): void {
    while (!this.closed && this.running < this.size && this.queueSize > 0) {
      const item = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as Job;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.start(item, this.freeSlots.pop()!);
    }
    if (this.queueSize < this.maxQueue) this.emit('drain');
  }

  private start(item: Job, slot: number): void {
    this.running++;
    Atomics.store(this.starts, slot, 0);
    const controller = new AbortController();
    const submitted = Date.now();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (delay: number) => {
      timer = setTimeout(() => {
        const stamp = Atomics.load(this.starts, slot);
        // Not started yet (its worker is being replaced): the deadline counts from the start.
        const startedAt = stamp === 0 ? Date.now() : this.epoch + stamp - 1;
        const left = startedAt + item.timeoutMs - Date.now();
        if (left > 0) return arm(left);
        timedOut = true;
        controller.abort();
      }, delay);
    };
    arm(item.timeoutMs);
    const job = { ...item.job, slot, cpuMs: item.job.cpuMs ?? cpuDeadlineFor(item.timeoutMs) };
    this.piscina.run(job, { signal: controller.signal }).then(
      (value: unknown) => this.finish(slot, timer, item, { ok: true, value }),
      (error: Error) => {
        const durationMs = Date.now() - submitted;
        if (timedOut) {
          this.timeouts++;
          const reason = `timed out after ${item.timeoutMs} ms; its worker was terminated`;
          this.emit('workerReplaced', reason);
          this.finish(slot, timer, item, { ok: false, kind: 'timeout', reason, durationMs });
        } else if (this.closed) {
          this.finish(slot, timer, item, undefined, new PoolClosedError('pool closed'));
        } else {
          const reason = `worker crashed: ${error?.message ?? error}`;
          this.finish(slot, timer, item, { ok: false, kind: 'crashed', reason, durationMs });
        }
      },
    );
  }

  private finish(
    slot: number,
    timer: NodeJS.Timeout | undefined,
    item: Job,
    outcome: JobOutcome<unknown> | undefined,
    error?: Error,
  ): void {
    clearTimeout(timer);
    this.running--;
    this.freeSlots.push(slot);
    if (outcome) item.resolve(outcome);
    else item.reject(error!);
    this.dispatch();
  }
}
