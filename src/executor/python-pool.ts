// A pool of persistent, sandboxed Python workers (harness.py) with per-job wall-clock deadlines.
//
// Each worker processes its jobs one at a time in the order sent, answering each with one frame, so the
// first unanswered job of a worker is the one running: its deadline starts when the previous answer
// arrives. A job past its deadline ends as `timeout`, its worker is killed (whole process group) and
// replaced, and the jobs queued behind it on that worker go back to the front of the pool's queue.
// A worker that dies by itself (killed from outside) is an infrastructure fault, not a verdict: the job it was
// running is run again on a fresh worker (counted in `infraRetries`), and ends as `crashed` only when it
// takes `maxInfraRetries` + 1 workers down in a row, i.e. when the program itself kills them.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { availableParallelism } from 'node:os';
import { encodeFrames, FrameDecoder } from './protocol.ts';
import {
  DEFAULT_BWRAP,
  DEFAULT_PYTHON,
  SandboxUnavailableError,
  type SandboxSettings,
  sandboxProblem,
  warnNoSandbox,
  workerCommand,
} from './sandbox.ts';
import {
  type ExecutionLimits,
  type HarnessRequest,
  type ResponseFor,
  type SandboxMode,
  DEFAULT_LIMITS,
} from './types.ts';
import { type JobOutcome, PoolClosedError, PoolQueueFullError } from '../wire/index.ts';
import { AzrError } from '../errors.ts';

export { PoolClosedError, PoolQueueFullError };

export interface PythonPoolOptions {
  /** Number of worker processes (default: `os.availableParallelism()`). */
  size?: number;
  /** `bwrap` (default) or `none`; `none` must be asked for explicitly and prints a warning once. */
  sandbox?: SandboxMode;
  pythonPath?: string;
  /** Give the interpreter its site-packages, read-only (default true; false runs `python3 -S`). */
  sitePackages?: boolean;
  bwrapPath?: string;
  limits?: Partial<ExecutionLimits>;
  /** Jobs waiting for a worker before `run` rejects with PoolQueueFullError (default: unbounded). */
  maxQueue?: number;
  /** Jobs sent ahead to one worker, so it never waits for the pool between jobs (default 32). */
  pipelineDepth?: number;
  /** Consecutive workers that die before becoming ready before the pool gives up (default 3). */
  maxStartFailures?: number;
  /**
   * Times a job whose worker died under it (killed from outside, not by the pool) is run again on a fresh
   * worker before it ends as `crashed` (default 2): a lost worker is no verdict on the program.
   */
  maxInfraRetries?: number;
}

export interface RunOptions {
  /** Overrides the pool's `limits.timeoutMs` for this job. */
  timeoutMs?: number;
}

/** Workers keep dying before they are ready (e.g. Python missing): the pool stops accepting jobs. */
export class PoolBrokenError extends AzrError {
  constructor(message: string) {
    super('EXECUTOR_FAILED', message);
  }
}

export interface WorkerExitInfo {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended: `timeout`, `protocol`, `retired`, `closed`, or `died` (unexpected). */
  cause: string;
}

export interface PythonPoolEvents {
  workerReady: [pid: number];
  workerExit: [info: WorkerExitInfo];
  /** A job whose worker died under it goes back to the front of the queue (`attempt` counts from 1). */
  jobRetried: [info: { pid: number; attempt: number; reason: string }];
  drain: [];
}

interface Job {
  id: number;
  /** The request as JSON with the job id first: serialised once, when the job is submitted. */
  json: string;
  timeoutMs: number;
  /** Workers that died under this job. */
  deaths: number;
  resolve: (outcome: JobOutcome<unknown>) => void;
  reject: (error: Error) => void;
}

interface Worker {
  process: ChildProcess;
  pid: number;
  decoder: FrameDecoder;
  ready: boolean;
  /** Jobs sent and not answered yet; the first one is running. */
  inFlight: Job[];
  headStartedAt: number;
  /** One timer per worker, re-armed lazily: when it fires early (the head changed), it re-arms. */
  deadline: NodeJS.Timeout | undefined;
  deadlineAt: number;
  /** Set when the pool ended this worker on purpose (or the harness announced its exit). */
  cause: string | null;
  stderrTail: string;
  exited: Promise<void>;
}

const STDERR_TAIL_CHARS = 2000;

/** A double-ended queue on a growable ring buffer: O(1) at both ends. */
class Deque<T> {
  private items: (T | undefined)[] = new Array(64);
  private head = 0;
  length = 0;

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = item;
    this.length++;
  }

  unshift(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return item;
  }

  private grow(): void {
    const bigger: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
    this.items = bigger;
    this.head = 0;
  }
}

export class PythonPool extends EventEmitter<PythonPoolEvents> {
  readonly size: number;
  readonly sandbox: SandboxMode;
  readonly limits: ExecutionLimits;
  readonly maxQueue: number;
  readonly pipelineDepth: number;
  private readonly settings: SandboxSettings;
  private readonly maxStartFailures: number;
  private readonly maxInfraRetries: number;
  /** Jobs run again because their worker died under them: infrastructure faults, not verdicts. */
  infraRetries = 0;
  private readonly queue = new Deque<Job>();
  private readonly workers = new Set<Worker>();
  private nextJobId = 1;
  private startFailures = 0;
  private closed = false;
  private broken: PoolBrokenError | null = null;
  private wasFull = false;

  constructor(options: PythonPoolOptions = {}) {
    super();
    this.size = options.size ?? availableParallelism();
    this.sandbox = options.sandbox ?? 'bwrap';
    // A limit given as undefined keeps its default (a spread alone would erase it).
    const given = Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined);
    this.limits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
    this.maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    this.pipelineDepth = options.pipelineDepth ?? 32;
    this.maxStartFailures = options.maxStartFailures ?? 3;
    this.maxInfraRetries = options.maxInfraRetries ?? 2;
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new RangeError(`size must be ≥ 1, got ${this.size}`);
    if (!Number.isInteger(this.pipelineDepth) || this.pipelineDepth < 1) {
      throw new RangeError(`pipelineDepth must be ≥ 1, got ${this.pipelineDepth}`);
    }
    if (this.sandbox !== 'bwrap' && this.sandbox !== 'none') {
      throw new RangeError(`sandbox must be "bwrap" or "none", got ${JSON.stringify(this.sandbox)}`);
    }
    this.settings = {
      mode: this.sandbox,
      pythonPath: options.pythonPath ?? DEFAULT_PYTHON,
      sitePackages: options.sitePackages ?? true,
      bwrapPath: options.bwrapPath ?? DEFAULT_BWRAP,
      limits: this.limits,
    };
    if (this.sandbox === 'bwrap') {
      const problem = sandboxProblem(this.settings);
      if (problem !== null) {
        throw new SandboxUnavailableError(
          `bubblewrap sandbox unavailable (${problem}); refusing to run untrusted code. ` +
            'Install bubblewrap with user namespaces enabled, or set sandbox: "none" to run without one.',
        );
      }
    } else {
      warnNoSandbox();
    }
    for (let i = 0; i < this.size; i++) this.startWorker();
  }

  /** Jobs waiting for a worker. */
  get queueSize(): number {
    return this.queue.length;
  }

  /** Jobs sent to workers and not answered yet. */
  get inFlight(): number {
    let count = 0;
    for (const worker of this.workers) count += worker.inFlight.length;
    return count;
  }

  /** True while the queue is at `maxQueue`: `run` would reject; wait for `drain` (or use `whenRoom`). */
  get needsDrain(): boolean {
    return this.queue.length >= this.maxQueue;
  }

  /** Process ids of the current workers (the outer bubblewrap processes). */
  get workerPids(): number[] {
    return [...this.workers].map((worker) => worker.pid);
  }

  /** Runs one job. Resolves with its outcome; rejects only when the pool is closed, full or broken. */
  run<R extends HarnessRequest>(request: R, options: RunOptions = {}): Promise<JobOutcome<ResponseFor<R>>> {
    if (this.closed) return Promise.reject(new PoolClosedError('pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.needsDrain) {
      return Promise.reject(
        new PoolQueueFullError(`queue is full (${this.queue.length} of ${this.maxQueue})`),
      );
    }
    return new Promise((resolve, reject) => {
      const id = this.nextJobId++;
      this.queue.push({
        id,
        json: `{"id":${id},${JSON.stringify(request).slice(1)}`,
        timeoutMs: options.timeoutMs ?? this.limits.timeoutMs,
        deaths: 0,
        resolve: resolve as (outcome: JobOutcome<unknown>) => void,
        reject,
      });
      if (this.needsDrain) this.wasFull = true;
      this.dispatch();
    });
  }

  /** Like `run`, but waits for room in the queue instead of rejecting when it is full. */
  async runWhenRoom<R extends HarnessRequest>(
    request: R,
    options: RunOptions = {},
  ): Promise<JobOutcome<ResponseFor<R>>> {
    while (this.needsDrain && !this.closed && !this.broken) await once(this, 'drain');
    return this.run(request, options);
  }

  /** Runs many jobs, respecting `maxQueue`; outcomes in input order. */
  runAll<R extends HarnessRequest>(
    requests: readonly R[],
    options: RunOptions = {},
  ): Promise<JobOutcome<ResponseFor<R>>[]> {
    return Promise.all(requests.map((request) => this.runWhenRoom(request, options)));
  }

  /** Kills every worker; queued and running jobs reject with PoolClosedError. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const error = new PoolClosedError('pool closed');
      for (let job = this.queue.shift(); job; job = this.queue.shift()) job.reject(error);
      for (const worker of this.workers) {
        for (const job of worker.inFlight.splice(0)) job.reject(error);
        this.kill(worker, 'closed');
      }
      this.emit('drain');
    }
    await Promise.all([...this.workers].map((worker) => worker.exited));
  }

  // ---------------------------------------------------------------- workers

  private startWorker(): void {
    const command = workerCommand(this.settings);
    const child = spawn(command.command, command.args, {
      env: command.env,
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group: a kill reaches everything the worker started
      ...(command.uid === undefined ? {} : { uid: command.uid, gid: command.gid }),
    });
    const worker: Worker = {
      process: child,
      pid: child.pid ?? -1,
      decoder: new FrameDecoder(),
      ready: false,
      inFlight: [],
      headStartedAt: 0,
      deadline: undefined,
      deadlineAt: 0,
      cause: null,
      stderrTail: '',
      exited: new Promise((resolve) => {
        let done = false;
        const finish = (code: number | null, signal: NodeJS.Signals | null) => {
          if (done) return;
          done = true;
          this.onExit(worker, code, signal);
          resolve();
        };
        child.once('exit', finish);
        child.once('error', (error) => {
          worker.stderrTail += `\n${error.message}`;
          // 'exit' may never come for a process that failed to spawn.
          if (child.pid === undefined) finish(null, null);
        });
      }),
    };
    this.workers.add(worker);
    child.stdin?.on('error', () => {}); // EPIPE when the worker dies; handled on 'exit'
    child.stdout?.on('data', (chunk: Buffer) => this.onData(worker, chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      worker.stderrTail = (worker.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
  }

  private onData(worker: Worker, chunk: Buffer): void {
    if (worker.cause !== null) return;
    let frames: unknown[];
    try {
      frames = worker.decoder.push(chunk);
    } catch (error) {
      this.failHead(worker, 'crashed', `worker broke the protocol (${(error as Error).message})`);
      this.kill(worker, 'protocol');
      return;
    }
    for (const frame of frames) {
      if (!this.onFrame(worker, frame as Record<string, unknown>)) return;
    }
    this.dispatch();
  }

  /** Handles one frame; false when the worker was killed and the rest of its output must be ignored. */
  private onFrame(worker: Worker, frame: Record<string, unknown>): boolean {
    if (!worker.ready) {
      if (frame?.ready !== true) {
        this.failHead(worker, 'crashed', 'worker broke the protocol (no ready frame)');
        this.kill(worker, 'protocol');
        return false;
      }
      worker.ready = true;
      this.startFailures = 0;
      this.emit('workerReady', worker.pid);
      return true;
    }
    const job = worker.inFlight[0];
    if (job === undefined || frame?.id !== job.id) {
      this.failHead(worker, 'crashed', `worker broke the protocol (answer for job ${String(frame?.id)})`);
      this.kill(worker, 'protocol');
      return false;
    }
    worker.inFlight.shift();
    const { id: _id, retire, ...response } = frame;
    job.resolve({ ok: true, value: response });
    if (retire === true) {
      // The program changed interpreter state; the harness exits, the jobs behind it go back to the queue.
      worker.cause = 'retired';
      this.clearDeadline(worker);
      return false;
    }
    this.startHead(worker);
    return true;
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.clearDeadline(worker);
    this.workers.delete(worker);
    const cause = worker.cause ?? 'died';
    const head = cause === 'died' ? worker.inFlight[0] : undefined;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (head && ++head.deaths > this.maxInfraRetries) {
      const detail = worker.stderrTail.trim() ? `: ${worker.stderrTail.trim().slice(-300)}` : '';
      this.failHead(
        worker,
        'crashed',
        `worker died (${how}) while running this job, on ${head.deaths} workers in a row${detail}`,
      );
    } else if (head) {
      // Run again first: the job that was running, then those sent after it.
      this.infraRetries++;
      this.emit('jobRetried', { pid: worker.pid, attempt: head.deaths, reason: `worker died (${how})` });
    }
    // Jobs that were sent but never finished go back to the front of the queue, in their order.
    for (const job of worker.inFlight.splice(0).reverse()) this.queue.unshift(job);
    if (this.needsDrain) this.wasFull = true;
    this.emit('workerExit', { pid: worker.pid, code, signal, cause });
    if (this.closed) return;
    if (!worker.ready && cause === 'died') {
      this.startFailures++;
      if (this.startFailures >= this.maxStartFailures) {
        this.breakPool(
          `workers exit before becoming ready (${signal ?? `exit code ${code}`}): ${worker.stderrTail.trim()}`,
        );
        return;
      }
    }
    this.startWorker();
    this.dispatch();
  }

  private breakPool(message: string): void {
    this.broken = new PoolBrokenError(message);
    for (let job = this.queue.shift(); job; job = this.queue.shift()) job.reject(this.broken);
    for (const worker of this.workers) {
      for (const job of worker.inFlight.splice(0)) job.reject(this.broken);
      this.kill(worker, 'closed');
    }
    this.emit('drain');
  }

  private kill(worker: Worker, cause: string): void {
    if (worker.cause === null || worker.cause === 'retired') worker.cause = cause;
    this.clearDeadline(worker);
    // Never without a real pid: -(-1) would address process 1.
    if (worker.pid <= 1) return;
    try {
      process.kill(-worker.pid, 'SIGKILL');
    } catch {
      worker.process.kill('SIGKILL');
    }
  }

  // ---------------------------------------------------------------- scheduling and deadlines

  private dispatch(): void {
    if (this.queue.length === 0) return;
    const batches = new Map<Worker, Job[]>();
    while (this.queue.length > 0) {
      const worker = this.leastLoadedWorker();
      if (worker === undefined) break;
      const job = this.queue.shift()!;
      worker.inFlight.push(job);
      const batch = batches.get(worker);
      if (batch) batch.push(job);
      else batches.set(worker, [job]);
    }
    for (const [worker, jobs] of batches) {
      const wasIdle = worker.inFlight.length === jobs.length;
      worker.process.stdin?.write(encodeFrames(jobs.map((job) => job.json)));
      if (wasIdle) this.startHead(worker);
    }
    if (this.wasFull && !this.needsDrain) {
      this.wasFull = false;
      this.emit('drain');
    }
  }

  private leastLoadedWorker(): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.workers) {
      if (!worker.ready || worker.cause !== null || worker.inFlight.length >= this.pipelineDepth) continue;
      if (best === undefined || worker.inFlight.length < best.inFlight.length) best = worker;
    }
    return best;
  }

  /** The first in-flight job started running now (its predecessor just answered, or the worker was idle). */
  private startHead(worker: Worker): void {
    const head = worker.inFlight[0];
    if (head === undefined) return;
    worker.headStartedAt = performance.now();
    const deadlineAt = worker.headStartedAt + head.timeoutMs;
    // Thousands of jobs a second: keep the armed timer unless it would fire too late.
    if (worker.deadline === undefined || worker.deadlineAt > deadlineAt) this.armDeadline(worker, deadlineAt);
  }

  private armDeadline(worker: Worker, at: number): void {
    this.clearDeadline(worker);
    worker.deadlineAt = at;
    worker.deadline = setTimeout(() => this.onDeadline(worker), Math.max(0, at - performance.now()));
  }

  private onDeadline(worker: Worker): void {
    worker.deadline = undefined;
    const head = worker.inFlight[0];
    if (head === undefined || worker.cause !== null) return;
    const headDeadline = worker.headStartedAt + head.timeoutMs;
    if (performance.now() < headDeadline) {
      this.armDeadline(worker, headDeadline);
      return;
    }
    this.failHead(worker, 'timeout', `timeout: no result within ${head.timeoutMs} ms`);
    this.kill(worker, 'timeout');
  }

  private clearDeadline(worker: Worker): void {
    if (worker.deadline !== undefined) clearTimeout(worker.deadline);
    worker.deadline = undefined;
  }

  private failHead(worker: Worker, kind: 'timeout' | 'crashed', reason: string): void {
    const job = worker.inFlight.shift();
    job?.resolve({ ok: false, kind, reason, durationMs: performance.now() - worker.headStartedAt });
  }
}
