// Which nodes are alive, judged by the head from their heartbeats. A node's silence only counts while the head could
// have heard it: time the head itself spent stalled (an inline actor holding its event loop) or cut off from NATS
// is credited to every node, so a busy or disconnected head never declares healthy nodes lost.

export interface LivenessOptions {
  /** The head's own sweep period (ms); a sweep that comes later than this found the head stalled. */
  sweepMs: number;
  /** Heartbeats a node may miss before it is lost. */
  missed: number;
}

interface Tracked<T> {
  value: T;
  heardAt: number;
  heartbeatMs: number;
}

export class Liveness<T> {
  private readonly tracked = new Map<string, Tracked<T>>();
  private lastSweep: number | undefined;
  private deafSince: number | undefined;

  constructor(private readonly options: LivenessOptions) {}

  /** A heartbeat (or join) of node `id` at `now`; returns whether the node is new. */
  heard(id: string, value: T, heartbeatMs: number, now: number): boolean {
    const known = this.tracked.has(id);
    this.tracked.set(id, { value, heardAt: now, heartbeatMs });
    return !known;
  }

  /** Forgets a node that left on its own; returns whether it was tracked. */
  forget(id: string): boolean {
    return this.tracked.delete(id);
  }

  /** The head lost its connection: no silence counts until `hearing` again. */
  deaf(now: number): void {
    this.deafSince ??= now;
  }

  /** The head's connection is back: the time it was away is credited to every node. */
  hearing(now: number): void {
    if (this.deafSince === undefined) return;
    this.credit(now - this.deafSince);
    this.deafSince = undefined;
  }

  /** The nodes silent for more than `missed` heartbeats (theirs or the head's sweep, whichever is longer), removed. */
  sweep(now: number): { id: string; value: T; silentMs: number }[] {
    const late = this.lastSweep === undefined ? 0 : now - this.lastSweep - this.options.sweepMs;
    this.lastSweep = now;
    if (late > 0) this.credit(late);
    if (this.deafSince !== undefined) return [];
    const lost: { id: string; value: T; silentMs: number }[] = [];
    for (const [id, node] of this.tracked) {
      const silentMs = now - node.heardAt;
      if (silentMs <= this.options.missed * Math.max(this.options.sweepMs, node.heartbeatMs)) continue;
      this.tracked.delete(id);
      lost.push({ id, value: node.value, silentMs });
    }
    return lost;
  }

  /** The live nodes' values. */
  values(): T[] {
    return [...this.tracked.values()].map((node) => node.value);
  }

  get size(): number {
    return this.tracked.size;
  }

  private credit(ms: number): void {
    for (const node of this.tracked.values()) node.heardAt += ms;
  }
}
