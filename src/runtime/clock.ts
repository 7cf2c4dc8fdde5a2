// Time as a dependency: the runtime reads time and schedules timers only through a Clock, so tests can
// drive restarts, backoff and ask timeouts with a SimulatedClock instead of sleeping.

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

let realTimerIds = 0;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    return { id: ++realTimerIds, timer } as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout((handle as unknown as { timer: NodeJS.Timeout }).timer);
  },
};

interface PendingTimer {
  id: number;
  due: number;
  callback: () => void;
}

/** A clock that moves only when told to; due timers fire in order of due time, then of creation. */
export class SimulatedClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, if any. */
  get nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /** Advances time by `ms`, firing every timer that falls due on the way, each at its own time. */
  increment(ms: number): void {
    const target = this.time + ms;
    for (let next = this.earliest(); next && next.due <= target; next = this.earliest()) {
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = next.due;
      next.callback();
    }
    this.time = target;
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers)
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    return best;
  }
}
