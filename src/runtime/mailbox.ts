// A bounded mailbox: at most `capacity` messages wait for their actor; what happens to one more is the
// overflow policy. `backpressure` makes the sender's tell wait until there is room.
import { MailboxFullError } from './errors.ts';
import { Fifo } from './fifo.ts';

export type OverflowPolicy = 'backpressure' | 'drop-oldest' | 'reject';

export interface MailboxOptions {
  capacity: number;
  overflow: OverflowPolicy;
}

export const defaultMailbox: MailboxOptions = { capacity: 1024, overflow: 'backpressure' };

const ROOM = Promise.resolve();

interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class BoundedMailbox<T> {
  private readonly queue = new Fifo<T>();
  private readonly waiters = new Fifo<Waiter<T>>();
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly owner: string,
    readonly options: MailboxOptions,
    /** Called with each message that drop-oldest pushes out. */
    private readonly onDrop: (item: T) => void = () => {},
  ) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`mailbox capacity of "${owner}" must be an integer ≥ 1, got ${options.capacity}`);
    }
  }

  /** Messages waiting, not counting senders blocked by backpressure. */
  get size(): number {
    return this.queue.length;
  }

  /** Senders waiting for room (backpressure). */
  get blockedSenders(): number {
    return this.waiters.length;
  }

  /** Resolves when the message is in the mailbox; with backpressure that may be later. */
  offer(item: T): Promise<void> {
    if (this.queue.length < this.options.capacity) {
      this.queue.push(item);
      return ROOM;
    }
    switch (this.options.overflow) {
      case 'reject':
        return Promise.reject(new MailboxFullError(this.owner));
      case 'drop-oldest':
        this.onDrop(this.queue.shift()!);
        this.queue.push(item);
        return ROOM;
      case 'backpressure':
        return new Promise((resolve, reject) => this.waiters.push({ item, resolve, reject }));
    }
  }

  take(): T | undefined {
    const item = this.queue.shift();
    const waiter = item === undefined ? undefined : this.waiters.shift();
    if (waiter) {
      this.queue.push(waiter.item);
      waiter.resolve();
    }
    if (this.queue.length === 0 && this.drainWaiters.length > 0) {
      const waiting = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiting) resolve();
    }
    return item;
  }

  /** Returns messages to the front (those a crashed actor had not started), keeping their order. */
  putBack(items: readonly T[]): void {
    if (items.length > 0) this.queue.unshiftAll(items);
  }

  /** Resolves when the mailbox is next empty. */
  drain(): Promise<void> {
    if (this.queue.length === 0) return ROOM;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Empties the mailbox: returns waiting messages and fails blocked senders with `error`. */
  close(error: Error): T[] {
    for (let w = this.waiters.shift(); w; w = this.waiters.shift()) w.reject(error);
    const rest = this.queue.takeAll();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    return rest;
  }
}
