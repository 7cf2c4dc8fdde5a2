// OTP-style supervision: a supervisor restarts the children that exit, per strategy (one-for-one,
// all-for-one) and restart kind (permanent, transient, temporary), within a restart budget
// (at most maxRestarts in withinMs) and with exponential backoff; over budget it stops its children
// and exits itself, so its own parent decides (escalation).
import type { Clock, TimerHandle } from './clock.ts';
import type { ErrorInfo } from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import { AzrError } from '../errors.ts';

export type Strategy = 'one-for-one' | 'all-for-one';
export type RestartKind = 'permanent' | 'transient' | 'temporary';
export type Exit = { kind: 'normal' } | { kind: 'crash'; error: ErrorInfo };

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

export interface SupervisionOptions {
  strategy: Strategy;
  maxRestarts: number;
  withinMs: number;
  backoff: Backoff;
}

export const defaultSupervision: SupervisionOptions = {
  strategy: 'one-for-one',
  maxRestarts: 1,
  withinMs: 5000,
  backoff: { initialMs: 50, factor: 2, maxMs: 5000 },
};

export interface TreeNode {
  name: string;
  kind: string;
  detail: string;
  children?: TreeNode[];
}

/** What a supervisor supervises: an actor cell or another supervisor. */
export interface Child {
  readonly name: string;
  readonly restart: RestartKind;
  /** Set by the supervisor; called when the child exits by itself (crash or normal end). */
  onExit?: (exit: Exit) => void;
  start(): void;
  /** Stops in order, so that `start` can bring it back. */
  stop(): Promise<void>;
  /** Stops for good. */
  terminate(reason: string): Promise<void>;
  tree(): TreeNode;
}

interface SupervisorServices {
  clock: Clock;
  emit(event: RuntimeEvent): void;
}

export class Supervisor implements Child {
  readonly children: Child[] = [];
  onExit?: (exit: Exit) => void;
  private restartTimes: number[] = [];
  private pendingTimers = new Set<TimerHandle>();
  private groupRestartPending = false;
  private running = false;

  constructor(
    readonly name: string,
    readonly options: SupervisionOptions,
    readonly restart: RestartKind,
    private readonly services: SupervisorServices,
  ) {}

  add(child: Child): void {
    if (this.children.some((c) => c.name === child.name)) {
      throw new AzrError(
        'ACTOR_NAME_TAKEN',
        `supervisor "${this.name}" already has a child named "${child.name}"`,
      );
    }
    this.children.push(child);
    child.onExit = (exit) => this.childExited(child, exit);
    if (this.running) child.start();
  }

  start(): void {
    this.running = true;
    this.restartTimes = [];
    this.groupRestartPending = false;
    for (const child of this.children) child.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimers();
    for (const child of [...this.children].reverse()) await child.stop();
  }

  async terminate(reason: string): Promise<void> {
    this.running = false;
    this.cancelTimers();
    for (const child of [...this.children].reverse()) await child.terminate(reason);
  }

  tree(): TreeNode {
    const { strategy, maxRestarts, withinMs } = this.options;
    return {
      name: this.name,
      kind: 'supervisor',
      detail: `${strategy}, at most ${maxRestarts} restart(s) in ${withinMs} ms, ${this.restart}`,
      children: this.children.map((c) => c.tree()),
    };
  }

  private childExited(child: Child, exit: Exit): void {
    if (!this.running || this.groupRestartPending) return;
    const restart = child.restart === 'permanent' || (child.restart === 'transient' && exit.kind === 'crash');
    if (!restart) {
      this.children.splice(this.children.indexOf(child), 1);
      void child.terminate(
        exit.kind === 'crash' ? `crashed (${child.restart}): ${exit.error.message}` : 'exited',
      );
      return;
    }
    const now = this.services.clock.now();
    this.restartTimes = this.restartTimes.filter((t) => t > now - this.options.withinMs);
    if (this.restartTimes.length >= this.options.maxRestarts) {
      void this.escalate(child, exit);
      return;
    }
    const { initialMs, factor, maxMs } = this.options.backoff;
    const delayMs = Math.min(maxMs, initialMs * factor ** this.restartTimes.length);
    this.restartTimes.push(now);
    this.services.emit({
      type: 'restarting',
      actor: child.name,
      at: now,
      delayMs,
      attempt: this.restartTimes.length,
      supervisor: this.name,
    });
    if (this.options.strategy === 'one-for-one') {
      this.after(delayMs, () => child.start());
      return;
    }
    // The timer is set now, not after the siblings have stopped, so the backoff counts from the crash.
    this.groupRestartPending = true;
    const siblingsStopped = this.stopSiblings(child);
    this.after(delayMs, async () => {
      await siblingsStopped;
      this.groupRestartPending = false;
      if (this.running) for (const c of this.children) c.start();
    });
  }

  private async stopSiblings(crashed: Child): Promise<void> {
    for (const c of [...this.children].reverse()) if (c !== crashed) await c.stop();
  }

  private async escalate(child: Child, exit: Exit): Promise<void> {
    this.running = false;
    this.cancelTimers();
    const cause = exit.kind === 'crash' ? exit.error.message : 'exited';
    const reason =
      `child "${child.name}" exited more than ${this.options.maxRestarts} time(s) ` +
      `within ${this.options.withinMs} ms; last: ${cause}`;
    this.services.emit({ type: 'escalated', actor: this.name, at: this.services.clock.now(), reason });
    for (const c of [...this.children].reverse()) await c.stop();
    this.onExit?.({
      kind: 'crash',
      error: { name: 'EscalationError', message: `supervisor "${this.name}": ${reason}` },
    });
  }

  private after(delayMs: number, action: () => void | Promise<void>): void {
    if (!this.running) return;
    const handle = this.services.clock.setTimeout(() => {
      this.pendingTimers.delete(handle);
      if (this.running) void action();
    }, delayMs);
    this.pendingTimers.add(handle);
  }

  private cancelTimers(): void {
    for (const handle of this.pendingTimers) this.services.clock.clearTimeout(handle);
    this.pendingTimers.clear();
  }
}
